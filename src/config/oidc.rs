//! Social login settings (API.md §11): OpenID Connect providers by issuer,
//! and the built-in GitHub preset (OAuth 2.0 without OpenID Connect).

use webauthn_rs::prelude::Url;

use super::values::{ConfigError, is_loopback_host};
use super::vars::Vars;
use crate::secret::Secret;

const LIST: &str = "AUTH_OIDC_PROVIDERS";

/// Social login providers (API.md §11).
#[derive(Clone, Debug, Default)]
pub struct OidcSettings {
    /// `AUTH_OIDC_PROVIDERS`, in that order.
    pub providers: Vec<OidcProvider>,
    /// `AUTH_OAUTH_REDIRECT_URIS`: the only `redirect_uri`s `start` accepts.
    pub redirect_uris: Vec<String>,
}

/// One provider: `AUTH_OIDC_<NAME>_ISSUER`, `…_CLIENT_ID`, `…_CLIENT_SECRET`,
/// `…_SCOPES`, `…_CLIENT_IDS`; for `github`, `…_WEB_URL` and `…_API_URL`
/// instead of the issuer.
#[derive(Clone, Debug)]
pub struct OidcProvider {
    /// As listed in `AUTH_OIDC_PROVIDERS`, lower case: the path segment.
    pub name: String,
    pub display_name: String,
    /// Exactly as discovery must return it; for GitHub the web URL
    /// (`https://github.com`), which identities are keyed on.
    pub issuer: String,
    pub client_id: String,
    /// None for a public client (PKCE alone).
    pub client_secret: Option<Secret>,
    pub scopes: Vec<String>,
    /// The audiences an ID token posted by a native app may carry: the web
    /// client id and `…_CLIENT_IDS`.
    pub audiences: Vec<String>,
    pub kind: ProviderKind,
}

/// How a provider says who the user is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProviderKind {
    /// OpenID Connect: discovery from the issuer, an ID token.
    OpenIdConnect,
    /// The GitHub preset: OAuth 2.0, then the REST API's `/user` and
    /// `/user/emails` (no ID token, no discovery).
    GitHub {
        /// `https://api.github.com`, or `https://HOST/api/v3` on GitHub
        /// Enterprise Server; no trailing slash.
        api_url: String,
    },
}

/// `AUTH_OIDC_<NAME>_<suffix>`.
fn var(name: &str, suffix: &str) -> String {
    format!("AUTH_OIDC_{}_{suffix}", name.to_ascii_uppercase())
}

fn required(env: &Vars<'_>, name: &str, suffix: &str) -> Result<String, ConfigError> {
    let var = var(name, suffix);
    env.get(&var)
        .map(str::to_owned)
        .ok_or_else(|| ConfigError::new(LIST, format!("{var} must be set for {name}")))
}

/// `…_SCOPES`, separated by spaces or commas.
fn scopes(env: &Vars<'_>, name: &str, default: &str) -> Vec<String> {
    env.get(&var(name, "SCOPES"))
        .unwrap_or(default)
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl OidcSettings {
    pub(super) fn from_vars(env: &Vars<'_>) -> Result<Self, ConfigError> {
        let mut providers: Vec<OidcProvider> = Vec::new();
        for raw in env.list(LIST) {
            let name = raw.to_ascii_lowercase();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return Err(ConfigError::new(
                    LIST,
                    format!("{raw:?} is not a provider name (letters, digits, _)"),
                ));
            }
            if providers.iter().any(|p| p.name == name) {
                return Err(ConfigError::new(LIST, format!("{name} is listed twice")));
            }
            providers.push(if name == "github" {
                github(env, name)?
            } else {
                openid_connect(env, name)?
            });
        }
        let redirect_uris = env.list("AUTH_OAUTH_REDIRECT_URIS");
        for uri in &redirect_uris {
            if Url::parse(uri).is_err() {
                return Err(ConfigError::new(
                    "AUTH_OAUTH_REDIRECT_URIS",
                    format!("{uri:?} is not an absolute URL"),
                ));
            }
        }
        Ok(Self {
            providers,
            redirect_uris,
        })
    }

    pub fn provider(&self, name: &str) -> Option<&OidcProvider> {
        self.providers.iter().find(|p| p.name == name)
    }
}

