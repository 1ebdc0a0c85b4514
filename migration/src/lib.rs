//! Schema migrations of the mobility explorer store.
//!
//! Each migration file is named `mYYYYMMDD_HHMMSS_verb_noun.rs`. The same migrations run on
//! SQLite and PostgreSQL, so they use only portable column types.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_areas;
mod m20261122_000002_create_workforce;
mod m20261123_000003_create_indicators;
mod m20261123_000004_create_programmes;
mod m20261129_000005_add_record_keys;
mod m20261130_000006_create_aggregates;
mod m20261130_000007_drop_row_checks;
mod m20261130_000008_summarise_record_snapshots;
mod m20261130_000009_add_programme_sources;
mod m20261130_000010_add_reference_fingerprint;
mod m20261130_000011_add_release_time;
mod m20261130_000012_add_record_line;
mod m20261130_000013_create_access;
mod m20261130_000014_create_releases;

/// Runs the project's migrations in order (`mobility-explorer migrate up|down|status`).
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_areas::Migration),
            Box::new(m20261122_000002_create_workforce::Migration),
            Box::new(m20261123_000003_create_indicators::Migration),
            Box::new(m20261123_000004_create_programmes::Migration),
            Box::new(m20261129_000005_add_record_keys::Migration),
            Box::new(m20261130_000006_create_aggregates::Migration),
            Box::new(m20261130_000007_drop_row_checks::Migration),
            Box::new(m20261130_000008_summarise_record_snapshots::Migration),
            Box::new(m20261130_000009_add_programme_sources::Migration),
            Box::new(m20261130_000010_add_reference_fingerprint::Migration),
            Box::new(m20261130_000011_add_release_time::Migration),
            Box::new(m20261130_000012_add_record_line::Migration),
            Box::new(m20261130_000013_create_access::Migration),
            Box::new(m20261130_000014_create_releases::Migration),
        ]
    }
}
