//! `mobility-explorer`: serve the API, migrate the store, load reference data, export the schema.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use mobility_explorer::commands;
use mobility_explorer::config::{Cli, LogFormat};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    match commands::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            commands::note(&format!("error: {e}"));
            ExitCode::FAILURE
        }
    }
}

/// Logs go to standard error: standard output carries reports and data (`demo-data`).
fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm_migration=warn"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        // Colours only where a person reads them: in a file or a collector they are noise.
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        // The event's fields at the top level, beside its span's and every enclosing span's,
        // so each line carries the request's id whatever span it was written in.
        LogFormat::Json => logs
            .with_ansi(false)
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(true)
            .init(),
    }
}
