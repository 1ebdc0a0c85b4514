//! `snapshots list` and `snapshots delete`: what workforce data the store holds, and taking
//! one employer-year out of it.

use std::process::ExitCode;

use crate::config::{SnapshotsAction, StoreArgs};
use crate::domain::workforce::employer_named;
use crate::store::{self, StoreError, workforce::Employer};

use super::output::{CommandError, data, date, report};
use super::server::prepared_store;

/// Runs `snapshots list` or `snapshots delete`.
pub(super) async fn snapshots(action: SnapshotsAction) -> Result<ExitCode, CommandError> {
    match action {
        SnapshotsAction::List { store } => list(&store).await,
        SnapshotsAction::Delete {
            employer,
            year,
            store,
        } => delete(&employer, year, &store).await,
    }
}

async fn list(store_args: &StoreArgs) -> Result<ExitCode, CommandError> {
    let db = prepared_store(&store_args.database_url()?).await?;
    let employers = store::workforce::employers(&db).await?;
    let ids: Vec<i32> = employers.iter().map(|e| e.id).collect();
    let snapshots = store::workforce::snapshots(&db, &ids).await?;
    data("the snapshot list", |out| {
        writeln!(out, "employer\tyear\trelease\trecords\tsource\timported")?;
        for e in &employers {
            for s in snapshots.iter().filter(|s| s.employer_id == e.id) {
                let source = s.source.replace(['\t', '\n', '\r'], " ");
                let when = date(s.imported_at);
                let release = s.release.map_or("draft".to_owned(), |r| r.to_string());
                writeln!(
                    out,
                    "{}\t{}\t{release}\t{}\t{source}\t{when}",
                    e.code, s.year, s.records
                )?;
            }
        }
        Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The years the employer has snapshots of, oldest first, each once (however many versions
/// it has).
pub(super) async fn stored_years(
    db: &impl sea_orm::ConnectionTrait,
    employer_id: i32,
) -> Result<Vec<String>, StoreError> {
    let mut years: Vec<String> = store::workforce::snapshots(db, &[employer_id])
        .await?
        .iter()
        .map(|s| s.year.to_string())
        .collect();
    years.dedup();
    Ok(years)
}

/// The stored employer `code` names (see [`employer_named`]).
pub(super) fn named<'a>(
    employers: &'a [Employer],
    code: &str,
) -> Result<&'a Employer, CommandError> {
    let code = code.trim();
    let codes: Vec<&str> = employers.iter().map(|e| e.code.as_str()).collect();
    match employer_named(&codes, code) {
        Ok(i) => Ok(&employers[i]),
        Err(none) if none.is_empty() => Err(CommandError::Refused(format!(
            "no stored employer has code `{code}`; `snapshots list` shows those there are"
        ))),
        Err(several) => Err(CommandError::Refused(format!(
            "`{code}` names {} (codes that differ only in case); give one exactly",
            several.join(" and ")
        ))),
    }
}

async fn delete(code: &str, year: i32, store_args: &StoreArgs) -> Result<ExitCode, CommandError> {
    let db = prepared_store(&store_args.database_url()?).await?;
    let employers = store::workforce::employers(&db).await?;
    let employer = named(&employers, code)?;
    let txn = store::begin_write(&db).await.map_err(StoreError::from)?;
    let gone = store::workforce::delete_snapshot(&txn, employer.id, year).await?;
    if gone.is_empty() {
        let years = stored_years(&txn, employer.id).await?;
        return Err(CommandError::Refused(format!(
            "{} has no snapshot of {year}; its snapshots: {}",
            employer.code,
            if years.is_empty() {
                "none".to_owned()
            } else {
                years.join(", ")
            }
        )));
    }
    // Servers drop the deleted figures when the version moves.
    store::version::bump(&txn).await?;
    txn.commit().await.map_err(StoreError::from)?;
    report("the snapshot was deleted", |out| {
        // Every version goes: a release that published one no longer shows the year.
        for version in &gone {
            let release = version
                .release
                .map_or("draft".to_owned(), |r| format!("release {r}"));
            writeln!(
                out,
                "Deleted {} {year}: {} staff records, imported from {} on {} ({release}), with their figures.",
                employer.code,
                version.records,
                version.source,
                date(version.imported_at)
            )?;
        }
        Ok(())
    });
    Ok(ExitCode::SUCCESS)
}
