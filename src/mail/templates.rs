//! Mail templates (API.md §17): for every kind and locale a subject, a text
//! and an HTML file, in Jinja syntax (minijinja). The built-in ones
//! (`templates/mail/<locale>/`, `en`, `de`, `fr`, `es`) are compiled into
//! the binary; `AUTH_MAIL_TEMPLATES_DIR` replaces them file by file and may
//! add locales. Everything is compiled and checked once, when the settings
//! are read: a syntax error or a variable the kind does not have stops the
//! start with the file and line, never a send.
//!
//! This module knows templates only; `mail` fills in the values.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use minijinja::{Environment, UndefinedBehavior, Value};

use super::locale;

/// The three files of a kind, in this order.
pub const PARTS: [&str; 3] = ["subject", "txt", "html"];

/// Every kind gets these.
pub const COMMON_VARIABLES: [&str; 6] = [
    "product_name",
    "email",
    "display_name",
    "locale",
    "link",
    "link_color",
];

/// The HTML layout every built-in `.html` extends (`{% extends
/// "layout.html" %}`, blocks `heading`, `content`, `button`, `after`,
/// `note`); `AUTH_MAIL_TEMPLATES_DIR/layout.html` replaces it.
pub const LAYOUT: &str = "layout.html";

pub const BUILT_IN_LOCALES: [&str; 4] = ["en", "de", "fr", "es"];

/// A kind of mail, its own variables and when it is sent.
pub struct KindSpec {
    pub name: &'static str,
    pub variables: &'static [&'static str],
    pub sent: &'static str,
}

pub const KINDS: [KindSpec; 14] = [
    KindSpec {
        name: "verification",
        variables: &["expires_in_hours"],
        sent: "after registration: the link that proves the address",
    },
    KindSpec {
        name: "account_exists",
        variables: &[],
        sent: "a registration (or email change) with an address that has an account; `link` opens the reset page",
    },
    KindSpec {
        name: "password_reset",
        variables: &["expires_in_hours"],
        sent: "a reset request, or an account that changed hands",
    },
    KindSpec {
        name: "password_changed",
        variables: &[],
        sent: "after a password change or reset; `link` opens the reset page",
    },
    KindSpec {
        name: "email_change",
        variables: &["expires_in_hours"],
        sent: "to the new address: the confirmation link",
    },
    KindSpec {
        name: "email_changed",
        variables: &["expires_in_hours"],
        sent: "to the old address after a change: the revert link",
    },
    KindSpec {
        name: "mfa_factor_added",
        variables: &[],
        sent: "a TOTP factor or a passkey was added",
    },
    KindSpec {
        name: "mfa_factor_removed",
        variables: &[],
        sent: "a second factor was removed by its owner",
    },
    KindSpec {
        name: "recovery_code_used",
        variables: &["remaining"],
        sent: "a recovery code was spent; `remaining` codes are left (a number)",
    },
    KindSpec {
        name: "mfa_reset",
        variables: &[],
        sent: "an admin removed every factor",
    },
    KindSpec {
        name: "identity_linked",
        variables: &["provider"],
        sent: "a provider identity was linked (`provider`: its display name)",
    },
    KindSpec {
        name: "identity_unlinked",
        variables: &["provider"],
        sent: "a provider identity was unlinked",
    },
    KindSpec {
        name: "mfa_locked",
        variables: &[],
        sent: "too many second-factor failures in a day (§14)",
    },
    KindSpec {
        name: "email_login",
        variables: &["code", "expires_in_minutes"],
        sent: "passwordless sign-in (§15): the link and the 6-digit `code`",
    },
];

/// Names a template may use besides its variables: minijinja's own.
const ENGINE_NAMES: [&str; 10] = [
    "loop",
    "self",
    "super",
    "caller",
    "varargs",
    "kwargs",
    "range",
    "dict",
    "namespace",
    "debug",
];

macro_rules! kind_files {
    ($locale:literal, $kind:literal) => {
        (
            $kind,
            [
                include_str!(concat!(
                    "../../templates/mail/",
                    $locale,
                    "/",
                    $kind,
                    ".subject"
                )),
                include_str!(concat!(
                    "../../templates/mail/",
                    $locale,
                    "/",
                    $kind,
                    ".txt"
                )),
                include_str!(concat!(
                    "../../templates/mail/",
                    $locale,
                    "/",
                    $kind,
                    ".html"
                )),
            ],
        )
    };
}

