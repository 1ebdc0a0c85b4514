//! What each command-line command does.
//!
//! Nothing here prints with `println!`, which panics when standard output is closed (`| head`).
//! A command's report of what it did goes through `report`: the work is done, so a report
//! that cannot be written is noted on standard error and the command still succeeds. Output
//! that is the command's product (demo data, the migration list) goes through `data`: when
//! it cannot all be written the command fails.

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use migration::{Migrator, MigratorTrait};
use sea_orm_migration::MigrationStatus;

use crate::app::{App, AppError};
use crate::config::{
    Cli, Command, Config, ConfigError, DemoKind, ImportKind, MigrateAction, PersonKeyArgs,
    PtableArgs, ServeArgs, StoreArgs,
};
use crate::domain::geography::Geography;
use crate::import::{self, ImportError};
use crate::store::{self, StoreError, redact_url};

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// A setting is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The server failed to start or stopped with an error.
    #[error(transparent)]
    App(#[from] AppError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A load failed; nothing was written.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The command's output could not all be written to standard output.
    #[error("{what} was not all written: {}", stdout_problem(.source))]
    Output {
        /// What was being written.
        what: &'static str,
        /// The cause.
        source: std::io::Error,
    },
}

/// Why writing to standard output failed, in words.
fn stdout_problem(e: &io::Error) -> String {
    if e.kind() == io::ErrorKind::BrokenPipe {
        "standard output was closed".to_owned()
    } else {
        format!("cannot write to standard output: {e}")
    }
}

/// Writes a report of work already done to standard output. When it cannot be written (the
/// reader went away), says so once on standard error and carries on: `done` says what was
/// done all the same.
fn report(done: &str, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) {
    let mut out = io::BufWriter::new(io::stdout().lock());
    if let Err(e) = write(&mut out).and_then(|()| out.flush()) {
        note(&format!(
            "note: {done}, but the report was not written: {}",
            stdout_problem(&e)
        ));
    }
}

/// Writes output that is the command's product (`what`) to standard output; failing to write
/// all of it fails the command.
fn data(
    what: &'static str,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), CommandError> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    write(&mut out)
        .and_then(|()| out.flush())
        .map_err(|source| CommandError::Output { what, source })
}

