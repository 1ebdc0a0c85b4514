//! An employer whose workforce is imported (a department, agency or company).

use sea_orm::entity::prelude::*;

/// One employer row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "employer")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The code imports name it by (unique).
    pub code: String,
    /// Display name (the code until a file gives one).
    pub name: String,
    /// Sector, when known (for example "Civil Service").
    pub sector: Option<String>,
    /// Whether the employer and all its records are synthetic demo data.
    pub synthetic: bool,
}

/// Relations of an employer (none declared: queries join explicitly).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
