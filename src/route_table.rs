//! The documented paths and their methods, read from the OpenAPI document
//! (the route registry), so that "wrong method" (405) and "no such path"
//! (404) can be told apart.

use std::collections::BTreeMap;

use actix_web::http::Method;
use serde::de::IgnoredAny;

/// The checked-in OpenAPI document (`openapi/openapi.json`), served at
/// `/openapi.json` and read here for the paths. Tests prove it is what
/// `openapi::document_json` generates; serving it as built in spares every
/// start building the document, whose freed heap glibc kept as resident
/// memory (1 MB at idle, 0.8 MB at the bench's peak; issue #19).
pub const CHECKED_IN_OPENAPI: &str = include_str!("../openapi/openapi.json");

#[derive(Debug, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<String>, Vec<Method>)>,
}

impl RouteTable {
    /// Reads the paths and their methods from an OpenAPI document in JSON,
    /// and nothing else of it.
    pub fn from_openapi_json(json: &str) -> Result<Self, serde_json::Error> {
        #[derive(serde::Deserialize)]
        struct Document {
            paths: BTreeMap<String, BTreeMap<String, IgnoredAny>>,
        }
        let doc: Document = serde_json::from_str(json)?;
        let routes = doc
            .paths
            .into_iter()
            .map(|(path, item)| {
                let methods = [
                    Method::GET,
                    Method::POST,
                    Method::PUT,
                    Method::PATCH,
                    Method::DELETE,
                ]
                .into_iter()
                .filter(|m| item.contains_key(&m.as_str().to_ascii_lowercase()))
                .collect();
                (segments(&path).map(str::to_owned).collect(), methods)
            })
            .collect();
        Ok(Self { routes })
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