/// Writes a line to standard error. Errors are ignored: there is nowhere left to report them,
/// and the exit code still says how the command went.
pub fn note(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

/// Runs the command the user asked for.
pub async fn run(cli: Cli) -> Result<ExitCode, CommandError> {
    match cli.command {
        None => serve(&cli.serve).await,
        Some(Command::Serve(args)) => serve(&args).await,
        Some(Command::Migrate { action, store }) => migrate(action, &store).await,
        Some(Command::LoadReference { store }) => load_reference(&store).await,
        Some(Command::Import {
            kind: ImportKind::Workforce { file, store, key },
        }) => import_workforce(&file, &store, &key).await,
        Some(Command::Import {
            kind:
                ImportKind::Indicators {
                    file,
                    definitions,
                    store,
                },
        }) => import_pair(Pair::Indicators, &file, definitions.as_deref(), &store).await,
        Some(Command::Import {
            kind:
                ImportKind::Programmes {
                    file,
                    programmes,
                    store,
                },
        }) => import_pair(Pair::Programmes, &file, programmes.as_deref(), &store).await,
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

/// Writes the perturbation table in use; a file is written whole or not at all (it is written
/// beside its destination, then renamed).
fn write_ptable(out: &Path, args: &PtableArgs) -> Result<ExitCode, CommandError> {
    let table = args.load()?;
    if out.as_os_str() == "-" {
        data("the perturbation table", |stdout| table.write_csv(stdout))?;
        return Ok(ExitCode::SUCCESS);
    }
    let file_error = |source| CommandError::File {
        path: out.display().to_string(),
        source,
    };
    let mut partial = out.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let written = std::fs::File::create(&partial)
        .and_then(|mut file| {
            table.write_csv(&mut file)?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&partial, out));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(file_error(e));
    }
    note(&format!(
        "Wrote the perturbation table {} (sha256 {}) to {}",
        table.name(),
        table.sha256(),
        out.display()
    ));
    Ok(ExitCode::SUCCESS)
}

async fn serve(args: &ServeArgs) -> Result<ExitCode, CommandError> {
    let config = Config::try_from(args)?;
    if std::env::var_os("ROUND_COUNTS").is_some() {
        tracing::warn!(
            "ROUND_COUNTS is retired and ignored: every count is now protected by cell key perturbation (see the README's disclosure section)"
        );
    }
    let store = redact_url(&config.database_url);
    let graphiql = config.graphiql;
    let app = App::build(config).await?;
    let addr = app.local_addr()?;
    report("the server is running", |out| {
        writeln!(out, "Store: {store}")?;
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

async fn migrate(action: MigrateAction, args: &StoreArgs) -> Result<ExitCode, CommandError> {
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

async fn load_reference(args: &StoreArgs) -> Result<ExitCode, CommandError> {
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
                "  {:4} published values not loaded (areas the bundled geography lacks):",
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
async fn prepared_store(url: &str) -> Result<sea_orm::DatabaseConnection, CommandError> {
    let db = store::connect(url).await?;
    let txn = store::begin_setup(&db).await?;
    import::reference::load_if_empty(&txn).await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(db)
}

async fn import_workforce(
    path: &Path,
    store_args: &StoreArgs,
    key: &PersonKeyArgs,
) -> Result<ExitCode, CommandError> {
    let key = key.key()?;
    let url = store_args.database_url()?;
    let file = open(path)?;
    let name = display_name(path);
    let db = prepared_store(&url).await?;

    let started = std::time::Instant::now();
    let summary = import::workforce::import(&db, &name, file, &key).await?;
    store::workforce::refresh_statistics(&db).await?;
    report("the import was committed", |out| {
        writeln!(
            out,
            "Imported {} staff records from {name} in {:.1} s (one transaction):",
            summary.rows,
            started.elapsed().as_secs_f64()
        )?;
        for (employer, year, rows, replaced) in &summary.snapshots {
            let verb = if *replaced { "replaced" } else { "new" };
            writeln!(out, "  {employer} {year}: {rows} records ({verb})")?;
        }
        writeln!(out, "Declaration rate (background group known):")?;
        for (measure, rate) in summary.declaration_rates() {
            writeln!(out, "  {:20} {:5.1}%", measure.column(), rate * 100.0)?;
        }
        Ok(())
    });
    Ok(ExitCode::SUCCESS)
}

/// Opens a file to import, naming it in the error.
fn open(path: &Path) -> Result<std::io::BufReader<std::fs::File>, CommandError> {
    std::fs::File::open(path)
        .map(std::io::BufReader::new)
        .map_err(|source| CommandError::File {
            path: path.display().to_string(),
            source,
        })
}

/// A file's name as problems cite it.
fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

type ImportFile = import::Input<std::io::BufReader<std::fs::File>>;

/// A file to import and its companion: the one given, or else the file named `companion`
/// beside it when there is one.
fn with_companion(
    path: &Path,
    given: Option<&Path>,
    companion: &str,
) -> Result<(ImportFile, Option<ImportFile>), CommandError> {
    let input = |path: &Path| -> Result<ImportFile, CommandError> {
        Ok(import::Input {
            name: display_name(path),
            reader: open(path)?,
        })
    };
    let companion = given.map(Path::to_path_buf).or_else(|| {
        let other = path.with_file_name(companion);
        (other.is_file() && other != path).then_some(other)
    });
    Ok((input(path)?, companion.as_deref().map(input).transpose()?))
}

/// The kinds of import that read a file and its companion.
#[derive(Clone, Copy)]
enum Pair {
    /// Indicator values, with their definitions.
    Indicators,
    /// Programme figures, with the programmes' descriptions.
    Programmes,
}

/// Imports a file and its companion (given, or found beside it by its usual name).
async fn import_pair(
    kind: Pair,
    path: &Path,
    companion: Option<&Path>,
    store_args: &StoreArgs,
) -> Result<ExitCode, CommandError> {
    let url = store_args.database_url()?;
    let usual = match kind {
        Pair::Indicators => "indicators.csv",
        Pair::Programmes => "programmes.csv",
    };
    let (main, companion) = with_companion(path, companion, usual)?;
    let db = prepared_store(&url).await?;
    let (what, per_code, noun) = match kind {
        Pair::Indicators => {
            let summary = import::indicators::import(&db, main, companion).await?;
            let n = summary.definitions;
            (
                format!("{n} indicator definition(s)"),
                summary.values,
                "value",
            )
        }
        Pair::Programmes => {
            let summary = import::programmes::import(&db, main, companion).await?;
            let n = summary.programmes;
            (format!("{n} programme(s)"), summary.figures, "figure")
        }
    };
    let total: usize = per_code.values().sum();
    report("the import was committed", |out| {
        writeln!(
            out,
            "Imported {what} and {total} {noun}(s) (one transaction):"
        )?;
        for (code, n) in &per_code {
            writeln!(out, "  {code}: {n} {noun}(s)")?;
        }
        Ok(())
    });
    Ok(ExitCode::SUCCESS)
}

/// Writes demo data that comes as a pair of files (each with what it holds and its name)
/// into `dir` with `write`.
fn demo_pair(
    dir: &Path,
    seed: u64,
    [(first_holds, first), (second_holds, second)]: [(&str, &str); 2],
    write: fn(DemoWriter, DemoWriter, &Geography, u64) -> Result<usize, csv::Error>,
) -> Result<ExitCode, CommandError> {
    let ((first_path, first), (second_path, second)) = demo_files(dir, first, second)?;
    let geography = import::reference::geography()?;
    let written = write(first, second, &geography, seed).map_err(|e| CommandError::File {
        path: dir.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    })?;
    note(&format!(
        "Wrote synthetic {first_holds} to {} and {written} {second_holds} (seed {seed}) to {}",
        first_path.display(),
        second_path.display()
    ));
    Ok(ExitCode::SUCCESS)
}

type DemoWriter = std::io::BufWriter<std::fs::File>;

type DemoFile = (std::path::PathBuf, DemoWriter);

/// Creates `dir` and two files in it, for demo data that comes as a pair.
fn demo_files(dir: &Path, first: &str, second: &str) -> Result<(DemoFile, DemoFile), CommandError> {
    if dir.as_os_str() == "-" {
        return Err(ConfigError {
            name: "--out",
            reason: "this demo data is two files: give a directory".to_owned(),
        }
        .into());
    }
    let file_error = |path: &Path| {
        let path = path.display().to_string();
        move |source| CommandError::File { path, source }
    };
    std::fs::create_dir_all(dir).map_err(file_error(dir))?;
    let create = |name: &str| -> Result<DemoFile, CommandError> {
        let path = dir.join(name);
        let file = std::fs::File::create(&path).map_err(file_error(&path))?;
        Ok((path, std::io::BufWriter::new(file)))
    };
    Ok((create(first)?, create(second)?))
}

fn demo_data(out: &Path, records: u64, seed: u64) -> Result<ExitCode, CommandError> {
    let file_error = |source| CommandError::File {
        path: out.display().to_string(),
        source,
    };
    let csv_error = |e: csv::Error| file_error(csv_io_error(e));
    let written = if out.as_os_str() == "-" {
        let mut written = 0;
        // The records are the product: a reader that goes away early fails the command.
        data("the demo data", |stdout| {
            written = crate::demo::write_csv(stdout, records, seed).map_err(csv_io_error)?;
            Ok(())
        })?;
        written
    } else {
        let file = std::fs::File::create(out).map_err(file_error)?;
        let n = crate::demo::write_csv(std::io::BufWriter::new(file), records, seed)
            .map_err(csv_error)?;
        note(&format!(
            "Wrote {n} synthetic staff records (seed {seed}) to {}",
            out.display()
        ));
        n
    };
    tracing::debug!(written, "demo data written");
    Ok(ExitCode::SUCCESS)
}

/// The I/O error inside a CSV writer's error, or the error itself as one.
fn csv_io_error(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(source) => source,
        other => io::Error::other(format!("{other:?}")),
    }
}

fn export_schema(check: bool, path: &Path) -> Result<ExitCode, CommandError> {
    let sdl = crate::graphql::sdl();
    let file_error = |source| CommandError::File {
        path: path.display().to_string(),
        source,
    };
    if !check {
        std::fs::write(path, &sdl).map_err(file_error)?;
        report("the schema was written", |out| {
            writeln!(out, "Wrote {}", path.display())
        });
        return Ok(ExitCode::SUCCESS);
    }
    let on_disk = std::fs::read_to_string(path).map_err(file_error)?;
    match schema_drift(&on_disk, &sdl) {
        None => {
            report("the schema is up to date", |out| {
                writeln!(out, "{} is up to date.", path.display())
            });
            Ok(ExitCode::SUCCESS)
        }
        Some(summary) => {
            note(&format!(
                "{} is out of date with the server's schema: {summary}\n\
                 Run `mobility-explorer export-schema` to update it.",
                path.display()
            ));
            Ok(ExitCode::FAILURE)
        }
    }
}

/// A summary of how the checked-in SDL differs from the exported one, or `None` if equal.
pub fn schema_drift(on_disk: &str, exported: &str) -> Option<String> {
    if on_disk == exported {
        return None;
    }
    let diff = similar::TextDiff::from_lines(on_disk, exported);
    let (mut added, mut removed) = (0, 0);
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Insert => added += 1,
            similar::ChangeTag::Delete => removed += 1,
            similar::ChangeTag::Equal => {}
        }
    }
    let unified = diff
        .unified_diff()
        .context_radius(2)
        .header("checked in", "exported")
        .to_string();
    let shown: Vec<&str> = unified.lines().take(40).collect();
    Some(format!(
        "{added} line(s) to add, {removed} to remove\n{}",
        shown.join("\n")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_schemas_have_no_drift() {
        assert_eq!(schema_drift("type A {}\n", "type A {}\n"), None);
    }

    #[test]
    fn drift_counts_added_and_removed_lines() {
        let summary = schema_drift("a\nb\nc\n", "a\nB\nc\nd\n").expect("differs");
        assert!(
            summary.starts_with("2 line(s) to add, 1 to remove"),
            "{summary}"
        );
        assert!(summary.contains("+B"));
    }
}
