//! UK geography: area levels, the administrative line (authority -> region -> country -> UK),
//! the statistical line (ITL3 -> ITL2 -> ITL1) and, for every area, which area of each level
//! it lies within.

mod areas;
mod build;

pub use areas::*;
pub use build::Geography;
