//! What every parser of the Commission's files yields, and the licence they share.

use std::collections::BTreeMap;

use crate::store::indicators::{Definition, NewValue};

/// The licence every Commission file is published under.
pub const LICENCE: &str = "Open Government Licence v3.0, © Crown copyright";

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
