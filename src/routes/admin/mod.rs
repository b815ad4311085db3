//! `/v1/admin`: user and role administration. Every route declares the
//! permission it needs with one `RequirePermission<…>` guard.

mod audit;
mod roles;
mod sessions;
mod users;
mod ways_in;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(users::list_users)
        .service(users::get_user)
        .service(users::set_roles)
        .service(users::disable_user)
        .service(users::enable_user)
        .service(users::unlock_user)
        .service(sessions::list_user_sessions)
        .service(sessions::revoke_user_sessions)
        .service(sessions::revoke_user_session)
        .service(users::reset_mfa)
        .service(ways_in::list_user_factors)
        .service(ways_in::list_user_identities)
        .service(roles::list_roles)
        .service(audit::list_audit_events);
}
