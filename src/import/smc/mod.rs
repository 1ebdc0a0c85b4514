//! The Social Mobility Commission's published indices, bundled as published (see
//! `data/reference/SOURCES.md`), turned into indicators and values for `load-reference`: one
//! file per parser.

pub mod composites;
pub mod local_areas;
pub mod son;

use std::collections::BTreeMap;

use crate::store::indicators::{Definition, NewValue};

pub use composites::{PERIOD_2023, composites_2023, composites_2025};
pub use local_areas::local_areas;
pub use son::son25_indicators;

/// The licence every Commission file is published under.
const LICENCE: &str = "Open Government Licence v3.0, © Crown copyright";

/// Indicators and values read from the bundled SMC files, by indicator code.
#[derive(Debug, Default)]
pub struct Published {
    /// Definitions.
    pub definitions: Vec<Definition>,
    /// Values per indicator code.
    pub values: BTreeMap<String, Vec<NewValue>>,
    /// Published values left out, each with why (reported by `load-reference`).
    pub left_out: Vec<String>,
}

impl Published {
    /// Adds what `later` holds.
    pub fn extend(&mut self, later: Published) {
        self.definitions.extend(later.definitions);
        self.values.extend(later.values);
        self.left_out.extend(later.left_out);
    }
}
