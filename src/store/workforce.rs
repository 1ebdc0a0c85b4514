//! Queries over the workforce tables: writing snapshots, and aggregating staff records.
//!
//! Every figure is computed by the database with `GROUP BY`; records are never read into Rust.

use std::collections::HashMap;

use entity::{business_unit, employer, grade, staff_record, workforce_snapshot};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, OnConflict, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, IdenStatic,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};

use super::StoreError;
use crate::domain::disclosure::Aggregate;
use crate::domain::seb::{self, Measure};
use crate::domain::workforce::{Dimension, GroupKey, Scope};

/// An employer as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employer {
    /// Surrogate key.
    pub id: i32,
    /// Code used by imports and filters.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Sector, when known.
    pub sector: Option<String>,
    /// Whether it is synthetic demo data.
    pub synthetic: bool,
}

impl From<employer::Model> for Employer {
    fn from(m: employer::Model) -> Self {
        Employer {
            id: m.id,
            code: m.code,
            name: m.name,
            sector: m.sector,
            synthetic: m.synthetic,
        }
    }
}

/// A snapshot as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The employer's id.
    pub employer_id: i32,
    /// The year.
    pub year: i32,
    /// Where its records came from.
    pub source: String,
    /// How many records it holds.
    pub records: i64,
    /// When it was imported (seconds since the Unix epoch).
    pub imported_at: i64,
}

/// A business unit as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessUnit {
    /// Surrogate key.
    pub id: i32,
    /// The employer's id.
    pub employer_id: i32,
    /// Its name.
    pub name: String,
}

/// A grade as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grade {
    /// The employer's id.
    pub employer_id: i32,
    /// Its label.
    pub label: String,
    /// Its level as last imported.
    pub level: i32,
}

/// A staff record ready to write, every name resolved to an id.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRecord<'a> {
    /// The keyed hash of the person reference.
    pub person_hash: &'a str,
    /// Business unit id.
    pub business_unit_id: i32,
    /// Grade id.
    pub grade_id: i32,
    /// The grade's level.
    pub grade_level: i32,
    /// Local authority code.
    pub work_area: &'a str,
    /// Region code of the local authority.
    pub work_region: &'a str,
    /// Year joined.
    pub joined_year: Option<i32>,
    /// Answer codes, in the order of [`Measure::ALL`].
    pub answers: [Option<&'static str>; 5],
    /// Engagement score.
    pub engagement: Option<f64>,
    /// The record key of the cell key method.
    pub record_key: u8,
}

/// Staff records per insert statement: 17 values each stays well under SQLite's 32,766 and
/// PostgreSQL's 65,535 bound parameters.
const RECORDS_PER_INSERT: usize = 1000;

fn measure_column(measure: Measure) -> staff_record::Column {
    match measure {
        Measure::ParentalOccupation => staff_record::Column::ParentalOccupation,
        Measure::SchoolType => staff_record::Column::SchoolType,
        Measure::FreeSchoolMeals => staff_record::Column::FreeSchoolMeals,
        Measure::ParentalDegree => staff_record::Column::ParentalDegree,
        Measure::SelfAssessed => staff_record::Column::SelfAssessed,
    }
}

fn dimension_column(dimension: Dimension) -> staff_record::Column {
    match dimension {
        Dimension::Employer => staff_record::Column::EmployerId,
        Dimension::Year => staff_record::Column::Year,
        Dimension::BusinessUnit => staff_record::Column::BusinessUnitId,
        Dimension::GradeLevel => staff_record::Column::GradeLevel,
        Dimension::Region => staff_record::Column::WorkRegion,
        Dimension::LocalAuthority => staff_record::Column::WorkArea,
    }
}

