//! A grade of one employer, with its seniority.

use sea_orm::entity::prelude::*;

/// One grade row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "grade")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The employer it belongs to.
    pub employer_id: i32,
    /// Its label, unique within the employer (for example "G7").
    pub label: String,
    /// Seniority as last imported: 1 is the most junior, higher is more senior. Each staff
    /// record keeps the level of its own snapshot.
    pub grade_level: i32,
}

/// Relations of a grade (none declared: queries join explicitly).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
