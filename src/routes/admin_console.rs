//! The admin console (`/admin/`): a small single-page app on the admin API,
//! built from `admin-console/` (TypeScript) and embedded in the binary, so
//! serving it needs no files and no Node. `AUTH_ADMIN_CONSOLE=false` leaves
//! these routes out (404 like any unknown path). Not part of the API: the
//! routes stay out of the OpenAPI document.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

/// The console's Content-Security-Policy: its own script and stylesheet
/// only, requests to this origin only, no framing. `routes::security_headers`
/// sets it on every `/admin` answer.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

const INDEX_HTML: &[u8] = include_bytes!("../../admin-console/dist/index.html");
const APP_JS: &[u8] = include_bytes!("../../admin-console/dist/app.js");
const APP_CSS: &[u8] = include_bytes!("../../admin-console/dist/app.css");

/// Whether `path` belongs to the console (its CSP applies).
pub fn is_console_path(path: &str) -> bool {
    path == "/admin" || path.starts_with("/admin/")
}

/// Registers `/admin` (a redirect), `/admin/`, `/admin/app.js` and
/// `/admin/app.css` when the console is enabled.
pub fn configure(cfg: &mut web::ServiceConfig, enabled: bool) {
    if !enabled {
        return;
    }
    cfg.route(
        "/admin",
        web::get().to(|| async {
            HttpResponse::PermanentRedirect()
                .insert_header((header::LOCATION, "/admin/"))
                .finish()
        }),
    )
    .route(
        "/admin/",
        web::get().to(|| async { asset(INDEX_HTML, "text/html; charset=utf-8", "no-cache") }),
    )
    .route(
        "/admin/app.js",
        web::get().to(|| async { asset(APP_JS, "text/javascript; charset=utf-8", "no-cache") }),
    )
    .route(
        "/admin/app.css",
        web::get().to(|| async { asset(APP_CSS, "text/css; charset=utf-8", "no-cache") }),
    );
}

/// One embedded file. `no-cache`: the names carry no hash, so a browser
/// revalidates after an upgrade instead of mixing old and new files.
fn asset(body: &'static [u8], content_type: &'static str, cache: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, cache))
        .body(body)
}