macro_rules! locale_files {
    ($locale:literal) => {
        [
            kind_files!($locale, "verification"),
            kind_files!($locale, "account_exists"),
            kind_files!($locale, "password_reset"),
            kind_files!($locale, "password_changed"),
            kind_files!($locale, "email_change"),
            kind_files!($locale, "email_changed"),
            kind_files!($locale, "mfa_factor_added"),
            kind_files!($locale, "mfa_factor_removed"),
            kind_files!($locale, "recovery_code_used"),
            kind_files!($locale, "mfa_reset"),
            kind_files!($locale, "identity_linked"),
            kind_files!($locale, "identity_unlinked"),
            kind_files!($locale, "mfa_locked"),
            kind_files!($locale, "email_login"),
        ]
    };
}

type LocaleFiles = [(&'static str, [&'static str; 3]); 14];

fn built_in(locale: &str) -> LocaleFiles {
    match locale {
        "de" => locale_files!("de"),
        "fr" => locale_files!("fr"),
        "es" => locale_files!("es"),
        _ => locale_files!("en"),
    }
}

const BUILT_IN_LAYOUT: &str = include_str!("../../templates/mail/layout.html");

/// A template that cannot be used: `file:line: message`.
#[derive(Debug, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct TemplateError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl TemplateError {
    fn file(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            line: None,
            message: message.into(),
        }
    }
}

/// A mail rendered in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The locale whose templates were used (`Content-Language`).
    pub locale: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Every template, compiled and checked.
