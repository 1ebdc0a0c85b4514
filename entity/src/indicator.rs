//! An indicator: one measured quantity per area and period (for example the share of pupils
//! reaching a standard), with its direction, source and licence.

use sea_orm::entity::prelude::*;

/// One indicator definition.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "indicator")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The code imports and queries use, unique.
    pub code: String,
    /// Display name.
    pub name: String,
    /// What it measures and how.
    pub description: String,
    /// Unit of the values: `percent`, `pounds`, `ratio`, `score`, `z-score`, ...
    pub unit: String,
    /// The life stage or index domain it belongs to (data, not code).
    pub domain: String,
    /// Whether a higher value is better.
    pub higher_is_better: bool,
    /// Who published it.
    pub source: String,
    /// Its licence.
    pub licence: String,
    /// True for invented demo values.
    pub synthetic: bool,
}

/// Relations of an indicator (none declared: queries join explicitly).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
