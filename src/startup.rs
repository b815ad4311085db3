//! Builds the application from settings, binds the listener (port 0 in
//! tests), exposes the real port, and runs until stopped.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{ErrorHandlers, from_fn};
use actix_web::{App, HttpServer, web};
use tokio::sync::Notify;
use utoipa_actix_web::AppExt;

use crate::auth::revocation_watch;
use crate::config::Settings;
use crate::db::Db;
use crate::route_table::RouteTable;
use crate::state::AppState;
use crate::store::{MemoryStore, RedisStore, Store};
use crate::tokens::Tokens;
use crate::{mail, openapi, password, routes, telemetry};

/// A start-up failure, printed as one line naming the variable to fix.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {message}")]
pub struct StartupError {
    pub var: &'static str,
    pub message: String,
}

impl StartupError {
    fn new(var: &'static str, message: impl std::fmt::Display) -> Self {
        Self {
            var,
            message: message.to_string(),
        }
    }
}

pub struct Application {
    port: u16,
    ops_port: Option<u16>,
    server: Server,
    state: web::Data<AppState>,
}

/// ASVS 12.3.1: one warning per channel that would cross the network in
/// cleartext; with `AUTH_REQUIRE_TLS_BACKENDS=true`, the first one stops
/// the start (before any connection is made).
fn check_backend_channels(settings: &Settings) -> Result<(), StartupError> {
    for channel in settings.cleartext_channels() {
        if settings.storage.require_tls_backends {
            return Err(StartupError {
                var: "AUTH_REQUIRE_TLS_BACKENDS",
                message: format!(
                    "{} is cleartext to a host other than loopback; use {}, or set AUTH_REQUIRE_TLS_BACKENDS=false",
                    channel.var, channel.fix
                ),
            });
        }
        tracing::warn!(
            variable = %channel.var,
            "{} is cleartext to a host other than loopback: secrets would cross the network unencrypted; use {} (AUTH_REQUIRE_TLS_BACKENDS=true refuses to start like this)",
            channel.var,
            channel.fix
        );
    }
    Ok(())
}

