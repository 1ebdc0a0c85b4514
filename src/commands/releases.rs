//! `release publish` and `release list`: the drafts employers submitted become a numbered
//! release, which the public is answered from.

use std::process::ExitCode;

use crate::config::{ReleaseAction, StoreArgs};
use crate::service::ServiceError;
use crate::service::releases::{self, Publisher};
use crate::store;

use super::output::{CommandError, data, date, report};
use super::server::prepared_store;

/// Runs `release publish` or `release list`.
pub(super) async fn release(action: ReleaseAction) -> Result<ExitCode, CommandError> {
    match action {
        ReleaseAction::Publish {
            notes,
            corrects,
            store,
        } => publish(&notes, corrects, &store).await,
        ReleaseAction::List { store } => list(&store).await,
    }
}

async fn publish(
    notes: &str,
    corrects: Option<i32>,
    store_args: &StoreArgs,
) -> Result<ExitCode, CommandError> {
    let db = prepared_store(&store_args.database_url()?).await?;
    let made = match releases::publish(&db, Publisher::CommandLine, notes, corrects).await {
        Ok(Some(made)) => made,
        Ok(None) => {
            return Err(CommandError::Refused(
                "there is no draft to publish: every import is already in a release".to_owned(),
            ));
        }
        Err(ServiceError::Store(e)) => return Err(e.into()),
        Err(other) => return Err(CommandError::Refused(other.to_string())),
    };
    report("the release was published", |out| {
        let r = &made.release;
        writeln!(
            out,
            "Published release {}: {} snapshot(s), {} staff records.",
            r.number,
            made.snapshots.len(),
            made.snapshots.iter().map(|s| s.records).sum::<i64>()
        )?;
        for s in &made.snapshots {
            match s.replaces_release {
                Some(earlier) => writeln!(
                    out,
                    "  {} {}: corrects release {earlier}'s figures",
                    s.employer, s.year
                )?,
                None => writeln!(out, "  {} {}: first published", s.employer, s.year)?,
            }
        }
        Ok(())
    });
    Ok(ExitCode::SUCCESS)
}

async fn list(store_args: &StoreArgs) -> Result<ExitCode, CommandError> {
    let db = prepared_store(&store_args.database_url()?).await?;
    let all = store::releases::list(&db).await?;
    data("the release list", |out| {
        writeln!(out, "release\tpublished\tcorrects\tby\tnotes")?;
        for r in &all {
            let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}",
                r.number,
                date(r.published_at),
                r.corrects.map_or("-".to_owned(), |n| n.to_string()),
                clean(&r.published_by),
                clean(&r.notes)
            )?;
        }
        Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
