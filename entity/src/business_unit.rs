//! A business unit (directorate, agency, business area) of one employer.

use sea_orm::entity::prelude::*;

/// One business unit row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "business_unit")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The employer it belongs to.
    pub employer_id: i32,
    /// Its name, unique within the employer.
    pub name: String,
}

/// Relations of a business unit (none declared: queries join explicitly).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
