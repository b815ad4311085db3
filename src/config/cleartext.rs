//! ASVS 12.3.1: which configured channels to other services would cross
//! the network unencrypted. One small function per kind of URL says
//! whether it is cleartext to a host other than loopback; `serve` warns
//! about each at start, and `AUTH_REQUIRE_TLS_BACKENDS=true` refuses them.

use super::settings::{Settings, TokenSettings};
use super::values::{DatabaseUrl, RedisUrl, is_loopback_host};

/// One channel that would carry secrets in cleartext off this host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CleartextChannel {
    /// The variable to change.
    pub var: String,
    /// What to set instead.
    pub fix: &'static str,
}

impl Settings {
    /// Every configured channel that is cleartext to a non-loopback host:
    /// OpenID issuers, the webhook URL, SMTP, PostgreSQL and Redis.
    pub fn cleartext_channels(&self) -> Vec<CleartextChannel> {
        let mut found = Vec::new();
        let mut flag = |var: String, cleartext: bool, fix: &'static str| {
            if cleartext {
                found.push(CleartextChannel { var, fix });
            }
        };
        for provider in &self.oidc.providers {
            flag(
                format!("AUTH_OIDC_{}_ISSUER", provider.name.to_ascii_uppercase()),
                http_url(&provider.issuer),
                "an https:// issuer",
            );
        }
        if let Some(webhook) = &self.audit.webhook {
            flag(
                "AUTH_WEBHOOK_URL".into(),
                http_url(&webhook.url),
                "an https:// URL",
            );
        }
        for receiver in &self.audit.ssf_receivers {
            flag(
                "AUTH_SSF_RECEIVERS".into(),
                http_url(receiver),
                "https:// receivers",
            );
        }
        if let Some(smtp) = &self.mail.smtp_url {
            flag(
                "AUTH_SMTP_URL".into(),
                smtp_url(smtp.expose()),
                "smtps://, or smtp:// with STARTTLS required (no tls= parameter)",
            );
        }
        if let DatabaseUrl::Postgres(url) = &self.storage.database_url {
            flag(
                "DATABASE_URL".into(),
                postgres_url(url),
                "sslmode=require, verify-ca or verify-full",
            );
        }
        if let Some(redis) = &self.storage.redis_url {
            flag(
                "REDIS_URL".into(),
                redis_url(redis),
                "a rediss:// (TLS) URL",
            );
        }
        found
    }
}

/// The hosts of a URL's authority (`scheme://` already removed): userinfo
/// dropped, each of a comma-separated list, without its port.
fn hosts(after_scheme: &str) -> Vec<&str> {
    let authority = after_scheme.split(['/', '?', '#']).next().unwrap_or("");
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    hosts
        .split(',')
        .map(|host| match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => host.rsplit_once(':').map_or(host, |(h, _)| h),
        })
        .collect()
}

/// Whether any of `hosts` is reached over the network (not loopback; an
/// empty host is a Unix socket).
fn any_remote(hosts: &[&str]) -> bool {
    hosts.iter().any(|h| !h.is_empty() && !is_loopback_host(h))
}

/// The value of `name` in a URL's query string.
fn query_param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let query = url.split_once('?')?.1.split('#').next().unwrap_or("");
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

/// An OpenID issuer or webhook: plain `http://` to a non-loopback host.
pub fn http_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower
        .strip_prefix("http://")
        .is_some_and(|rest| any_remote(&hosts(rest)))
}

/// SMTP (API.md §5): `smtps://` is TLS and plain `smtp://` requires
/// STARTTLS; `tls=none` or `tls=opportunistic` may talk in cleartext.
pub fn smtp_url(url: &str) -> bool {
    let Some(rest) = url.trim().strip_prefix("smtp://") else {
        return false;
    };
    matches!(query_param(url, "tls"), Some("none" | "opportunistic")) && any_remote(&hosts(rest))
}

/// PostgreSQL: without `sslmode`, or with `disable`, `allow` or `prefer`,
/// libpq may connect without TLS (or to a server that downgrades it).
/// A `host=` parameter overrides the authority; one starting with `/` is a
/// Unix socket.
pub fn postgres_url(url: &str) -> bool {
    let url = url.trim();
    let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    else {
        return false;
    };
    if matches!(
        query_param(url, "sslmode"),
        Some("require" | "verify-ca" | "verify-full")
    ) {
        return false;
    }
    match query_param(url, "host") {
        Some(host) => {
            let decoded = host.replace("%2F", "/").replace("%2f", "/");
            let named: Vec<&str> = decoded.split(',').filter(|h| !h.starts_with('/')).collect();
            any_remote(&named)
        }
        None => any_remote(&hosts(rest)),
    }
}

/// Redis: `redis://` (or `redis+cluster://`) to a non-loopback host;
/// `rediss://` is TLS and a Unix socket crosses no network.
pub fn redis_url(url: &RedisUrl) -> bool {
    match url {
        RedisUrl::Server(raw) => raw
            .strip_prefix("redis://")
            .is_some_and(|rest| any_remote(&hosts(rest))),
        RedisUrl::Cluster { nodes, tls } => {
            !tls && nodes.iter().any(|node| {
                node.strip_prefix("redis://")
                    .is_some_and(|rest| any_remote(&hosts(rest)))
            })
        }
    }
}

