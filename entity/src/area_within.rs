//! Which area of a given level an area lies in (itself, when it plays that level's part).

use sea_orm::entity::prelude::*;

/// One containment row: `area_code` lies within `within_code`, the area of `level` containing it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "area_within")]
pub struct Model {
    /// The contained area.
    #[sea_orm(primary_key, auto_increment = false)]
    pub area_code: String,
    /// The level of the containing area, as stored by `AreaLevel::as_str`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub level: String,
    /// The containing area.
    pub within_code: String,
}

/// Relations of a containment row (none declared: queries join explicitly).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
