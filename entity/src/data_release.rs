//! A release: the drafts published together at one time, numbered in order (the number is
//! the id). Public answers come from the latest release, or an earlier one they name.

use sea_orm::entity::prelude::*;

/// One release.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "data_release")]
pub struct Model {
    /// The release number: 1, 2, 3, ... in the order published.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// When it was published, in seconds since the Unix epoch.
    pub published_at: i64,
    /// What it publishes, in the publisher's words.
    #[sea_orm(column_type = "Text")]
    pub notes: String,
    /// The earlier release it corrects, if it is a correction.
    pub corrects: Option<i32>,
    /// Who published it: a key, the command line, or an import.
    pub published_by: String,
}

/// Relations of a release (none declared: queries join explicitly).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
