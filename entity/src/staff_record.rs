//! One member of staff in one snapshot, with their socio-economic background answers.
//!
//! The raw person reference is never stored, only a keyed hash of it. Employer, year, grade
//! level and region are copied from the snapshot, grade and place of work so that filters and
//! groupings read one table.
//!
//! (snapshot, person) identifies a record. The import guarantees it, refusing a person twice
//! in a snapshot before anything is written; the store keeps no unique index of it, nor
//! foreign keys, which cost imports more than the rest of the copy (see the migration
//! `m20261130_000007_drop_row_checks`).

use sea_orm::entity::prelude::*;

/// One staff record row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "staff_record")]
pub struct Model {
    /// The snapshot it belongs to.
    #[sea_orm(primary_key, auto_increment = false)]
    pub snapshot_id: i32,
    /// Keyed hash (HMAC-SHA-256, hex, truncated to 128 bits) of the person reference.
    #[sea_orm(primary_key, auto_increment = false)]
    pub person_hash: String,
    /// The employer (as in the snapshot).
    pub employer_id: i32,
    /// The year (as in the snapshot).
    pub year: i32,
    /// The business unit.
    pub business_unit_id: i32,
    /// The grade.
    pub grade_id: i32,
    /// The grade's level in this snapshot (1 = most junior).
    pub grade_level: i32,
    /// Place of work: a local authority code.
    pub work_area: String,
    /// The region (ITL1 area: English region or nation) of the place of work.
    pub work_region: String,
    /// The year the person joined the employer, when known.
    pub joined_year: Option<i32>,
    /// Parental occupation at about 14 (answer code; null when not answered).
    pub parental_occupation: Option<String>,
    /// Type of school attended (answer code).
    pub school_type: Option<String>,
    /// Eligibility for free school meals (answer code).
    pub free_school_meals: Option<String>,
    /// Parents' higher education (answer code).
    pub parental_degree: Option<String>,
    /// Self-assessed lower socio-economic background (answer code).
    pub self_assessed: Option<String>,
    /// Staff survey engagement score, 0 to 100.
    pub engagement: Option<f64>,
    /// The permanent record key of the cell key method, 0 to 255: never published.
    pub record_key: i32,
    /// The line of the snapshot's source file the record came from (null for records
    /// imported before lines were kept): how an import names the lines of a person given twice.
    pub line: Option<i64>,
}

/// Relations of a staff record (none declared: queries join explicitly).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
