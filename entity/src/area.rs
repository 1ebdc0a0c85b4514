//! An area of the UK identified by its ONS (GSS) code, or by its ITL code where it has no
//! GSS code (ITL2 and ITL3 areas).

use sea_orm::entity::prelude::*;

/// One area row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "area")]
pub struct Model {
    /// The primary code (GSS where the area has one, else ITL).
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    /// The official name.
    pub name: String,
    /// The area's own level, as stored by `domain::geography::AreaLevel::as_str`.
    pub level: String,
    /// The next area up the administrative line, if any.
    pub parent_code: Option<String>,
}

/// Relations of an area (none declared: queries join explicitly).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
