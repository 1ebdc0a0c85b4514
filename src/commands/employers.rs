//! `employers rename` and `employers delete`: putting right an employer a mistake created
//! (a code mistyped in a first import, say).

use std::process::ExitCode;

use crate::config::{EmployersAction, StoreArgs};
use crate::domain::workforce::employer_named;
use crate::store::{self, StoreError};

use super::output::{CommandError, report};
use super::server::prepared_store;
use super::snapshots::{named, stored_years};

/// Runs `employers rename` or `employers delete`.
pub(super) async fn employers(action: EmployersAction) -> Result<ExitCode, CommandError> {
    match action {
        EmployersAction::Rename {
            employer,
            to,
            store,
        } => rename(&employer, &to, &store).await,
        EmployersAction::Delete { employer, store } => delete(&employer, &store).await,
    }
}

async fn rename(code: &str, to: &str, store_args: &StoreArgs) -> Result<ExitCode, CommandError> {
    let to = to.trim();
    if to.is_empty() || to.chars().any(char::is_control) {
        return Err(CommandError::Refused(
            "`--to`: a code must be non-empty text without control characters".into(),
        ));
    }
    let db = prepared_store(&store_args.database_url()?).await?;
    let txn = store::begin_write(&db).await.map_err(StoreError::from)?;
    let employers = store::workforce::employers(&txn).await?;
    let employer = named(&employers, code)?;
    let codes: Vec<&str> = employers.iter().map(|e| e.code.as_str()).collect();
    // Codes ignore case: a new code another employer answers to would make both ambiguous.
    let taken = match employer_named(&codes, to) {
        Ok(i) => vec![codes[i]],
        Err(several) => several,
    };
    if let Some(other) = taken.iter().find(|c| **c != employer.code) {
        return Err(CommandError::Refused(format!(
            "`{to}` is already the code of {other} (codes ignore case); rename or delete that one first"
        )));
    }
    store::workforce::rename_employer(&txn, employer.id, to).await?;
    // Servers hold employer codes in memory: the new version makes them reload.
    store::version::bump(&txn).await?;
    txn.commit().await.map_err(StoreError::from)?;
    report("the employer was renamed", |out| {
        writeln!(
            out,
            "Renamed {} to {to}: its name, business units, grades and snapshots stay with it.",
            employer.code
        )
    });
    Ok(ExitCode::SUCCESS)
}

async fn delete(code: &str, store_args: &StoreArgs) -> Result<ExitCode, CommandError> {
    let db = prepared_store(&store_args.database_url()?).await?;
    let txn = store::begin_write(&db).await.map_err(StoreError::from)?;
    let employers = store::workforce::employers(&txn).await?;
    let employer = named(&employers, code)?;
    let years = stored_years(&txn, employer.id).await?;
    if !years.is_empty() {
        return Err(CommandError::Refused(format!(
            "{} still has snapshots ({}); take each out first with `snapshots delete --employer {} --year YEAR`",
            employer.code,
            years.join(", "),
            employer.code
        )));
    }
    let (units, grades) = store::workforce::delete_employer(&txn, employer.id).await?;
    store::version::bump(&txn).await?;
    txn.commit().await.map_err(StoreError::from)?;
    report("the employer was deleted", |out| {
        writeln!(
            out,
            "Deleted employer {} with its {units} business unit(s) and {grades} grade(s).",
            employer.code
        )
    });
    Ok(ExitCode::SUCCESS)
}
