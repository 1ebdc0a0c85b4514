//! The share of one background group in a reference population (a benchmark).

use sea_orm::entity::prelude::*;

/// One reference share row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "reference_share")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The population described, for example "UK workforce aged 16+".
    pub population: String,
    /// The area the population lives in (GSS code).
    pub area_code: String,
    /// The SEB measure (CSV column name, for example `parental_occupation`).
    pub measure: String,
    /// The background group, for example `LOWER`.
    pub category: String,
    /// The group's share, a fraction between 0 and 1.
    pub share: f64,
    /// The period the figure describes.
    pub period: String,
    /// Who published it.
    pub source: String,
    /// Whether the figure was checked against the original table.
    pub confirmed: bool,
}

/// Relations of a reference share (none declared).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
