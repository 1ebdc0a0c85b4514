//! One employer's workforce in one year, as last imported (an import replaces it whole).

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
}

/// Relations of a snapshot (none declared: queries join explicitly).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
