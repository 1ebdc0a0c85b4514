//! What a programme counts or measures.

use sea_orm::entity::prelude::*;

/// One metric of a programme.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "programme_metric")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The programme.
    pub programme_id: i32,
    /// The code, unique within the programme.
    pub code: String,
    /// Display name.
    pub name: String,
    /// The unit as published: `people`, `events`, `placements`, `matches` (counts) or
    /// `percent`.
    pub unit: String,
    /// For a percentage: the code of the count metric it is the numerator share of.
    pub numerator: Option<String>,
    /// For a percentage: the code of the count metric it is a share of.
    pub denominator: Option<String>,
}

/// Relations of a metric (none declared: queries join explicitly).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
