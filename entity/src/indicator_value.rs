//! One value of an indicator for one area, period and breakdown.

use sea_orm::entity::prelude::*;

/// One observation.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "indicator_value")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The indicator.
    pub indicator_id: i32,
    /// The area (primary code).
    pub area_code: String,
    /// The period label, for example `2017` or `2021 to 2024` (sorts as text).
    pub period: String,
    /// The breakdown in canonical form, `type=value;type=value` sorted by type; empty for the
    /// total.
    pub breakdown: String,
    /// The value.
    pub value: f64,
    /// Lower confidence bound.
    pub lower: Option<f64>,
    /// Upper confidence bound.
    pub upper: Option<f64>,
    /// Sample size behind the value.
    pub sample_size: Option<i64>,
    /// The publisher's note on the value.
    pub note: Option<String>,
    /// The group the publisher put the area in (a quintile or a z-score band), as published.
    pub published_group: Option<String>,
}

/// Relations of an observation (none declared: queries join explicitly).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