/// A provider found by its issuer's discovery document.
fn openid_connect(env: &Vars<'_>, name: String) -> Result<OidcProvider, ConfigError> {
    let issuer = required(env, &name, "ISSUER")?;
    if !(issuer.starts_with("https://") || issuer.starts_with("http://")) {
        return Err(ConfigError::new(
            LIST,
            format!("{} must be an http(s) URL", var(&name, "ISSUER")),
        ));
    }
    let client_id = required(env, &name, "CLIENT_ID")?;
    let client_secret = env
        .get(&var(&name, "CLIENT_SECRET"))
        .map(|s| Secret::new(s.to_owned()));
    let mut scopes = scopes(env, &name, "openid email profile");
    if !scopes.iter().any(|s| s == "openid") {
        scopes.insert(0, "openid".into());
    }
    let mut audiences = vec![client_id.clone()];
    for id in env.list(&var(&name, "CLIENT_IDS")) {
        if !audiences.contains(&id) {
            audiences.push(id);
        }
    }
    Ok(OidcProvider {
        display_name: display_name(&name),
        name,
        issuer,
        client_id,
        client_secret,
        scopes,
        audiences,
        kind: ProviderKind::OpenIdConnect,
    })
}

/// The GitHub preset: a client id and secret suffice; `…_WEB_URL` and
/// `…_API_URL` point at GitHub Enterprise Server (or a test's stand-in).
fn github(env: &Vars<'_>, name: String) -> Result<OidcProvider, ConfigError> {
    if env.get(&var(&name, "ISSUER")).is_some() {
        return Err(ConfigError::new(
            LIST,
            format!(
                "{} is not used: GitHub is OAuth 2.0 without discovery \
                 (set {} for GitHub Enterprise Server)",
                var(&name, "ISSUER"),
                var(&name, "WEB_URL")
            ),
        ));
    }
    let web_var = var(&name, "WEB_URL");
    let web_url = match env.get(&web_var) {
        Some(raw) => secure_base_url(&web_var, raw)?,
        None => "https://github.com".to_owned(),
    };
    let api_var = var(&name, "API_URL");
    let api_url = match env.get(&api_var) {
        Some(raw) => secure_base_url(&api_var, raw)?,
        // GitHub Enterprise Server serves its API below the web URL.
        None if web_url != "https://github.com" => format!("{web_url}/api/v3"),
        None => "https://api.github.com".to_owned(),
    };
    let client_id = required(env, &name, "CLIENT_ID")?;
    // GitHub's token endpoint wants the secret even with PKCE.
    let client_secret = Secret::new(required(env, &name, "CLIENT_SECRET")?);
    Ok(OidcProvider {
        display_name: display_name(&name),
        audiences: vec![client_id.clone()],
        name: name.clone(),
        issuer: web_url,
        client_id,
        client_secret: Some(client_secret),
        scopes: scopes(env, &name, "read:user user:email"),
        kind: ProviderKind::GitHub { api_url },
    })
}

