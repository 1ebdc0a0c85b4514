//! What each command-line command does.
//!
//! Nothing here prints with `println!`, which panics when standard output is closed (`| head`).
//! A command's report of what it did goes through `report`: the work is done, so a report
//! that cannot be written is noted on standard error and the command still succeeds. Output
//! that is the command's product (demo data, the migration list) goes through `data`: when
//! it cannot all be written the command fails.

mod employers;
mod files;
mod keys;
mod output;
mod releases;
mod schema;
mod server;
mod snapshots;

pub use output::{CommandError, note};
pub use schema::schema_drift;

use std::process::ExitCode;

use crate::config::{Cli, Command, DemoKind, ImportKind};
use crate::import::{
    pipeline::Ending,
    workforce::{Mode, NewEmployers, Publisher},
};
use files::{Pair, demo_data, demo_pair, import_pair, import_workforce, write_ptable};
use schema::export_schema;
use server::{load_reference, migrate, serve};

/// How an import asked for with `--dry-run` (or not) ends.
fn ending(dry_run: bool) -> Ending {
    if dry_run {
        Ending::RollBack
    } else {
        Ending::Commit
    }
}

/// Runs the command the user asked for.
pub async fn run(cli: Cli) -> Result<ExitCode, CommandError> {
    match cli.command {
        None => serve(&cli.serve).await,
        Some(Command::Serve(args)) => serve(&args).await,
        Some(Command::Migrate { action, store }) => migrate(action, &store).await,
        Some(Command::LoadReference { store }) => load_reference(&store).await,
        Some(Command::Snapshots { action }) => snapshots::snapshots(action).await,
        Some(Command::Keys { action }) => keys::keys(action).await,
        Some(Command::Audit { limit, store }) => keys::audit(limit, &store).await,
        Some(Command::Release { action }) => releases::release(action).await,
        Some(Command::Employers { action }) => employers::employers(action).await,
        Some(Command::Import {
            kind:
                ImportKind::Workforce {
                    file,
                    dry_run,
                    new_employer,
                    new_employers,
                    draft,
                    store,
                    key,
                },
        }) => {
            let mode = Mode {
                ending: ending(dry_run),
                new_employers: if new_employers {
                    NewEmployers::Any
                } else {
                    NewEmployers::Only(new_employer)
                },
                only_employer: None,
                idempotency: None,
                publish: (!draft).then_some(Publisher::CommandLine),
            };
            import_workforce(&file, &mode, &store, &key).await
        }
        Some(Command::Import {
            kind:
                ImportKind::Indicators {
                    file,
                    definitions,
                    dry_run,
                    store,
                },
        }) => {
            let companion = definitions.as_deref();
            import_pair(Pair::Indicators, &file, companion, ending(dry_run), &store).await
        }
        Some(Command::Import {
            kind:
                ImportKind::Programmes {
                    file,
                    programmes,
                    dry_run,
                    store,
                },
        }) => {
            let companion = programmes.as_deref();
            import_pair(Pair::Programmes, &file, companion, ending(dry_run), &store).await
        }
        Some(Command::DemoData {
            kind,
            out,
            records,
            seed,
        }) => match kind {
            DemoKind::Workforce => demo_data(&out, records, seed),
            DemoKind::Indicators => demo_pair(
                &out,
                seed,
                [
                    ("indicator definitions", "indicators.csv"),
                    ("values", "values.csv"),
                ],
                crate::demo::indicators::write_csvs,
            ),
            DemoKind::Programmes => demo_pair(
                &out,
                seed,
                [("programmes", "programmes.csv"), ("figures", "figures.csv")],
                crate::demo::programmes::write_csvs,
            ),
        },
        Some(Command::Ptable { out, ptable }) => write_ptable(&out, &ptable),
        Some(Command::ExportSchema { check, path }) => export_schema(check, &path),
    }
}
