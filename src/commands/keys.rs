//! `keys create|list|revoke` and `audit`: who may use the API beyond the public, and what
//! was done or refused with their keys.

use std::process::ExitCode;

use crate::config::{KeysAction, StoreArgs};
use crate::domain::access::Role;
use crate::store::{self, access::Event};

use super::output::{CommandError, data, date, note, report};
use super::server::prepared_store;
use super::snapshots::named;

/// Who acts from the command line, in the audit log.
const COMMAND_LINE: &str = "command line";

/// Runs `keys create`, `keys list` or `keys revoke`.
pub(super) async fn keys(action: KeysAction) -> Result<ExitCode, CommandError> {
    match action {
        KeysAction::Create {
            role,
            employer,
            name,
            store,
        } => create(&role, employer.as_deref(), &name, &store).await,
        KeysAction::List { store } => list(&store).await,
        KeysAction::Revoke { id, store } => revoke(id, &store).await,
    }
}

async fn create(
    role: &str,
    employer: Option<&str>,
    name: &str,
    store_args: &StoreArgs,
) -> Result<ExitCode, CommandError> {
    let role: Role = role
        .parse()
        .map_err(|e: crate::domain::access::UnknownRole| CommandError::Refused(e.to_string()))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(CommandError::Refused(
            "--name must say who holds the key".to_owned(),
        ));
    }
    let db = prepared_store(&store_args.database_url()?).await?;
    // An employer key names a stored employer, by its stored spelling.
    let employer = match (role, employer) {
        (Role::Employer, None) => {
            return Err(CommandError::Refused(
                "an employer key needs --employer CODE".to_owned(),
            ));
        }
        // A stored employer goes by its stored spelling; a new one is created by the key's
        // first submission (and by nothing else the key can do).
        (Role::Employer, Some(code)) => {
            let employers = store::workforce::employers(&db).await?;
            match named(&employers, code) {
                Ok(stored) => Some(stored.code.clone()),
                Err(_) if !code.trim().is_empty() => {
                    note(&format!(
                        "note: no stored employer has code `{}` yet: the key's first submission creates it",
                        code.trim()
                    ));
                    Some(code.trim().to_owned())
                }
                Err(e) => return Err(e),
            }
        }
        (_, Some(_)) => {
            return Err(CommandError::Refused(format!(
                "only an employer key has an employer; a {role} key takes no --employer"
            )));
        }
        (_, None) => None,
    };
    let (stored, key) = store::access::create_key(&db, name, role, employer.as_deref()).await?;
    let holder = &stored.holder;
    store::access::record(
        &db,
        Event {
            actor: COMMAND_LINE.to_owned(),
            action: "key.create".to_owned(),
            subject: Some(holder.describe()),
            outcome: "created".to_owned(),
            ..Event::default()
        },
    )
    .await?;
    let printed = data("the key", |out| {
        writeln!(out, "{key}")?;
        writeln!(
            out,
            "# {}: shown once, only a salted hash is kept; send it as `Authorization: Bearer <key>`",
            holder.describe()
        )
    });
    if printed.is_err() {
        // A key nobody saw is no use, and must not stay valid.
        store::access::revoke_key(&db, holder.id).await?;
    }
    printed?;
    Ok(ExitCode::SUCCESS)
}

async fn list(store_args: &StoreArgs) -> Result<ExitCode, CommandError> {
    let db = prepared_store(&store_args.database_url()?).await?;
    let keys = store::access::keys(&db).await?;
    data("the key list", |out| {
        writeln!(out, "id\trole\temployer\tname\tcreated\trevoked")?;
        for k in &keys {
            let h = &k.holder;
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}",
                h.id,
                h.role,
                h.employer.as_deref().unwrap_or("-"),
                h.name.replace(['\t', '\n', '\r'], " "),
                date(k.created_at),
                k.revoked_at.map_or("-".to_owned(), date)
            )?;
        }
        Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn revoke(id: i32, store_args: &StoreArgs) -> Result<ExitCode, CommandError> {
    let db = prepared_store(&store_args.database_url()?).await?;
    let Some(revoked) = store::access::revoke_key(&db, id).await? else {
        return Err(CommandError::Refused(format!(
            "no key has id {id}; `keys list` shows those there are"
        )));
    };
    store::access::record(
        &db,
        Event {
            key_id: Some(id),
            actor: COMMAND_LINE.to_owned(),
            action: "key.revoke".to_owned(),
            subject: Some(revoked.holder.describe()),
            outcome: "revoked".to_owned(),
            ..Event::default()
        },
    )
    .await?;
    report("the key was revoked", |out| {
        writeln!(
            out,
            "Revoked {}: every request with it is refused from now on.",
            revoked.holder.describe()
        )
    });
    Ok(ExitCode::SUCCESS)
}

/// Runs `audit`: the latest events, newest first, one per line.
pub(super) async fn audit(limit: u64, store_args: &StoreArgs) -> Result<ExitCode, CommandError> {
    let db = prepared_store(&store_args.database_url()?).await?;
    let events = store::access::audit_log(&db, limit).await?;
    data("the audit log", |out| {
        writeln!(out, "id\tat\tactor\taction\tsubject\toutcome\trows")?;
        for r in &events {
            let e = &r.event;
            let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                r.id,
                date(r.at),
                clean(&e.actor),
                e.action,
                clean(e.subject.as_deref().unwrap_or("-")),
                clean(&e.outcome),
                e.rows.map_or("-".to_owned(), |n| n.to_string())
            )?;
        }
        Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
