//! The `import` and `export` subcommands: arguments, progress, report.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use super::firebase::FirebaseParams;
use super::import::{self, Options, Report};
use super::record::Format;
use crate::config::Settings;
use crate::db::Db;

/// A failed command: the line to print and the exit code (2 usage, 1
/// runtime, 3 records refused).
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: i32,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The file to read.
    pub file: PathBuf,
    /// What wrote it.
    #[arg(long, value_enum)]
    pub format: Format,
    /// Check and report everything, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Write `source_id,authd_id` lines for the users created.
    #[arg(long)]
    pub id_map: Option<PathBuf>,
    /// Firebase project's base64 signer key (or AUTH_IMPORT_FIREBASE_SIGNER_KEY).
    #[arg(long, env = "AUTH_IMPORT_FIREBASE_SIGNER_KEY", hide_env_values = true)]
    pub firebase_signer_key: Option<String>,
    /// Firebase project's base64 salt separator.
    #[arg(long)]
    pub firebase_salt_separator: Option<String>,
    /// Firebase project's scrypt rounds.
    #[arg(long)]
    pub firebase_rounds: Option<u32>,
    /// Firebase project's scrypt memory cost (log2 N).
    #[arg(long)]
    pub firebase_mem_cost: Option<u8>,
}

impl ImportArgs {
    fn firebase(&self) -> Result<Option<FirebaseParams>, Failure> {
        match (
            &self.firebase_signer_key,
            &self.firebase_salt_separator,
            self.firebase_rounds,
            self.firebase_mem_cost,
        ) {
            (None, None, None, None) => Ok(None),
            (Some(key), separator, Some(rounds), Some(mem_cost)) => {
                use base64::Engine;
                let separator = separator.clone().unwrap_or_default();
                for (flag, value) in [
                    ("--firebase-signer-key", key),
                    ("--firebase-salt-separator", &separator),
                ] {
                    if base64::engine::general_purpose::STANDARD
                        .decode(value.trim())
                        .is_err()
                    {
                        return Err(usage(format!("{flag}: not base64")));
                    }
                }
                Ok(Some(FirebaseParams {
                    signer_key: key.clone(),
                    salt_separator: separator,
                    rounds,
                    mem_cost,
                }))
            }
            _ => Err(usage(
                "--firebase-signer-key, --firebase-rounds and --firebase-mem-cost go together",
            )),
        }
    }
}

fn usage(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code: 2,
    }
}

fn runtime(message: impl std::fmt::Display) -> Failure {
    Failure {
        message: message.to_string(),
        code: 1,
    }
}

/// `authd import`: prints refused entries, then `created N, skipped M,
/// refused K`; exit 0, or 3 when K > 0.
/// `db` is open and migrated.
pub fn import(settings: &Settings, db: &Db, args: ImportArgs) -> Result<(), Failure> {
    let firebase = args.firebase()?;
    let content = std::fs::read_to_string(&args.file)
        .map_err(|e| runtime(format!("{}: {e}", args.file.display())))?;
    let entries = super::reader::read(args.format, &content, firebase.as_ref()).map_err(runtime)?;
    drop(content);
    if let Some(map) = &args.id_map
        && map.exists()
    {
        return Err(runtime(format!("{}: already exists", map.display())));
    }
    let audit = crate::auth::audit::AuditLog::new(&settings.audit, &settings.tokens.issuer);
    let options = Options {
        format: args.format,
        dry_run: args.dry_run,
        default_role: &settings.accounts.default_role,
        providers: settings
            .oidc
            .providers
            .iter()
            .map(|p| (p.issuer.clone(), p.name.clone()))
            .collect(),
    };
    let total = entries.len();
    let mut progress = Progress::new(total);
    // The whole import is blocking database work, on this CLI's one thread.
    let report = import::run(db, &audit, entries, &options, &mut |done| {
        progress.show(done);
    })
    .map_err(|e| runtime(format!("database: {e} (chunks already committed stay)")))?;
    progress.finish();
    if !args.dry_run
        && let Some(map) = &args.id_map
    {
        write_id_map(map, &report).map_err(|e| runtime(format!("{}: {e}", map.display())))?;
    }
    print_report(&report, args.dry_run);
    if report.refused() > 0 {
        return Err(Failure {
            message: format!("{} record(s) refused", report.refused()),
            code: 3,
        });
    }
    Ok(())
}

fn print_report(report: &Report, dry_run: bool) {
    let mut out = std::io::stdout().lock();
    for line in &report.refused_lines {
        let _ = writeln!(out, "{line}");
    }
    if dry_run {
        let _ = writeln!(out, "dry run: nothing was written");
    }
    let _ = writeln!(out, "{}", report.summary());
}

fn write_id_map(path: &std::path::Path, report: &Report) -> std::io::Result<()> {
    let file = crate::private_fs::options()
        .write(true)
        .create_new(true)
        .open(path)?;
    let mut out = std::io::BufWriter::new(file);
    for (source, id) in &report.id_map {
        writeln!(out, "{source},{id}")?;
    }
    out.flush()
}

/// A progress bar on a terminal; plain lines every 10,000 users otherwise.
enum Progress {
    Bar(indicatif::ProgressBar),
    Lines { total: usize, shown: usize },
}

impl Progress {
    fn new(total: usize) -> Self {
        if std::io::stderr().is_terminal() {
            Self::Bar(indicatif::ProgressBar::new(total as u64))
        } else {
            Self::Lines { total, shown: 0 }
        }
    }

    fn show(&mut self, done: usize) {
        match self {
            Self::Bar(bar) => bar.set_position(done as u64),
            Self::Lines { total, shown } => {
                if done >= *shown + 10_000 || done == *total {
                    *shown = done;
                    eprintln!("imported {done} of {total} records");
                }
            }
        }
    }

    fn finish(&self) {
        if let Self::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

/// `authd export FILE`; `db` is open and migrated.
pub fn export(db: &Db, file: &std::path::Path) -> Result<(), Failure> {
    let written = super::export::run(db, file).map_err(runtime)?;
    println!("exported {written} users to {}", file.display());
    Ok(())
}
