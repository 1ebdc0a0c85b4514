//! The Social Mobility Commission's published indices, bundled as published (see
//! `data/reference/SOURCES.md`), turned into indicators and values for `load-reference`: one
//! file per parser.

pub mod composites;
pub mod local_areas;
pub mod published;
pub mod son;

pub use composites::{PERIOD_2023, composites_2023, composites_2025};
pub use local_areas::local_areas;
pub use published::Published;
pub use son::son25_indicators;
