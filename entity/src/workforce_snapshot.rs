//! One version of one employer's workforce in one year: a draft until a release publishes it,
//! then kept as that release's version (a later import makes a new version, or replaces the
//! draft).

use sea_orm::entity::prelude::*;

/// One snapshot row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workforce_snapshot")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The employer.
    pub employer_id: i32,
    /// The year the records describe.
    pub year: i32,
    /// Where the records came from (the imported file's name).
    pub source: String,
    /// How many staff records it holds.
    pub records: i64,
    /// When it was imported, in seconds since the Unix epoch.
    pub imported_at: i64,
    /// The release that published it; `None` while it is a draft.
    pub release_id: Option<i32>,
}

/// Relations of a snapshot (none declared: queries join explicitly).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