pub struct Catalog {
    env: Environment<'static>,
    /// Each available locale and the kinds it has (built-in locales have
    /// all; an added one may have some).
    locales: BTreeMap<String, BTreeSet<&'static str>>,
    /// Where each template came from, for messages.
    origins: HashMap<String, String>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("locales", &self.locales.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// One template's source and where it came from.
struct Source {
    text: String,
    origin: String,
}

impl Catalog {
    /// The built-in templates, with those in `dir` (if any) replacing them
    /// file by file; every template compiled, checked against its kind's
    /// variables and rendered once with sample values.
    pub fn load(dir: Option<&Path>) -> Result<Self, TemplateError> {
        let mut files: BTreeMap<String, Source> = BTreeMap::new();
        files.insert(
            LAYOUT.to_owned(),
            Source {
                text: BUILT_IN_LAYOUT.to_owned(),
                origin: "templates/mail/layout.html (built in)".to_owned(),
            },
        );
        for tag in BUILT_IN_LOCALES {
            for (kind, sources) in built_in(tag) {
                for (part, text) in PARTS.iter().zip(sources) {
                    let name = format!("{tag}/{kind}.{part}");
                    let origin = format!("templates/mail/{name} (built in)");
                    files.insert(
                        name,
                        Source {
                            text: text.to_owned(),
                            origin,
                        },
                    );
                }
            }
        }
        if let Some(dir) = dir {
            read_overrides(dir, &mut files)?;
        }
        let locales = locales_of(&files)?;

        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(true);
        let mut origins = HashMap::new();
        for (name, source) in &files {
            env.add_template_owned(name.clone(), source.text.clone())
                .map_err(|e| engine_error(&e, &source.origin))?;
            origins.insert(name.clone(), source.origin.clone());
        }
        let catalog = Self {
            env,
            locales,
            origins,
        };
        for (name, source) in &files {
            catalog.check(name, source)?;
        }
        Ok(catalog)
    }

    /// Locales with mail, in canonical case.
    pub fn locales(&self) -> impl Iterator<Item = &str> {
        self.locales.keys().map(String::as_str)
    }

    /// Whether `tag` (canonical) has every kind: what the default needs.
    pub fn is_complete(&self, tag: &str) -> bool {
        self.locales
            .get(tag)
            .is_some_and(|kinds| kinds.len() == KINDS.len())
    }

    /// The available locale `tag` falls back to (`de-AT` → `de`), if any.
    pub fn available(&self, tag: &str) -> Option<&str> {
        let tag = locale::normalize(tag)?;
        locale::fallbacks(&tag).find_map(|candidate| {
            self.locales
                .get_key_value(candidate)
                .map(|(key, _)| key.as_str())
        })
    }

    /// The best available locale for an `Accept-Language` header.
    pub fn negotiate(&self, accept_language: &str) -> Option<&str> {
        locale::accept_language(accept_language)
            .iter()
            .find_map(|tag| self.available(tag))
    }

    /// The locale a mail of `kind` is written in for a recipient who
    /// wants `wanted`: its fallbacks first, then `default`.
    fn locale_for(&self, kind: &str, wanted: Option<&str>, default: &str) -> String {
        let has = |tag: &str| {
            self.locales
                .get(tag)
                .is_some_and(|kinds| kinds.contains(kind))
        };
        wanted
            .and_then(locale::normalize)
            .and_then(|tag| {
                locale::fallbacks(&tag)
                    .find(|candidate| has(candidate))
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| default.to_owned())
    }

    /// Renders `kind` for a recipient who wants `wanted` (else `default`),
    /// with the kind's values in `vars` (`locale` is added here).
    pub fn render(
        &self,
        kind: &str,
        wanted: Option<&str>,
        default: &str,
        mut vars: BTreeMap<&'static str, Value>,
    ) -> Result<Rendered, TemplateError> {
        let tag = self.locale_for(kind, wanted, default);
        vars.insert("locale", Value::from(tag.clone()));
        let part = |part: &str| {
            let name = format!("{tag}/{kind}.{part}");
            let origin = self
                .origins
                .get(&name)
                .map_or(name.as_str(), String::as_str);
            self.env
                .get_template(&name)
                .and_then(|t| t.render(&vars))
                .map_err(|e| engine_error(&e, origin))
        };
        Ok(Rendered {
            subject: header_value(&part("subject")?),
            text: part("txt")?,
            html: part("html")?,
            locale: tag,
        })
    }

    /// One template: no variable its kind lacks, and it renders.
    fn check(&self, name: &str, source: &Source) -> Result<(), TemplateError> {
        let kind = name
            .split_once('/')
            .and_then(|(_, file)| file.rsplit_once('.'))
            .map(|(kind, _)| kind);
        let own = kind
            .and_then(|kind| KINDS.iter().find(|k| k.name == kind))
            .map_or(&[][..], |spec| spec.variables);
        let template = self
            .env
            .get_template(name)
            .map_err(|e| engine_error(&e, &source.origin))?;
        let allowed = |var: &str| {
            COMMON_VARIABLES.contains(&var) || own.contains(&var) || ENGINE_NAMES.contains(&var)
        };
        let mut unknown: Vec<String> = template
            .undeclared_variables(false)
            .into_iter()
            .filter(|var| !allowed(var))
            .collect();
        unknown.sort();
        if let Some(var) = unknown.first() {
            let mut known: Vec<&str> = COMMON_VARIABLES.to_vec();
            known.extend(own);
            return Err(TemplateError {
                file: source.origin.clone(),
                line: line_of(&source.text, var),
                message: format!(
                    "unknown variable `{var}`; {} has {}",
                    kind.unwrap_or("the layout"),
                    known.join(", ")
                ),
            });
        }
        template
            .render(sample_values(name))
            .map(drop)
            .map_err(|e| engine_error(&e, &source.origin))
    }
}

/// Values of the right type for every variable, for the start-time check
/// and `authd mail preview`.
pub fn sample_values(name: &str) -> BTreeMap<&'static str, Value> {
    let locale = name.split_once('/').map_or("en", |(tag, _)| tag);
    BTreeMap::from([
        ("product_name", Value::from("authd")),
        ("email", Value::from("ada@example.com")),
        ("display_name", Value::from("Ada")),
        ("locale", Value::from(locale)),
        (
            "link",
            Value::from("https://app.example.com/verify-email?token=sample"),
        ),
        ("link_color", Value::from("#2563eb")),
        ("expires_in_hours", Value::from(24)),
        ("expires_in_minutes", Value::from(10)),
        ("remaining", Value::from(3)),
        ("provider", Value::from("GitHub")),
        ("code", Value::from("123456")),
    ])
}

/// Which kinds each locale has; a kind of an added locale must have all
/// three files.
fn locales_of(
    files: &BTreeMap<String, Source>,
) -> Result<BTreeMap<String, BTreeSet<&'static str>>, TemplateError> {
    let mut locales: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    for (name, source) in files {
        let Some((tag, file)) = name.split_once('/') else {
            continue;
        };
        let Some(spec) = KINDS.iter().find(|k| {
            file.rsplit_once('.')
                .is_some_and(|(kind, _)| kind == k.name)
        }) else {
            continue;
        };
        let missing: Vec<&str> = PARTS
            .iter()
            .filter(|part| !files.contains_key(&format!("{tag}/{}.{part}", spec.name)))
            .copied()
            .collect();
        if !missing.is_empty() {
            return Err(TemplateError::file(
                &source.origin,
                format!(
                    "`{}` in `{tag}` needs all of .subject, .txt and .html; missing .{}",
                    spec.name,
                    missing.join(", .")
                ),
            ));
        }
        locales.entry(tag.to_owned()).or_default().insert(spec.name);
    }
    Ok(locales)
}

/// Reads `dir/layout.html` and `dir/<locale>/<kind>.<part>` over the
/// built-in files.
fn read_overrides(dir: &Path, files: &mut BTreeMap<String, Source>) -> Result<(), TemplateError> {
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|e| {
            TemplateError::file(path.display().to_string(), format!("cannot read: {e}"))
        })
    };
    let entries = std::fs::read_dir(dir)
        .map_err(|e| TemplateError::file(dir.display().to_string(), format!("cannot read: {e}")))?;
    for entry in entries {
        let path = entry
            .map_err(|e| TemplateError::file(dir.display().to_string(), e.to_string()))?
            .path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        if path.is_file() {
            // Other files (a README) may sit beside the locale folders.
            if name == LAYOUT {
                let text = read(&path)?;
                let origin = path.display().to_string();
                files.insert(LAYOUT.to_owned(), Source { text, origin });
            }
            continue;
        }
        let Some(tag) = locale::normalize(name) else {
            return Err(TemplateError::file(
                path.display().to_string(),
                "a folder here must be named by a language tag (en, de, pt-BR)",
            ));
        };
        let inner = std::fs::read_dir(&path).map_err(|e| {
            TemplateError::file(path.display().to_string(), format!("cannot read: {e}"))
        })?;
        for file in inner {
            let file = file
                .map_err(|e| TemplateError::file(path.display().to_string(), e.to_string()))?
                .path();
            let Some(file_name) = file.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if file_name.starts_with('.') {
                continue;
            }
            let known = file_name.rsplit_once('.').is_some_and(|(kind, part)| {
                KINDS.iter().any(|k| k.name == kind) && PARTS.contains(&part)
            });
            if !known {
                let kinds: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
                return Err(TemplateError::file(
                    file.display().to_string(),
                    format!(
                        "not a mail template: the name must be <kind>.subject, <kind>.txt or <kind>.html, with a kind of {}",
                        kinds.join(", ")
                    ),
                ));
            }
            let text = read(&file)?;
            let origin = file.display().to_string();
            files.insert(format!("{tag}/{file_name}"), Source { text, origin });
        }
    }
    Ok(())
}

