//! Commands about the server and its store: serve, migrate, load the reference data.

use std::process::ExitCode;

use migration::{Migrator, MigratorTrait};
use sea_orm_migration::MigrationStatus;

use crate::app::App;
use crate::config::{Config, MigrateAction, ServeArgs, StoreArgs};
use crate::import;
use crate::store::{self, StoreError, redact_url};

use super::output::{CommandError, data, report};

pub(super) async fn serve(args: &ServeArgs) -> Result<ExitCode, CommandError> {
    let config = Config::try_from(args)?;
    if std::env::var_os("ROUND_COUNTS").is_some() {
        tracing::warn!(
            "ROUND_COUNTS is retired and ignored: every count is now protected by cell key perturbation (see docs/disclosure.md)"
        );
    }
    let store = redact_url(&config.database_url);
    let graphiql = config.graphiql;
    let explorer = config.explorer;
    let app = App::build(config).await?;
    let addr = app.local_addr()?;
    report("the server is running", |out| {
        writeln!(out, "Store: {store}")?;
        if explorer {
            writeln!(out, "Explorer: http://{addr}/")?;
        }
        if graphiql {
            writeln!(out, "GraphiQL: http://{addr}/graphql")
        } else {
            writeln!(out, "API: http://{addr}/graphql")
        }
    });
    tracing::info!(%addr, "serving");
    app.run_until(shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

pub(super) async fn migrate(
    action: MigrateAction,
    args: &StoreArgs,
) -> Result<ExitCode, CommandError> {
    let db = store::connect(&args.database_url()?).await?;
    match action {
        MigrateAction::Up => {
            let txn = store::begin_setup(&db).await?;
            txn.commit().await.map_err(StoreError::from)?;
            report("the migrations were applied", |out| {
                writeln!(out, "All migrations applied.")
            });
        }
        MigrateAction::Down { steps } => {
            Migrator::down(&db, Some(steps))
                .await
                .map_err(StoreError::from)?;
            report("the migrations were reverted", |out| {
                writeln!(out, "Reverted {steps} migration(s).")
            });
        }
        MigrateAction::Status => {
            let migrations = Migrator::get_migration_with_status(&db)
                .await
                .map_err(StoreError::from)?;
            data("the migration list", |out| {
                for m in migrations {
                    let status = match m.status() {
                        MigrationStatus::Applied => "applied",
                        MigrationStatus::Pending => "pending",
                    };
                    writeln!(out, "{status:8} {}", m.name())?;
                }
                Ok(())
            })?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn load_reference(args: &StoreArgs) -> Result<ExitCode, CommandError> {
    let db = store::connect(&args.database_url()?).await?;
    let txn = store::begin_setup(&db).await?;
    let summary = import::reference::load(&txn).await?;
    txn.commit().await.map_err(StoreError::from)?;
    report("the reference data was loaded", |out| {
        writeln!(out, "Reference data loaded (one transaction):")?;
        for (level, n) in &summary.areas {
            writeln!(out, "  {n:4} areas at level {level}")?;
        }
        writeln!(out, "  {:4} alternative codes", summary.alt_codes)?;
        writeln!(
            out,
            "  {:4} reference population shares",
            summary.reference_shares
        )?;
        writeln!(
            out,
            "  {:4} published indicator values (Social Mobility Commission)",
            summary.indicator_values
        )?;
        writeln!(
            out,
            "  {:4} published programme figures (Ministry of Justice)",
            summary.programme_figures
        )?;
        if !summary.left_out.is_empty() {
            writeln!(
                out,
                "  {:4} published values not loaded, each with its reason:",
                summary.left_out.len()
            )?;
            for line in &summary.left_out {
                writeln!(out, "       {line}")?;
            }
        }
        Ok(())
    });
    Ok(ExitCode::SUCCESS)
}

/// Connects to the store, migrated and holding the reference data, which imports are
/// checked against.
pub(super) async fn prepared_store(url: &str) -> Result<sea_orm::DatabaseConnection, CommandError> {
    let db = store::connect(url).await?;
    let txn = store::begin_setup(&db).await?;
    import::reference::load_if_stale(&txn).await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(db)
}
