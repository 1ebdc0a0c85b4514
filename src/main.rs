//! `mobility-explorer`: serve the API, migrate the store, load reference data, export the schema.

use std::process::ExitCode;

use clap::Parser;
use mobility_explorer::commands;
use mobility_explorer::config::Cli;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm_migration=warn"));
    // Logs go to standard error: standard output carries reports and data (`demo-data`).
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match commands::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            commands::note(&format!("error: {e}"));
            ExitCode::FAILURE
        }
    }
}
