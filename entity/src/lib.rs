//! sea-orm entities of the mobility explorer store.
//!
//! These are storage rows only: the GraphQL layer wraps domain values, never these types.

pub mod api_key;
pub mod area;
pub mod area_alt_code;
pub mod area_within;
pub mod audit_event;
pub mod business_unit;
pub mod data_release;
pub mod employer;
pub mod grade;
pub mod indicator;
pub mod indicator_value;
pub mod programme;
pub mod programme_figure;
pub mod programme_metric;
pub mod reference_share;
pub mod staff_record;
pub mod submission;
pub mod workforce_snapshot;
