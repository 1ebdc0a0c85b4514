//! An outreach or progression programme run by an employer.

use sea_orm::entity::prelude::*;

/// One programme.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "programme")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The code imports and queries use, unique.
    pub code: String,
    /// Display name.
    pub name: String,
    /// What it does.
    pub description: String,
    /// Its stage: `outreach`, `university`, `entry`, `progression`, ...
    pub stage: String,
    /// The owning organisation's code (for example `MOJ`).
    pub owner_code: String,
    /// The owning organisation's name.
    pub owner_name: String,
    /// True for invented demo programmes.
    pub synthetic: bool,
    /// Who published the programme's figures (empty: not stated).
    pub source: String,
    /// The licence of the figures (empty: not stated).
    pub licence: String,
}

/// Relations of a programme (none declared: queries join explicitly).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
