//! authd's entry point: parse the command line, load settings, start
//! logging, run the command. Failures print one line; bad configuration
//! exits with code 2.

use clap::Parser;

use authd::cli::{self, Cli};
use authd::config::Settings;

fn main() {
    let cli = Cli::parse();
    // The generated docs need no configuration.
    if let cli::Command::Docs { dir } = &cli.command {
        if let Err(failure) = cli::write_docs(dir) {
            eprintln!("authd: {}", one_line(&failure.message));
            std::process::exit(failure.code);
        }
        return;
    }
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("authd: configuration error: {}", one_line(&e.to_string()));
            std::process::exit(2);
        }
    };
    let logs = authd::telemetry::init(settings.log_format);
    let result = actix_web::rt::System::new().block_on(cli::run(cli, settings));
    // Writes out the log lines still buffered (`process::exit` would lose them).
    drop(logs);
    if let Err(failure) = result {
        eprintln!("authd: {}", one_line(&failure.message));
        std::process::exit(failure.code);
    }
}

/// Failures print as one line, even when a driver's message has several.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