/// A minijinja error as `file:line: what`; an error inside the layout
/// names the layout.
fn engine_error(e: &minijinja::Error, origin: &str) -> TemplateError {
    let message = match e.detail() {
        Some(detail) => format!("{}: {detail}", e.kind()),
        None => e.kind().to_string(),
    };
    let file = match e.name() {
        Some(LAYOUT) if !origin.ends_with(LAYOUT) && !origin.contains("layout.html ") => {
            format!("{LAYOUT} (used by {origin})")
        }
        _ => origin.to_owned(),
    };
    TemplateError {
        file,
        line: e.line(),
        message,
    }
}

/// The first line that names `var` as a whole word.
fn line_of(text: &str, var: &str) -> Option<usize> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    text.lines()
        .position(|line| {
            line.match_indices(var).any(|(at, _)| {
                let before = line[..at].chars().next_back();
                let after = line[at + var.len()..].chars().next();
                !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
            })
        })
        .map(|index| index + 1)
}

/// A header value: no control characters (a name with a line break cannot
/// add a header), whitespace runs as one space.
pub fn header_value(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, file: &str, text: &str) {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn vars() -> BTreeMap<&'static str, Value> {
        sample_values("en/verification.txt")
    }

    #[test]
    fn every_built_in_kind_renders_in_every_built_in_locale() {
        let catalog = Catalog::load(None).unwrap();
        for tag in BUILT_IN_LOCALES {
            assert!(catalog.is_complete(tag), "{tag}");
            for kind in &KINDS {
                let mail = catalog.render(kind.name, Some(tag), "en", vars()).unwrap();
                assert_eq!(mail.locale, tag);
                assert!(!mail.subject.is_empty() && !mail.subject.contains('\n'));
                assert!(
                    mail.text
                        .contains("https://app.example.com/verify-email?token=sample")
                );
                assert!(mail.html.contains(&format!("<html lang=\"{tag}\">")));
            }
        }
    }

    #[test]
    fn a_regional_tag_falls_back_to_its_language_then_the_default() {
        let catalog = Catalog::load(None).unwrap();
        let de = catalog
            .render("verification", Some("de-AT"), "en", vars())
            .unwrap();
        assert_eq!(de.locale, "de");
        let other = catalog
            .render("verification", Some("ja-JP"), "fr", vars())
            .unwrap();
        assert_eq!(other.locale, "fr");
        assert_eq!(catalog.negotiate("ja, es-MX;q=0.9, de;q=0.5"), Some("es"));
        assert_eq!(catalog.negotiate("ja"), None);
    }

    #[test]
    fn values_are_escaped_in_html_only_and_headers_lose_control_characters() {
        let catalog = Catalog::load(None).unwrap();
        let mut values = vars();
        values.insert("display_name", Value::from("<script>x</script>"));
        values.insert("product_name", Value::from("Evil\r\nBcc: x@example.com"));
        let mail = catalog
            .render("password_changed", Some("en"), "en", values)
            .unwrap();
        assert!(
            mail.html.contains("&lt;script&gt;x&lt;&#x2f;script&gt;"),
            "{}",
            mail.html
        );
        assert!(!mail.html.contains("<script>"));
        assert!(mail.text.contains("<script>x</script>"));
        assert_eq!(
            mail.subject,
            "Your Evil Bcc: x@example.com password was changed"
        );
    }

    #[test]
    fn an_override_replaces_one_file_and_a_new_folder_adds_a_locale() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "de/verification.subject",
            "Willkommen bei {{ product_name }}",
        );
        for part in PARTS {
            write(
                dir.path(),
                &format!("pt-br/verification.{part}"),
                "Olá {{ email }}",
            );
        }
        let catalog = Catalog::load(Some(dir.path())).unwrap();
        let de = catalog
            .render("verification", Some("de"), "en", vars())
            .unwrap();
        assert_eq!(de.subject, "Willkommen bei authd");
        assert!(de.text.contains("bestätigen"), "{}", de.text);
        let pt = catalog
            .render("verification", Some("pt-BR"), "en", vars())
            .unwrap();
        assert_eq!(
            (pt.locale.as_str(), pt.subject.as_str()),
            ("pt-BR", "Olá ada@example.com")
        );
        // pt-BR has no reset mail: the whole kind falls back.
        let reset = catalog
            .render("password_reset", Some("pt-BR"), "en", vars())
            .unwrap();
        assert_eq!(reset.locale, "en");
    }

    #[test]
    fn an_unknown_variable_or_a_syntax_error_names_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "fr/password_reset.txt",
            "Bonjour,\n\n{{ link }}\n{{ cod }}\n",
        );
        let e = Catalog::load(Some(dir.path())).unwrap_err();
        assert!(e.file.ends_with("fr/password_reset.txt"), "{e}");
        assert_eq!(e.line, Some(4), "{e}");
        assert!(e.message.contains("`cod`"), "{e}");

        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "en/verification.html",
            "<p>\n{% if link %}\n{{ link }\n",
        );
        let e = Catalog::load(Some(dir.path())).unwrap_err();
        assert!(e.file.ends_with("en/verification.html"), "{e}");
        assert_eq!(e.line, Some(3), "{e}");

        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "en/verifcation.txt", "x");
        let e = Catalog::load(Some(dir.path())).unwrap_err();
        assert!(e.message.contains("not a mail template"), "{e}");
    }
}
