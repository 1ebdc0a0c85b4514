//! What only keys may read: the audit log, for admin keys.

use async_graphql::{Context, Object, SimpleObject};

use super::context::database;
use super::error::ApiResult;
use crate::domain::access::Caller;
use crate::service::access as service;
use crate::store::access::Recorded;

/// One event of the audit log: a submission, an import, a key made or revoked, or a
/// refusal.
#[derive(SimpleObject, Clone, Debug)]
pub struct AuditEvent {
    /// Its number: events are numbered in the order they were recorded.
    pub id: i32,
    /// When, as seconds since 1970 (UTC).
    pub at: i64,
    /// The key that acted, if one did.
    pub key_id: Option<i32>,
    /// Who acted, in words: `key 3 (ACME returns, employer ACME)`, `command line`, `public
    /// (no valid key)`.
    pub actor: String,
    /// What was asked: `submission.workforce`, `import.workforce`, `import.programmes`,
    /// `import.indicators`, `key.create`, `key.revoke`, `authenticate`.
    pub action: String,
    /// What it was about: a file name, a key.
    pub subject: Option<String>,
    /// How it ended: `accepted`, `replayed: ...`, `refused (403): ...`, `revoked`, ...
    pub outcome: String,
    /// Rows written, when rows were written.
    pub rows: Option<i64>,
    /// More, as JSON text: the problems of a refused file, the snapshots written.
    pub detail: Option<String>,
}

impl From<Recorded> for AuditEvent {
    fn from(r: Recorded) -> Self {
        AuditEvent {
            id: r.id,
            at: r.at,
            key_id: r.event.key_id,
            actor: r.event.actor,
            action: r.event.action,
            subject: r.event.subject,
            outcome: r.event.outcome,
            rows: r.event.rows,
            detail: r.event.detail.map(|d| d.to_string()),
        }
    }
}

/// Queries that need a key.
#[derive(Default)]
pub struct AccessQuery;

#[Object]
impl AccessQuery {
    /// The audit log, newest first: every submission and import, key made or revoked, and
    /// refusal, with who, when, what, rows and outcome. Admin keys only (`Authorization:
    /// Bearer`); never cached.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many events: 1 to 1000, default 100.", default = 100)] first: i32,
    ) -> ApiResult<Vec<AuditEvent>> {
        let caller = ctx.data_opt::<Caller>().unwrap_or(&Caller::Public);
        let events = service::audit_log(database(ctx)?, caller, first).await?;
        Ok(events.into_iter().map(AuditEvent::from).collect())
    }
}