/// An `https://` URL (`http://` only on a loopback host) with no query,
/// fragment or credentials, without its trailing slash.
fn secure_base_url(var: &str, raw: &str) -> Result<String, ConfigError> {
    let refuse = |why: &str| ConfigError::new(LIST, format!("{var}: {raw:?} {why}"));
    let url = Url::parse(raw).map_err(|_| refuse("is not an absolute URL"))?;
    let host = url.host_str().unwrap_or_default();
    match url.scheme() {
        "https" if !host.is_empty() => {}
        "http" if is_loopback_host(host) => {}
        _ => return Err(refuse("must be https:// (http:// only on a loopback host)")),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(refuse("must have no query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("must carry no credentials"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// The name shown on a login button: the well-known ones spelled as their
/// owners do, others capitalised.
fn display_name(name: &str) -> String {
    match name {
        "google" => "Google".into(),
        "apple" => "Apple".into(),
        "github" => "GitHub".into(),
        "microsoft" => "Microsoft".into(),
        "gitlab" => "GitLab".into(),
        _ => {
            let mut chars = name.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<OidcSettings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        OidcSettings::from_vars(&Vars::new(&map))
    }

    const GITHUB: [(&str, &str); 3] = [
        ("AUTH_OIDC_PROVIDERS", "github"),
        ("AUTH_OIDC_GITHUB_CLIENT_ID", "Iv1.abc"),
        ("AUTH_OIDC_GITHUB_CLIENT_SECRET", "s3cret"),
    ];

    #[test]
    fn github_needs_only_a_client_id_and_secret() {
        let s = settings(&GITHUB).unwrap();
        let github = s.provider("github").unwrap();
        assert_eq!(github.display_name, "GitHub");
        assert_eq!(github.issuer, "https://github.com");
        assert_eq!(
            github.kind,
            ProviderKind::GitHub {
                api_url: "https://api.github.com".into()
            }
        );
        assert_eq!(github.scopes, ["read:user", "user:email"]);
        assert_eq!(
            github.client_secret.as_ref().map(Secret::expose),
            Some("s3cret")
        );
    }

    #[test]
    fn github_enterprise_server_takes_its_api_below_the_web_url() {
        let mut vars = GITHUB.to_vec();
        vars.push(("AUTH_OIDC_GITHUB_WEB_URL", "https://ghe.corp.example/"));
        let s = settings(&vars).unwrap();
        let github = s.provider("github").unwrap();
        assert_eq!(github.issuer, "https://ghe.corp.example");
        assert_eq!(
            github.kind,
            ProviderKind::GitHub {
                api_url: "https://ghe.corp.example/api/v3".into()
            }
        );
        vars.push(("AUTH_OIDC_GITHUB_API_URL", "http://127.0.0.1:8099"));
        let s = settings(&vars).unwrap();
        assert_eq!(
            s.provider("github").unwrap().kind,
            ProviderKind::GitHub {
                api_url: "http://127.0.0.1:8099".into()
            }
        );
    }

    #[test]
    fn github_refuses_missing_credentials_cleartext_urls_and_an_issuer() {
        for (drop, missing) in [
            ("AUTH_OIDC_GITHUB_CLIENT_ID", "AUTH_OIDC_GITHUB_CLIENT_ID"),
            (
                "AUTH_OIDC_GITHUB_CLIENT_SECRET",
                "AUTH_OIDC_GITHUB_CLIENT_SECRET",
            ),
        ] {
            let vars: Vec<_> = GITHUB.iter().copied().filter(|(k, _)| *k != drop).collect();
            let err = settings(&vars).unwrap_err();
            assert_eq!(err.var, LIST);
            assert!(err.message.contains(missing), "{}", err.message);
        }
        for (var, value) in [
            ("AUTH_OIDC_GITHUB_WEB_URL", "http://ghe.corp.example"),
            ("AUTH_OIDC_GITHUB_API_URL", "http://10.0.0.5/api/v3"),
            ("AUTH_OIDC_GITHUB_WEB_URL", "ghe.corp.example"),
            ("AUTH_OIDC_GITHUB_WEB_URL", "https://ghe.corp.example/?x=1"),
            ("AUTH_OIDC_GITHUB_API_URL", "https://u:p@ghe.corp.example"),
            ("AUTH_OIDC_GITHUB_ISSUER", "https://github.com"),
        ] {
            let mut vars = GITHUB.to_vec();
            vars.push((var, value));
            let err = settings(&vars).unwrap_err();
            assert!(err.message.contains(var), "{value}: {}", err.message);
        }
        for loopback in [
            "http://localhost:8080",
            "http://[::1]:9000",
            "http://127.0.0.1",
        ] {
            let mut vars = GITHUB.to_vec();
            vars.push(("AUTH_OIDC_GITHUB_WEB_URL", loopback));
            assert!(settings(&vars).is_ok(), "{loopback}");
        }
    }
}