/// Opens the database (running pending migrations) and the store.
pub async fn open_backends(settings: &Settings) -> Result<(Db, Arc<dyn Store>), StartupError> {
    let url = settings.storage.database_url.clone();
    let pool_size = settings.storage.database_pool_size;
    let db = tokio::task::spawn_blocking(move || {
        let db = Db::connect(&url, pool_size)?;
        db.migrate()?;
        Ok::<_, crate::db::DbSetupError>(db)
    })
    .await
    .map_err(|e| StartupError::new("DATABASE_URL", e))?
    .map_err(|e| StartupError::new("DATABASE_URL", e))?;

    let store: Arc<dyn Store> = match &settings.storage.redis_url {
        Some(url) => {
            let ca = settings
                .storage
                .redis_ca_pem()
                .map_err(|e| StartupError::new("AUTH_REDIS_CA_FILE", e))?;
            let store = Arc::new(
                RedisStore::open_with_ca(url, &settings.storage.redis_prefix, ca)
                    .await
                    .map_err(|e| StartupError::new("REDIS_URL", e))?,
            );
            revocation_watch::ensure_sealed(&db, &store, settings)
                .await
                .map_err(|e| StartupError::new("REDIS_URL", e))?;
            revocation_watch::spawn(db.clone(), store.clone(), settings.clone());
            store
        }
        None => {
            tracing::warn!(
                "REDIS_URL is unset: using the in-process store, which is right for one instance only"
            );
            let store = Arc::new(MemoryStore::new());
            crate::auth::revocation::restore_into(&db, store.as_ref(), settings)
                .await
                .map_err(|e| StartupError::new("DATABASE_URL", e))?;
            store
        }
    };
    db.users().attach(store.clone());
    Ok((db, store))
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let listener = TcpListener::bind(&settings.http.bind).map_err(|e| {
            StartupError::new(
                "AUTH_BIND",
                format!("cannot listen on {}: {e}", settings.http.bind),
            )
        })?;
        let port = listener
            .local_addr()
            .map_err(|e| StartupError::new("AUTH_BIND", e))?
            .port();
        // ASVS 13.4.5: metrics and docs on their own listener, when asked.
        let ops = match &settings.http.ops_bind {
            Some(bind) => {
                let listener = TcpListener::bind(bind).map_err(|e| {
                    StartupError::new("AUTH_OPS_BIND", format!("cannot listen on {bind}: {e}"))
                })?;
                let addr = listener
                    .local_addr()
                    .map_err(|e| StartupError::new("AUTH_OPS_BIND", e))?;
                Some((listener, addr))
            }
            None => None,
        };
        let api_addr = listener
            .local_addr()
            .map_err(|e| StartupError::new("AUTH_BIND", e))?;
        if ops.is_none() && !api_addr.ip().is_loopback() {
            tracing::warn!(
                bind = %api_addr,
                "/metrics, /docs and /openapi.json are served on the public API listener: set AUTH_OPS_BIND (e.g. 127.0.0.1:9091) to move them to a private one"
            );
        }
        let ops_listener = web::Data::new(routes::OpsListener {
            addr: ops.as_ref().map(|(_, addr)| *addr),
        });

        if settings.tokens.issuer_is_cleartext_remote() {
            tracing::warn!(
                issuer = %settings.tokens.issuer,
                "AUTH_ISSUER is http:// on a host other than loopback: passwords and tokens would cross the network unencrypted; serve authd behind TLS and use an https:// issuer (which also turns on HSTS)"
            );
        }
        check_backend_channels(&settings)?;
        let (db, store) = open_backends(&settings).await?;
        let tokens = Tokens::new(&settings).map_err(|e| StartupError::new(e.variable(), e))?;
        let mfa_key = crate::auth::mfa::MfaKey::load_or_create(&settings.mfa.key_file)
            .map_err(|e| StartupError::new("AUTH_MFA_KEY_FILE", e))?;
        let policy = settings.bcrypt.policy();
        let dummy_hash = tokio::task::spawn_blocking(move || password::dummy_hash(policy))
            .await
            .map_err(|e| StartupError::new("AUTH_BCRYPT_COST", e))?
            .map_err(|e| StartupError::new("AUTH_BCRYPT_COST", e))?;
        mail::check_transport(&settings).map_err(|e| StartupError::new("AUTH_SMTP_URL", e))?;

        let role_permissions = db
            .run(|conn| Ok(crate::db::users::roles_with_permissions(conn)?))
            .await
            .map_err(|e| StartupError::new("DATABASE_URL", e))?
            .into_iter()
            .map(|(name, _, permissions)| (name, permissions))
            .collect::<std::collections::HashMap<_, _>>();
        let roles = crate::auth::roles::RoleGrants::new(role_permissions);
        if !roles.exists(&settings.accounts.default_role) {
            return Err(StartupError::new(
                "AUTH_DEFAULT_ROLE",
                format!("no role named {:?}", settings.accounts.default_role),
            ));
        }

        let route_table = RouteTable::from_openapi_json(openapi::CHECKED_IN)
            .map_err(|e| StartupError::new("openapi", e))?;
        for var in &settings.unknown_variables {
            tracing::warn!(variable = %var, "unknown variable ignored; is it a typo?");
        }
        let bcrypt_bounds = password::QueueBounds {
            total: settings.bcrypt.queue,
            // A fair share for one client: a quarter of the queue.
            per_caller: settings
                .rate_limits
                .enabled
                .then_some((settings.bcrypt.queue / 4).max(2)),
        };
        let breached = password::BreachCheck::new(&settings.breached)
            .map_err(|e| StartupError::new("AUTH_BREACHED_PASSWORDS", e))?;
        let audit = crate::auth::audit::AuditLog::new(&settings.audit, &settings.tokens.issuer);
        let oidc = crate::auth::oidc::provider::Providers::new(&settings.oidc)
            .map_err(|e| StartupError::new("AUTH_OIDC_PROVIDERS", e))?;
        let passwords = password::Hasher::new(policy, bcrypt_bounds, &dummy_hash)
            .map_err(|e| StartupError::new("AUTH_BCRYPT_COST", e))?;
        let state = web::Data::new(AppState {
            routes: route_table,
            settings,
            db,
            store,
            tokens,
            mail_wakeup: Arc::new(Notify::new()),
            audit,
            dummy_hash,
            roles,
            metrics: crate::metrics::Metrics::new(),
            passwords,
            breached,
            mfa_key,
            oidc,
        });

        mail::worker::spawn(state.clone().into_inner());
        crate::webhooks::spawn(state.clone().into_inner());
        crate::ssf_delivery::spawn(state.clone().into_inner());
        crate::housekeeping::spawn(state.clone().into_inner());

        let server_state = state.clone();
        let ops_port = ops.as_ref().map(|(_, addr)| addr.port());
        let server = HttpServer::new(move || {
            let state = server_state.clone();
            let admin_console = state.settings.http.admin_console;
            App::new()
                .app_data(state.clone())
                .app_data(ops_listener.clone())
                .into_utoipa_app()
                .configure(routes::configure)
                .into_app()
                .configure(|cfg| routes::configure_unlisted(cfg, admin_console))
                .default_service(web::to(routes::fallback::not_found_or_not_allowed))
                .wrap(from_fn(routes::refuse_nul_in_path))
                .wrap(from_fn(routes::split_ops_listener))
                .wrap(from_fn(routes::security_headers))
                .wrap(routes::cors(&state.settings))
                .wrap(from_fn(routes::credentials_for_allowed_origins_only))
                .wrap(
                    ErrorHandlers::new()
                        .default_handler(routes::fallback::problem_for_plain_errors),
                )
                .wrap(from_fn(telemetry::request_log))
        })
        .listen(listener)
        .map_err(|e| StartupError::new("AUTH_BIND", e))?;
        let server = match ops {
            Some((listener, _)) => server
                .listen(listener)
                .map_err(|e| StartupError::new("AUTH_OPS_BIND", e))?,
            None => server,
        }
        .client_request_timeout(Duration::from_secs(10))
        .shutdown_timeout(10)
        .run();

        Ok(Self {
            port,
            ops_port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The operational listener's port, when `AUTH_OPS_BIND` is set.
    pub fn ops_port(&self) -> Option<u16> {
        self.ops_port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until SIGINT/SIGTERM (or `handle().stop()`), finishing the
    /// requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
