//! An alternative code of an area, for example an English region's ITL1 code.

use sea_orm::entity::prelude::*;

/// One alternative code row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "area_alt_code")]
pub struct Model {
    /// The alternative code; unique across all areas.
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    /// The area it names.
    pub area_code: String,
    /// The coding scheme, for example `ITL1`.
    pub scheme: String,
}

/// Relations of an alternative code (none declared: queries join explicitly).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
