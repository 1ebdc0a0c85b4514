//! Commands about files: importing data, writing demo data and the perturbation table.

use std::io;
use std::path::Path;
use std::process::ExitCode;

use crate::config::{ConfigError, PersonKeyArgs, PtableArgs, StoreArgs};
use crate::domain::geography::Geography;
use crate::import::{self, pipeline::Ending, workforce::Mode};
use crate::store;

use super::output::{CommandError, data, note, report};
use super::server::prepared_store;

/// Writes the perturbation table in use; a file is written whole or not at all (it is written
/// beside its destination, then renamed).
pub(super) fn write_ptable(out: &Path, args: &PtableArgs) -> Result<ExitCode, CommandError> {
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

pub(super) async fn import_workforce(
    path: &Path,
    mode: &Mode,
    store_args: &StoreArgs,
    key: &PersonKeyArgs,
) -> Result<ExitCode, CommandError> {
    let key = key.key()?;
    let url = store_args.database_url()?;
    let file = open(path)?;
    let name = display_name(path);
    let db = prepared_store(&url).await?;

    let started = std::time::Instant::now();
    let dry_run = mode.ending == Ending::RollBack;
    let outcome = import::workforce::import_as(&db, &name, file, &key, mode).await;
    if !dry_run {
        let rows = outcome.as_ref().ok().map(|s| s.rows);
        audited(&db, ("import.workforce", &name), &outcome, rows).await;
    }
    let summary = outcome?;
    if !dry_run {
        store::workforce::refresh_statistics(&db).await?;
    }
    let done = if dry_run {
        "the dry run wrote nothing"
    } else {
        "the import was committed"
    };
    report(done, |out| {
        let elapsed = started.elapsed().as_secs_f64();
        if dry_run {
            writeln!(
                out,
                "Dry run, nothing was written: {name} is valid, and importing it would write {} staff records (checked in {elapsed:.1} s):",
                summary.rows
            )?;
        } else {
            writeln!(
                out,
                "Imported {} staff records from {name} in {elapsed:.1} s (one transaction):",
                summary.rows
            )?;
        }
        for (employer, year, rows, replaced) in &summary.snapshots {
            let verb = match (replaced, dry_run) {
                (true, false) => "replaced",
                (false, false) => "new",
                (true, true) => "would replace the stored one",
                (false, true) => "would be new",
            };
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
pub(super) enum Pair {
    /// Indicator values, with their definitions.
    Indicators,
    /// Programme figures, with the programmes' descriptions.
    Programmes,
}

/// Imports a file and its companion (given, or found beside it by its usual name).
pub(super) async fn import_pair(
    kind: Pair,
    path: &Path,
    companion: Option<&Path>,
    ending: Ending,
    store_args: &StoreArgs,
) -> Result<ExitCode, CommandError> {
    let url = store_args.database_url()?;
    let usual = match kind {
        Pair::Indicators => "indicators.csv",
        Pair::Programmes => "programmes.csv",
    };
    let (main, companion) = with_companion(path, companion, usual)?;
    let db = prepared_store(&url).await?;
    let dry_run = ending == Ending::RollBack;
    let name = main.name.clone();
    let (what, per_code, noun) = match kind {
        Pair::Indicators => {
            let outcome = import::indicators::import_as(&db, main, companion, ending).await;
            if !dry_run {
                let rows = outcome
                    .as_ref()
                    .ok()
                    .map(|s| s.values.values().sum::<usize>() as u64);
                audited(&db, ("import.indicators", &name), &outcome, rows).await;
            }
            let summary = outcome?;
            let n = summary.definitions;
            (
                format!("{n} indicator definition(s)"),
                summary.values,
                "value",
            )
        }
        Pair::Programmes => {
            let outcome = import::programmes::import_as(&db, main, companion, ending).await;
            if !dry_run {
                let rows = outcome
                    .as_ref()
                    .ok()
                    .map(|s| s.figures.values().sum::<usize>() as u64);
                audited(&db, ("import.programmes", &name), &outcome, rows).await;
            }
            let summary = outcome?;
            let n = summary.programmes;
            (format!("{n} programme(s)"), summary.figures, "figure")
        }
    };
    let total: usize = per_code.values().sum();
    let done = if dry_run {
        "the dry run wrote nothing"
    } else {
        "the import was committed"
    };
    report(done, |out| {
        if dry_run {
            writeln!(
                out,
                "Dry run, nothing was written: the files are valid, and importing them would write {what} and {total} {noun}(s), each replacing a stored one with the same key:"
            )?;
        } else {
            writeln!(
                out,
                "Imported {what} and {total} {noun}(s) (one transaction):"
            )?;
        }
        for (code, n) in &per_code {
            writeln!(out, "  {code}: {n} {noun}(s)")?;
        }
        Ok(())
    });
    Ok(ExitCode::SUCCESS)
}

/// Writes demo data that comes as a pair of files (each with what it holds and its name)
/// into `dir` with `write`.
pub(super) fn demo_pair(
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

pub(super) fn demo_data(out: &Path, records: u64, seed: u64) -> Result<ExitCode, CommandError> {
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

/// Records a committed import's outcome (`action` on the file `name`) in the audit log; a
/// log that cannot be written is noted, and the import's own outcome stands.
async fn audited<T>(
    db: &sea_orm::DatabaseConnection,
    (action, name): (&str, &str),
    outcome: &Result<T, import::ImportError>,
    rows: Option<u64>,
) {
    let (outcome, detail) = match outcome {
        Ok(_) => ("accepted".to_owned(), None),
        Err(import::ImportError::Invalid(problems) | import::ImportError::Forbidden(problems)) => (
            format!(
                "refused: {} problem(s), nothing was written",
                problems.len()
            ),
            serde_json::to_value(problems).ok(),
        ),
        Err(import::ImportError::Store(e)) => (format!("failed: {e}"), None),
    };
    let event = store::access::Event {
        actor: "command line".to_owned(),
        action: action.to_owned(),
        subject: Some(name.to_owned()),
        outcome,
        rows: rows.map(|r| r as i64),
        detail,
        ..Default::default()
    };
    if let Err(e) = store::access::record(db, event).await {
        super::output::note(&format!("note: the audit log could not be written: {e}"));
    }
}