/// Finds an employer by code, creating it when new; a name or sector given updates it.
/// Returns the stored employer (whose `synthetic` flag the caller must check).
pub async fn ensure_employer(
    db: &impl ConnectionTrait,
    code: &str,
    name: Option<&str>,
    sector: Option<&str>,
    synthetic: bool,
) -> Result<Employer, StoreError> {
    let found = employer::Entity::find()
        .filter(employer::Column::Code.eq(code))
        .one(db)
        .await?;
    let model = match found {
        Some(existing) => {
            let mut active: employer::ActiveModel = existing.clone().into();
            if let Some(name) = name {
                active.name = Set(name.to_owned());
            }
            if let Some(sector) = sector {
                active.sector = Set(Some(sector.to_owned()));
            }
            if name.is_some() || sector.is_some() {
                active.update(db).await?
            } else {
                existing
            }
        }
        None => {
            employer::ActiveModel {
                code: Set(code.to_owned()),
                name: Set(name.unwrap_or(code).to_owned()),
                sector: Set(sector.map(str::to_owned)),
                synthetic: Set(synthetic),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    Ok(model.into())
}

/// Creates the employer's business units that do not exist yet; returns every unit's id by
/// name.
pub async fn ensure_business_units(
    db: &impl ConnectionTrait,
    employer_id: i32,
    names: &[&str],
) -> Result<HashMap<String, i32>, StoreError> {
    for chunk in names.chunks(RECORDS_PER_INSERT) {
        let rows = chunk.iter().map(|name| business_unit::ActiveModel {
            employer_id: Set(employer_id),
            name: Set((*name).to_owned()),
            ..Default::default()
        });
        business_unit::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    business_unit::Column::EmployerId,
                    business_unit::Column::Name,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    let units = business_unit::Entity::find()
        .filter(business_unit::Column::EmployerId.eq(employer_id))
        .all(db)
        .await?;
    Ok(units.into_iter().map(|u| (u.name, u.id)).collect())
}

/// Creates or updates the employer's grades (label and level); returns every grade's id by
/// label.
pub async fn ensure_grades(
    db: &impl ConnectionTrait,
    employer_id: i32,
    grades: &[(&str, i32)],
) -> Result<HashMap<String, i32>, StoreError> {
    for chunk in grades.chunks(RECORDS_PER_INSERT) {
        let rows = chunk.iter().map(|(label, level)| grade::ActiveModel {
            employer_id: Set(employer_id),
            label: Set((*label).to_owned()),
            grade_level: Set(*level),
            ..Default::default()
        });
        grade::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([grade::Column::EmployerId, grade::Column::Label])
                    .update_column(grade::Column::GradeLevel)
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    let stored = grade::Entity::find()
        .filter(grade::Column::EmployerId.eq(employer_id))
        .all(db)
        .await?;
    Ok(stored.into_iter().map(|g| (g.label, g.id)).collect())
}

/// The record keys of the people in the employer's snapshot of `year`, by person hash (empty
/// when there is no such snapshot): a re-import keeps them.
pub async fn record_keys(
    db: &impl ConnectionTrait,
    employer_id: i32,
    year: i32,
) -> Result<HashMap<String, u8>, StoreError> {
    let rows: Vec<(String, i32)> = staff_record::Entity::find()
        .select_only()
        .column(staff_record::Column::PersonHash)
        .column(staff_record::Column::RecordKey)
        .filter(staff_record::Column::EmployerId.eq(employer_id))
        .filter(staff_record::Column::Year.eq(year))
        .into_tuple()
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(hash, key)| {
            u8::try_from(key)
                .map(|key| (hash, key))
                .map_err(|_| StoreError::Corrupt(format!("record key {key}")))
        })
        .collect()
}

/// Deletes the employer's snapshot of `year` (with its records) if there is one, and creates
/// an empty one in its place; returns the new snapshot's id and whether one was replaced.
pub async fn replace_snapshot(
    db: &impl ConnectionTrait,
    employer_id: i32,
    year: i32,
    source: &str,
    records: i64,
    imported_at: i64,
) -> Result<(i32, bool), StoreError> {
    let existing = workforce_snapshot::Entity::find()
        .filter(workforce_snapshot::Column::EmployerId.eq(employer_id))
        .filter(workforce_snapshot::Column::Year.eq(year))
        .one(db)
        .await?;
    let replaced = existing.is_some();
    if let Some(old) = existing {
        staff_record::Entity::delete_many()
            .filter(staff_record::Column::SnapshotId.eq(old.id))
            .exec(db)
            .await?;
        workforce_snapshot::Entity::delete_by_id(old.id)
            .exec(db)
            .await?;
    }
    let created = workforce_snapshot::ActiveModel {
        employer_id: Set(employer_id),
        year: Set(year),
        source: Set(source.to_owned()),
        records: Set(records),
        imported_at: Set(imported_at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((created.id, replaced))
}

/// Writes the records of one snapshot, in multi-row statements.
pub async fn insert_records(
    db: &impl ConnectionTrait,
    snapshot_id: i32,
    employer_id: i32,
    year: i32,
    records: &[NewRecord<'_>],
) -> Result<(), StoreError> {
    if db.get_database_backend() == DbBackend::Postgres {
        return insert_records_unnest(db, snapshot_id, employer_id, year, records).await;
    }
    use staff_record::Column as C;
    for chunk in records.chunks(RECORDS_PER_INSERT) {
        let mut insert = Query::insert();
        insert.into_table(staff_record::Entity).columns([
            C::SnapshotId,
            C::PersonHash,
            C::EmployerId,
            C::Year,
            C::BusinessUnitId,
            C::GradeId,
            C::GradeLevel,
            C::WorkArea,
            C::WorkRegion,
            C::JoinedYear,
            C::ParentalOccupation,
            C::SchoolType,
            C::FreeSchoolMeals,
            C::ParentalDegree,
            C::SelfAssessed,
            C::Engagement,
            C::RecordKey,
        ]);
        for r in chunk {
            let [po, school, fsm, degree, own] = r.answers;
            insert
                .values([
                    snapshot_id.into(),
                    r.person_hash.into(),
                    employer_id.into(),
                    year.into(),
                    r.business_unit_id.into(),
                    r.grade_id.into(),
                    r.grade_level.into(),
                    r.work_area.into(),
                    r.work_region.into(),
                    r.joined_year.into(),
                    po.into(),
                    school.into(),
                    fsm.into(),
                    degree.into(),
                    own.into(),
                    r.engagement.into(),
                    i32::from(r.record_key).into(),
                ])
                .map_err(|e| StoreError::Corrupt(format!("building an insert: {e}")))?;
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

/// Staff records per PostgreSQL `UNNEST` statement (arrays have no parameter limit).
const RECORDS_PER_UNNEST: usize = 50_000;

/// PostgreSQL: one array per column, unnested server-side. Parsing and binding a 17,000
/// parameter `VALUES` list costs PostgreSQL more than the insert itself (about 25 s of a 45 s
/// import of 1,000,000 records); 17 arrays cost almost nothing.
///
/// The database driver binds arrays without NULL elements, so a missing value travels as a
/// value no valid record holds (`''` for an answer, 0 for a year, -1 for a score) and
/// `NULLIF` restores the NULL.
async fn insert_records_unnest(
    db: &impl ConnectionTrait,
    snapshot_id: i32,
    employer_id: i32,
    year: i32,
    records: &[NewRecord<'_>],
) -> Result<(), StoreError> {
    const SQL: &str = r#"INSERT INTO staff_record (snapshot_id, person_hash, employer_id, year,
        business_unit_id, grade_id, grade_level, work_area, work_region, joined_year,
        parental_occupation, school_type, free_school_meals, parental_degree, self_assessed,
        engagement, record_key)
    SELECT $1, t.h, $2, $3, t.u, t.g, t.l, t.a, t.r, NULLIF(t.j, 0),
        NULLIF(t.a1, ''), NULLIF(t.a2, ''), NULLIF(t.a3, ''), NULLIF(t.a4, ''), NULLIF(t.a5, ''),
        NULLIF(t.e, -1), t.k
    FROM UNNEST($4::text[], $5::int4[], $6::int4[], $7::int4[], $8::text[], $9::text[],
        $10::int4[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
        $16::float8[], $17::int4[]) AS t(h, u, g, l, a, r, j, a1, a2, a3, a4, a5, e, k)"#;
    for chunk in records.chunks(RECORDS_PER_UNNEST) {
        let answer = |i: usize| texts(chunk, |r| r.answers[i].unwrap_or(""));
        let values = vec![
            snapshot_id.into(),
            employer_id.into(),
            year.into(),
            texts(chunk, |r| r.person_hash),
            ints(chunk, |r| r.business_unit_id),
            ints(chunk, |r| r.grade_id),
            ints(chunk, |r| r.grade_level),
            texts(chunk, |r| r.work_area),
            texts(chunk, |r| r.work_region),
            ints(chunk, |r| r.joined_year.unwrap_or(0)),
            answer(0),
            answer(1),
            answer(2),
            answer(3),
            answer(4),
            chunk
                .iter()
                .map(|r| r.engagement.unwrap_or(-1.0))
                .collect::<Vec<f64>>()
                .into(),
            ints(chunk, |r| i32::from(r.record_key)),
        ];
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            SQL,
            values,
        ))
        .await?;
    }
    Ok(())
}

/// One column of `records` as a PostgreSQL text array.
fn texts<'a>(
    records: &[NewRecord<'a>],
    column: impl Fn(&NewRecord<'a>) -> &'a str,
) -> sea_orm::Value {
    records
        .iter()
        .map(|r| column(r).to_owned())
        .collect::<Vec<String>>()
        .into()
}

/// One column of `records` as a PostgreSQL integer array.
fn ints(records: &[NewRecord<'_>], column: impl Fn(&NewRecord<'_>) -> i32) -> sea_orm::Value {
    records.iter().map(column).collect::<Vec<i32>>().into()
}

/// After a bulk import on PostgreSQL: `VACUUM (ANALYZE)` marks the new rows visible to
/// index-only scans and refreshes the planner's statistics (on 1,000,000 records, a
/// distribution by region goes from about 150 ms to 40 ms). Autovacuum would get there later;
/// this makes it immediate. It cannot run inside a transaction, so it takes the pool.
/// SQLite needs nothing: its plans do not depend on statistics here.
pub async fn refresh_statistics(db: &sea_orm::DatabaseConnection) -> Result<(), StoreError> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("VACUUM (ANALYZE) staff_record")
            .await?;
    }
    Ok(())
}

/// Every employer, by code.
pub async fn employers(db: &impl ConnectionTrait) -> Result<Vec<Employer>, StoreError> {
    Ok(employer::Entity::find()
        .order_by_asc(employer::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(Employer::from)
        .collect())
}

/// Whether any staff record is stored.
pub async fn has_records(db: &impl ConnectionTrait) -> Result<bool, StoreError> {
    Ok(workforce_snapshot::Entity::find().one(db).await?.is_some())
}

/// The snapshots of some employers, by employer and year.
pub async fn snapshots(
    db: &impl ConnectionTrait,
    employer_ids: &[i32],
) -> Result<Vec<Snapshot>, StoreError> {
    Ok(workforce_snapshot::Entity::find()
        .filter(workforce_snapshot::Column::EmployerId.is_in(employer_ids.iter().copied()))
        .order_by_asc(workforce_snapshot::Column::EmployerId)
        .order_by_asc(workforce_snapshot::Column::Year)
        .all(db)
        .await?
        .into_iter()
        .map(|s| Snapshot {
            employer_id: s.employer_id,
            year: s.year,
            source: s.source,
            records: s.records,
            imported_at: s.imported_at,
        })
        .collect())
}

/// The business units of some employers.
pub async fn business_units(
    db: &impl ConnectionTrait,
    employer_ids: &[i32],
) -> Result<Vec<BusinessUnit>, StoreError> {
    Ok(business_unit::Entity::find()
        .filter(business_unit::Column::EmployerId.is_in(employer_ids.iter().copied()))
        .order_by_asc(business_unit::Column::EmployerId)
        .order_by_asc(business_unit::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|u| BusinessUnit {
            id: u.id,
            employer_id: u.employer_id,
            name: u.name,
        })
        .collect())
}

/// The grades of some employers, most junior first.
pub async fn grades(
    db: &impl ConnectionTrait,
    employer_ids: &[i32],
) -> Result<Vec<Grade>, StoreError> {
    Ok(grade::Entity::find()
        .filter(grade::Column::EmployerId.is_in(employer_ids.iter().copied()))
        .order_by_asc(grade::Column::EmployerId)
        .order_by_asc(grade::Column::GradeLevel)
        .order_by_asc(grade::Column::Label)
        .all(db)
        .await?
        .into_iter()
        .map(|g| Grade {
            employer_id: g.employer_id,
            label: g.label,
            level: g.grade_level,
        })
        .collect())
}

/// The filter of a scope, on staff records.
fn scope_condition(scope: &Scope) -> Condition {
    use staff_record::Column as C;
    let mut condition = Condition::all()
        .add(C::EmployerId.is_in(scope.employers.iter().copied()))
        .add(C::Year.is_in(scope.years.iter().copied()));
    if let Some(units) = &scope.business_units {
        condition = condition.add(C::BusinessUnitId.is_in(units.iter().copied()));
    }
    if let Some(levels) = &scope.grade_levels {
        condition = condition.add(C::GradeLevel.is_in(levels.iter().copied()));
    }
    if let Some(areas) = &scope.work_areas {
        condition = condition.add(C::WorkArea.is_in(areas.iter().map(String::as_str)));
    }
    if scope.joiners_only {
        condition = condition.add(Expr::col(C::JoinedYear).eq(Expr::col(C::Year)));
    }
    condition
}

const GROUP_ALIAS: &str = "seb_group";
const KEY_SUM: &str = "key_sum";

/// The sum of the record keys of a group's records: a 64-bit integer on both stores (the sum
/// of a PostgreSQL `integer` is a `bigint`).
fn key_sum() -> Expr {
    Expr::cust("COALESCE(SUM(record_key), 0)")
}

/// A row's record count (`n`) and record-key sum as a cell.
fn read_aggregate(row: &sea_orm::QueryResult) -> Result<Aggregate, StoreError> {
    let n: i64 = row.try_get("", "n")?;
    let key_sum: i64 = row.try_get("", KEY_SUM)?;
    Ok(Aggregate {
        count: u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("count {n}")))?,
        key_sum: u64::try_from(key_sum)
            .map_err(|_| StoreError::Corrupt(format!("record-key sum {key_sum}")))?,
    })
}

/// `CASE` mapping a measure's answer codes to background groups (NULL: unknown), so the
/// database groups by background group directly.
fn group_expr(measure: Measure) -> Expr {
    let column = measure_column(measure);
    let mut groups = measure.groups().iter();
    let Some(first) = groups.next() else {
        return Expr::null();
    };
    let mut case = Expr::case(
        Expr::col(column).is_in(measure.codes_of(first)),
        Expr::val(*first),
    );
    for group in groups {
        case = case.case(
            Expr::col(column).is_in(measure.codes_of(group)),
            Expr::val(*group),
        );
    }
    case.finally(Expr::null()).into()
}

fn grouped_select(scope: &Scope, dimensions: &[Dimension]) -> SelectStatement {
    let mut select = Query::select();
    select
        .from(staff_record::Entity)
        .cond_where(scope_condition(scope));
    for d in dimensions {
        select.column(dimension_column(*d));
        select.group_by_col(dimension_column(*d));
    }
    select
}

fn read_key(row: &sea_orm::QueryResult, dimensions: &[Dimension]) -> Result<GroupKey, StoreError> {
    let mut key = GroupKey::default();
    for d in dimensions {
        let name = dimension_column(*d).as_str();
        match d {
            Dimension::Employer => key.employer = Some(row.try_get("", name)?),
            Dimension::Year => key.year = Some(row.try_get("", name)?),
            Dimension::BusinessUnit => key.business_unit = Some(row.try_get("", name)?),
            Dimension::GradeLevel => key.grade_level = Some(row.try_get("", name)?),
            Dimension::Region => key.region = Some(row.try_get("", name)?),
            Dimension::LocalAuthority => key.local_authority = Some(row.try_get("", name)?),
        }
    }
    Ok(key)
}

/// One group's cells, before disclosure control: everyone, and each background group (in the
/// measure's order), each as a record count and record-key sum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupCounts {
    /// The group.
    pub key: GroupKey,
    /// Everyone in the group, declared or not.
    pub headcount: Aggregate,
    /// Each background group, every group of the measure present (empty ones included).
    pub categories: Vec<(&'static str, Aggregate)>,
}

/// Record counts and record-key sums per group (formed by `dimensions`) and background group
/// of `measure`, in one `GROUP BY` statement; groups sorted by key.
pub async fn category_counts(
    db: &impl ConnectionTrait,
    scope: &Scope,
    measure: Measure,
    dimensions: &[Dimension],
) -> Result<Vec<GroupCounts>, StoreError> {
    let mut select = grouped_select(scope, dimensions);
    select
        .expr_as(group_expr(measure), Alias::new(GROUP_ALIAS))
        .expr_as(
            Func::count(Expr::col(sea_orm::sea_query::Asterisk)),
            Alias::new("n"),
        )
        .expr_as(key_sum(), Alias::new(KEY_SUM))
        .group_by_col(Alias::new(GROUP_ALIAS));
    let rows = db.query_all(&select).await?;

    let mut groups: HashMap<GroupKey, GroupCounts> = HashMap::new();
    for row in rows {
        let key = read_key(&row, dimensions)?;
        let category: Option<String> = row.try_get("", GROUP_ALIAS)?;
        let n = read_aggregate(&row)?;
        let entry = groups.entry(key.clone()).or_insert_with(|| GroupCounts {
            key,
            headcount: Aggregate::default(),
            categories: measure
                .groups()
                .iter()
                .map(|g| (*g, Aggregate::default()))
                .collect(),
        });
        entry.headcount += n;
        if let Some(category) = category {
            let cell = entry
                .categories
                .iter_mut()
                .find(|(g, _)| *g == category)
                .ok_or_else(|| StoreError::Corrupt(format!("background group {category}")))?;
            cell.1 += n;
        }
    }
    let mut groups: Vec<GroupCounts> = groups.into_values().collect();
    groups.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(groups)
}

/// Engagement scores of lower-SEB staff and of other declared staff (parental occupation):
/// the people with a score (as a cell) and the sum of their scores.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EngagementSums {
    /// Lower-SEB staff with a score.
    pub lower: Aggregate,
    /// The sum of their scores.
    pub lower_sum: f64,
    /// Other declared staff (professional and intermediate) with a score.
    pub other: Aggregate,
    /// The sum of their scores.
    pub other_sum: f64,
}

/// Engagement sums by background, in one `GROUP BY` statement.
pub async fn engagement_sums(
    db: &impl ConnectionTrait,
    scope: &Scope,
) -> Result<EngagementSums, StoreError> {
    let measure = Measure::ParentalOccupation;
    let column = measure_column(measure);
    let others: Vec<&str> = measure
        .groups()
        .iter()
        .filter(|g| **g != seb::LOWER)
        .flat_map(|g| measure.codes_of(g))
        .collect();
    let case = Expr::case(
        Expr::col(column).is_in(measure.codes_of(seb::LOWER)),
        Expr::val("LOWER"),
    )
    .case(Expr::col(column).is_in(others), Expr::val("OTHER"))
    .finally(Expr::null());
    let mut select = grouped_select(scope, &[]);
    select
        .and_where(Expr::col(staff_record::Column::Engagement).is_not_null())
        .expr_as(case, Alias::new(GROUP_ALIAS))
        .expr_as(
            Func::count(Expr::col(staff_record::Column::Engagement)),
            Alias::new("n"),
        )
        .expr_as(key_sum(), Alias::new(KEY_SUM))
        .expr_as(
            Func::sum(Expr::col(staff_record::Column::Engagement)),
            Alias::new("total"),
        )
        .group_by_col(Alias::new(GROUP_ALIAS));
    let mut sums = EngagementSums::default();
    for row in db.query_all(&select).await? {
        let group: Option<String> = row.try_get("", GROUP_ALIAS)?;
        let people = read_aggregate(&row)?;
        let total: Option<f64> = row.try_get("", "total")?;
        let total = total.unwrap_or(0.0);
        match group.as_deref() {
            Some("LOWER") => (sums.lower, sums.lower_sum) = (people, total),
            Some("OTHER") => (sums.other, sums.other_sum) = (people, total),
            _ => {}
        }
    }
    Ok(sums)
}

/// The latest snapshot year among some employers.
pub async fn latest_year(
    db: &impl ConnectionTrait,
    employer_ids: &[i32],
) -> Result<Option<i32>, StoreError> {
    let row = workforce_snapshot::Entity::find()
        .select_only()
        .column_as(workforce_snapshot::Column::Year.max(), "latest")
        .filter(workforce_snapshot::Column::EmployerId.is_in(employer_ids.iter().copied()))
        .into_tuple::<Option<i32>>()
        .one(db)
        .await?;
    Ok(row.flatten())
}
