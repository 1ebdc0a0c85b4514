//! One figure of a programme metric: an actual or a target for a period, nationally or in an
//! area.

use sea_orm::entity::prelude::*;

/// One figure.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "programme_figure")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The metric.
    pub metric_id: i32,
    /// The period label, for example `2018`.
    pub period: String,
    /// `ACTUAL` or `TARGET`.
    pub kind: String,
    /// The value, in the metric's unit.
    pub value: f64,
    /// The area (primary code) the figure is for; empty for the programme as a whole.
    pub area_code: String,
    /// Where the figure comes from, or a remark.
    pub note: Option<String>,
    /// Why the figure is uncertain, where its source is ambiguous about it.
    pub caveat: Option<String>,
}

/// Relations of a figure (none declared: queries join explicitly).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
