//! The outbound HTTP client `openidconnect` and the GitHub preset call
//! through: awc (already the breached-password check's client), rustls with
//! the web roots, short timeouts, no redirects followed (API.md §11), bodies
//! capped.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};

/// Responses larger than this are refused (discovery documents and key
/// sets are a few kilobytes).
const BODY_LIMIT: usize = 1024 * 1024;

/// Why a request to a provider failed: it could not be sent or read (the
/// provider is down or slow). Never holds a request body.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

#[derive(Clone)]
pub struct Outbound {
    tls: Arc<rustls::ClientConfig>,
    timeout: Duration,
}

impl Outbound {
    pub fn new(timeout: Duration) -> Result<Self, String> {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Ok(Self {
            tls: Arc::new(tls),
            timeout,
        })
    }

    /// Sends one request: `Err` only when it could not be sent or read.
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        // awc's client is bound to its thread: one per call.
        let connector = awc::Connector::new()
            .rustls_0_23(self.tls.clone())
            .timeout(self.timeout);
        let client = awc::Client::builder()
            .connector(connector)
            .timeout(self.timeout)
            .disable_redirects()
            .finish();
        let method = awc::http::Method::from_bytes(request.method().as_str().as_bytes())
            .map_err(|e| HttpError(e.to_string()))?;
        let mut outgoing = client.request(method, request.uri().to_string());
        for (name, value) in request.headers() {
            outgoing = outgoing.insert_header((name.as_str(), value.as_bytes().to_vec()));
        }
        let mut response = outgoing
            .send_body(request.into_body())
            .await
            .map_err(|e| HttpError(format!("request failed: {e}")))?;
        let body = response
            .body()
            .limit(BODY_LIMIT)
            .await
            .map_err(|e| HttpError(format!("reading the response failed: {e}")))?;
        let mut built = openidconnect::http::Response::builder().status(response.status().as_u16());
        for (name, value) in response.headers() {
            built = built.header(name.as_str(), value.as_bytes());
        }
        built
            .body(body.to_vec())
            .map_err(|e| HttpError(e.to_string()))
    }
}

impl<'c> AsyncHttpClient<'c> for Outbound {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}
