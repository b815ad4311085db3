//! The documented paths and their methods, read from the OpenAPI document
//! (the route registry), so that "wrong method" (405) and "no such path"
//! (404) can be told apart.

use actix_web::http::Method;
use utoipa::openapi::OpenApi;

#[derive(Debug, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<String>, Vec<Method>)>,
}

impl RouteTable {
    pub fn from_openapi(doc: &OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    (Method::GET, item.get.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, present)| present.then_some(m))
                .collect();
                (segments(path).map(str::to_owned).collect(), methods)
            })
            .collect();
        Self { routes }
    }

    /// The methods allowed on `path`, if it is a known route.
    pub fn allowed(&self, path: &str) -> Option<Vec<Method>> {
        let parts: Vec<&str> = segments(path).collect();
        let mut found: Option<Vec<Method>> = None;
        for (pattern, methods) in &self.routes {
            let matches = pattern.len() == parts.len()
                && pattern
                    .iter()
                    .zip(&parts)
                    .all(|(p, s)| (p.starts_with('{') && p.ends_with('}')) || p == s);
            if matches {
                found
                    .get_or_insert_with(Vec::new)
                    .extend(methods.iter().cloned());
            }
        }
        found
    }
}

/// Path segments, empty ones included: `/v1/me/` and `//v1/me` are other
/// paths than `/v1/me` (404, not 405).
fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').skip(1)
}
