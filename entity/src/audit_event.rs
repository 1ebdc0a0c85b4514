//! One line of the audit log: a submission, release, key creation or revocation, or a
//! refusal, with who did it, when, what and how it ended.

use sea_orm::entity::prelude::*;

/// One audit event.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_event")]
pub struct Model {
    /// Its id: events are numbered in the order they were recorded.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// When (seconds since 1970, UTC).
    pub at: i64,
    /// The key that acted, if one did.
    pub key_id: Option<i32>,
    /// Who acted, in words: `key 3 (ACME returns, employer ACME)`, `command line`, `public`.
    pub actor: String,
    /// What was asked: `submission.workforce`, `key.create`, `key.revoke`, ...
    pub action: String,
    /// What it was about: an employer code, a key id, a file name.
    pub subject: Option<String>,
    /// How it ended: `accepted`, `refused: ...`, `replayed`, ...
    pub outcome: String,
    /// Rows written or checked, when rows were involved.
    pub rows: Option<i64>,
    /// More, as JSON (the problems of a refused file, the snapshots written).
    pub detail: Option<String>,
}

/// Relations of an event (none declared).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