impl TokenSettings {
    /// Whether the issuer is plain `http://` on a host other than loopback:
    /// tokens and passwords would cross the network unencrypted.
    pub fn issuer_is_cleartext_remote(&self) -> bool {
        http_url(&self.issuer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_urls_are_cleartext_off_loopback_only() {
        for url in [
            "http://example.test/hook",
            "http://10.0.0.5:8080/hook",
            "HTTP://idp.example.com",
            "http://user:pw@idp.example.com/realms/x",
        ] {
            assert!(http_url(url), "{url}");
        }
        for url in [
            "https://example.test/hook",
            "http://localhost:8080/hook",
            "http://127.0.0.1/hook",
            "http://[::1]:9000/",
            "http://LOCALHOST",
        ] {
            assert!(!http_url(url), "{url}");
        }
    }

    #[test]
    fn smtp_is_cleartext_with_tls_none_or_opportunistic_off_loopback() {
        for url in [
            "smtp://mail.example.com:25?tls=none",
            "smtp://u:p@mail.example.com:587?tls=opportunistic",
        ] {
            assert!(smtp_url(url), "{url}");
        }
        for url in [
            "smtp://mail.example.com:587",
            "smtp://mail.example.com:587?tls=required",
            "smtps://mail.example.com:465",
            "smtp://localhost:25?tls=none",
            "smtp://127.0.0.1:1025?tls=opportunistic",
        ] {
            assert!(!smtp_url(url), "{url}");
        }
    }

    #[test]
    fn postgres_is_cleartext_without_a_required_sslmode_off_loopback() {
        for url in [
            "postgres://u:p@db.example.com/authd",
            "postgresql://db.example.com:5432/authd?sslmode=prefer",
            "postgres://db.example.com/authd?sslmode=disable",
            "postgres://db.example.com/authd?sslmode=allow",
            "postgres://127.0.0.1,db2.example.com/authd",
            "postgres:///authd?host=db.example.com",
        ] {
            assert!(postgres_url(url), "{url}");
        }
        for url in [
            "postgres://u:p@db.example.com/authd?sslmode=require",
            "postgres://db.example.com/authd?connect_timeout=5&sslmode=verify-full",
            "postgres://db.example.com/authd?sslmode=verify-ca&sslrootcert=/ca.pem",
            "postgres://postgres@127.0.0.1:5432/postgres",
            "postgres://localhost/authd?sslmode=disable",
            "postgres://[::1]/authd",
            "postgres:///authd",
            "postgres:///authd?host=/var/run/postgresql",
            "postgres:///authd?host=%2Fvar%2Frun%2Fpostgresql",
        ] {
            assert!(!postgres_url(url), "{url}");
        }
    }

    #[test]
    fn redis_is_cleartext_without_tls_off_loopback() {
        let parse = |url: &str| RedisUrl::parse(url).unwrap();
        for url in [
            "redis://redis.internal:6379",
            "redis://:secret@10.1.2.3:6379/0",
            "redis+cluster://127.0.0.1:7000,redis-2.internal:7001",
        ] {
            assert!(redis_url(&parse(url)), "{url}");
        }
        for url in [
            "rediss://redis.internal:6380",
            "redis://127.0.0.1:6379",
            "redis://localhost",
            "unix:///run/redis.sock",
            "rediss+cluster://a.internal:7000,b.internal:7001",
            "redis+cluster://127.0.0.1:7000,127.0.0.1:7001",
        ] {
            assert!(!redis_url(&parse(url)), "{url}");
        }
    }

    fn settings(pairs: &[(&str, &str)]) -> Settings {
        let vars = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_vars(&vars).unwrap()
    }

    #[test]
    fn every_cleartext_channel_is_named_by_its_variable() {
        let all = settings(&[
            ("AUTH_OIDC_PROVIDERS", "corp"),
            ("AUTH_OIDC_CORP_ISSUER", "http://idp.corp.example"),
            ("AUTH_OIDC_CORP_CLIENT_ID", "authd"),
            ("AUTH_WEBHOOK_URL", "http://example.test/hook"),
            (
                "AUTH_WEBHOOK_SECRET",
                "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            ),
            ("AUTH_SMTP_URL", "smtp://mail.example.com?tls=none"),
            ("DATABASE_URL", "postgres://db.example.com/authd"),
            ("REDIS_URL", "redis://redis.example.com"),
        ]);
        let vars: Vec<String> = all
            .cleartext_channels()
            .into_iter()
            .map(|c| c.var)
            .collect();
        assert_eq!(
            vars,
            [
                "AUTH_OIDC_CORP_ISSUER",
                "AUTH_WEBHOOK_URL",
                "AUTH_SMTP_URL",
                "DATABASE_URL",
                "REDIS_URL"
            ]
        );
        assert!(settings(&[]).cleartext_channels().is_empty());
        assert!(!settings(&[]).storage.require_tls_backends);
        let strict = settings(&[("AUTH_REQUIRE_TLS_BACKENDS", "true")]);
        assert!(strict.storage.require_tls_backends);
    }
}
