//! The pre-aggregated workforce cells (see [`crate::domain::cells`]): written by the
//! import's transaction (tallied as it reads, see [`crate::domain::tally`]), and read whole
//! by the server.

use futures_util::StreamExt;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DeriveIden, StreamTrait};

use super::read::{engagement_group_expr, group_expr};
use crate::domain::cells::{Cell, CellError, Cells, CellsBuilder, ENGAGEMENT};
use crate::domain::disclosure::Aggregate;
use crate::domain::seb::Measure;
use crate::store::bulk::{BulkSession, CopyRows};
use crate::store::error::StoreError;

#[derive(Clone, Copy, DeriveIden)]
enum WorkforceCell {
    Table,
    SnapshotId,
    EmployerId,
    Year,
    BusinessUnitId,
    GradeLevel,
    WorkArea,
    WorkRegion,
    Joiner,
    Measure,
    Category,
    Records,
    KeySum,
    ScoreSum,
}

#[derive(Clone, Copy, DeriveIden)]
enum StaffRecord {
    Table,
    SnapshotId,
    EmployerId,
    Year,
    BusinessUnitId,
    GradeLevel,
    WorkArea,
    WorkRegion,
    JoinedYear,
    Engagement,
    ParentalOccupation,
}

/// The columns a cell is keyed by, in the order [`grouped`] selects them.
const KEY_COLUMNS: [WorkforceCell; 10] = [
    WorkforceCell::SnapshotId,
    WorkforceCell::EmployerId,
    WorkforceCell::Year,
    WorkforceCell::BusinessUnitId,
    WorkforceCell::GradeLevel,
    WorkforceCell::WorkArea,
    WorkforceCell::WorkRegion,
    WorkforceCell::Joiner,
    WorkforceCell::Measure,
    WorkforceCell::Category,
];

/// The records of snapshot `snapshot_id` grouped by every dimension and by `category` (a
/// `CASE` over answers), selecting the key columns in [`KEY_COLUMNS`] order; the caller adds
/// the sums.
fn grouped(snapshot_id: i32, measure: &str, category: Expr) -> SelectStatement {
    use StaffRecord as S;
    let mut select = Query::select();
    select
        .from(S::Table)
        .and_where(Expr::col(S::SnapshotId).eq(snapshot_id));
    for column in [
        S::SnapshotId,
        S::EmployerId,
        S::Year,
        S::BusinessUnitId,
        S::GradeLevel,
        S::WorkArea,
        S::WorkRegion,
    ] {
        select.column(column).group_by_col(column);
    }
    let joiner = Expr::case(Expr::col(S::JoinedYear).eq(Expr::col(S::Year)), 1).finally(0);
    select
        .expr_as(joiner, Alias::new("joiner"))
        .expr_as(Expr::val(measure), Alias::new("measure"))
        .expr_as(category, Alias::new("category"))
        .group_by_col(Alias::new("joiner"))
        .group_by_col(Alias::new("category"));
    select
}

/// `SUM(record_key)`, 0 for no rows: a 64-bit integer on both stores.
fn key_sum() -> Expr {
    Expr::cust("COALESCE(SUM(record_key), 0)")
}

/// Writes the cells of a stored snapshot from its records: one `INSERT ... SELECT ... GROUP
/// BY` per measure and one for engagement, each one pass over the records. Imports tally
/// their cells as they read (see [`crate::domain::tally`]); this builds those of snapshots
/// stored before cells existed.
pub async fn build(db: &impl ConnectionTrait, snapshot_id: i32) -> Result<(), StoreError> {
    let columns = cell_columns();
    for measure in Measure::ALL {
        let mut select = grouped(snapshot_id, measure.column(), group_expr(measure));
        select
            .expr(Func::count(Expr::col(sea_orm::sea_query::Asterisk)))
            .expr(key_sum())
            .expr(Expr::val(0.0f64));
        insert(db, &columns, select).await?;
    }
    // Engagement is compared between declared backgrounds only.
    let po = Measure::ParentalOccupation;
    let declared: Vec<&str> = po.groups().iter().flat_map(|g| po.codes_of(g)).collect();
    let mut select = grouped(snapshot_id, ENGAGEMENT, engagement_group_expr());
    select
        .and_where(Expr::col(StaffRecord::Engagement).is_not_null())
        .and_where(Expr::col(StaffRecord::ParentalOccupation).is_in(declared))
        .expr(Func::count(Expr::col(StaffRecord::Engagement)))
        .expr(key_sum())
        .expr(Func::sum(Expr::col(StaffRecord::Engagement)));
    insert(db, &columns, select).await
}

async fn insert(
    db: &impl ConnectionTrait,
    columns: &[WorkforceCell],
    select: SelectStatement,
) -> Result<(), StoreError> {
    let mut insert = Query::insert();
    insert
        .into_table(WorkforceCell::Table)
        .columns(columns.iter().copied())
        .select_from(select)
        .map_err(|e| StoreError::Corrupt(format!("building the cells' insert: {e}")))?;
    db.execute(&insert).await?;
    Ok(())
}

/// Cells per multi-row `INSERT` on SQLite: 13 values each stays under its 32,766 bound
/// parameters.
const CELLS_PER_INSERT: usize = 2_000;

/// Writes `cells`, each under its snapshot id, in batches: by `COPY` when the transaction
/// is a [`BulkSession`]; else one statement per batch of arrays on PostgreSQL (see
/// [`super::stage`]), multi-row inserts on SQLite.
pub async fn write(
    db: &impl ConnectionTrait,
    bulk: Option<&BulkSession>,
    cells: impl Iterator<Item = (i32, Cell)>,
) -> Result<(), StoreError> {
    let postgres = db.get_database_backend() == sea_orm::DbBackend::Postgres;
    let batch = if postgres { 50_000 } else { CELLS_PER_INSERT };
    let mut cells = cells.peekable();
    while cells.peek().is_some() {
        let chunk: Vec<(i32, Cell)> = cells.by_ref().take(batch).collect();
        if let Some(session) = bulk {
            session.copy_in(COPY, copy_rows(&chunk).as_bytes()).await?;
        } else if postgres {
            write_arrays(db, &chunk).await?;
        } else {
            write_values(db, &chunk).await?;
        }
    }
    Ok(())
}

const COPY: &str = "COPY workforce_cell (snapshot_id, employer_id, year, business_unit_id, \
    grade_level, work_area, work_region, joiner, measure, category, records, key_sum, \
    score_sum) FROM STDIN";

/// The cells for [`COPY`], columns in its order.
fn copy_rows(chunk: &[(i32, Cell)]) -> CopyRows {
    let mut out = CopyRows::with_capacity(chunk.len() * 80);
    for (snapshot_id, c) in chunk {
        out.number(*snapshot_id)
            .number(c.employer)
            .number(c.year)
            .number(c.business_unit)
            .number(c.grade_level)
            .text(&c.work_area)
            .text(&c.work_region)
            .number(i32::from(c.joiner))
            .text(&c.measure)
            .maybe(c.category.as_deref(), |o, category| _ = o.text(category))
            .number(stored_count(c.records.count))
            .number(stored_count(c.records.key_sum))
            .double(c.score_sum)
            .end_row();
    }
    out
}

fn cell_columns() -> Vec<WorkforceCell> {
    let mut columns = KEY_COLUMNS.to_vec();
    columns.extend([
        WorkforceCell::Records,
        WorkforceCell::KeySum,
        WorkforceCell::ScoreSum,
    ]);
    columns
}

fn stored_count(n: u64) -> i64 {
    // Counts and key sums of real files are far below 2^63.
    i64::try_from(n).unwrap_or(i64::MAX)
}

async fn write_values(db: &impl ConnectionTrait, chunk: &[(i32, Cell)]) -> Result<(), StoreError> {
    let mut insert = Query::insert();
    insert
        .into_table(WorkforceCell::Table)
        .columns(cell_columns());
    for (snapshot_id, c) in chunk {
        insert
            .values([
                (*snapshot_id).into(),
                c.employer.into(),
                c.year.into(),
                c.business_unit.into(),
                c.grade_level.into(),
                c.work_area.as_str().into(),
                c.work_region.as_str().into(),
                i32::from(c.joiner).into(),
                c.measure.as_str().into(),
                c.category.as_deref().into(),
                stored_count(c.records.count).into(),
                stored_count(c.records.key_sum).into(),
                c.score_sum.into(),
            ])
            .map_err(|e| StoreError::Corrupt(format!("building the cells' insert: {e}")))?;
    }
    db.execute(&insert).await?;
    Ok(())
}

/// PostgreSQL: one array per column. Arrays travel without NULL elements, so an undeclared
/// category travels as `''`, which no group is.
async fn write_arrays(db: &impl ConnectionTrait, chunk: &[(i32, Cell)]) -> Result<(), StoreError> {
    fn column<T>(chunk: &[(i32, Cell)], f: impl Fn(&(i32, Cell)) -> T) -> sea_orm::Value
    where
        Vec<T>: Into<sea_orm::Value>,
    {
        chunk.iter().map(f).collect::<Vec<T>>().into()
    }
    let sql = "INSERT INTO workforce_cell (snapshot_id, employer_id, year, business_unit_id, \
          grade_level, work_area, work_region, joiner, measure, category, records, key_sum, \
          score_sum) \
        SELECT t.s, t.e, t.y, t.u, t.l, t.a, t.r, t.j, t.m, NULLIF(t.c, ''), t.n, t.k, t.sc \
        FROM UNNEST($1::int4[], $2::int4[], $3::int4[], $4::int4[], $5::int4[], $6::text[], \
          $7::text[], $8::int4[], $9::text[], $10::text[], $11::int8[], $12::int8[], \
          $13::float8[]) AS t(s, e, y, u, l, a, r, j, m, c, n, k, sc)";
    let values = vec![
        column(chunk, |(s, _)| *s),
        column(chunk, |(_, c)| c.employer),
        column(chunk, |(_, c)| c.year),
        column(chunk, |(_, c)| c.business_unit),
        column(chunk, |(_, c)| c.grade_level),
        column(chunk, |(_, c)| c.work_area.clone()),
        column(chunk, |(_, c)| c.work_region.clone()),
        column(chunk, |(_, c)| i32::from(c.joiner)),
        column(chunk, |(_, c)| c.measure.clone()),
        column(chunk, |(_, c)| c.category.clone().unwrap_or_default()),
        column(chunk, |(_, c)| stored_count(c.records.count)),
        column(chunk, |(_, c)| stored_count(c.records.key_sum)),
        column(chunk, |(_, c)| c.score_sum),
    ];
    db.execute_raw(sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        sql,
        values,
    ))
    .await?;
    Ok(())
}

/// Deletes the cells of one snapshot.
pub async fn delete(db: &impl ConnectionTrait, snapshot_id: i32) -> Result<(), StoreError> {
    let delete = Query::delete()
        .from_table(WorkforceCell::Table)
        .and_where(Expr::col(WorkforceCell::SnapshotId).eq(snapshot_id))
        .to_owned();
    db.execute(&delete).await?;
    Ok(())
}

/// Builds the cells of every snapshot that has records but no cells (imported before the
/// cells existed); returns how many snapshots it built.
pub async fn build_missing(db: &impl ConnectionTrait) -> Result<usize, StoreError> {
    let missing = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT s.id FROM workforce_snapshot s WHERE s.records > 0 AND NOT EXISTS \
             (SELECT 1 FROM workforce_cell c WHERE c.snapshot_id = s.id) ORDER BY s.id",
        ))
        .await?;
    for row in &missing {
        build(db, row.try_get("", "id")?).await?;
    }
    Ok(missing.len())
}

/// Every stored cell, streamed: each row is reduced to ordinals as it arrives, so loading
/// holds no more than the cells themselves.
pub async fn load(db: &(impl ConnectionTrait + StreamTrait)) -> Result<Cells, StoreError> {
    use WorkforceCell as C;
    let select = Query::select()
        .columns([
            C::SnapshotId,
            C::EmployerId,
            C::Year,
            C::BusinessUnitId,
            C::GradeLevel,
            C::WorkArea,
            C::WorkRegion,
            C::Joiner,
            C::Measure,
            C::Category,
            C::Records,
            C::KeySum,
            C::ScoreSum,
        ])
        .from(C::Table)
        .to_owned();
    let count = |n: i64, what: &str| {
        u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("cell {what} {n}")))
    };
    let corrupt = |e: CellError| StoreError::Corrupt(e.to_string());
    let mut builder = CellsBuilder::default();
    let rows = db.stream(&select).await?;
    let mut rows = std::pin::pin!(rows);
    while let Some(row) = rows.next().await {
        let row = row?;
        let joiner: i32 = row.try_get_by_index(7)?;
        let cell = Cell {
            snapshot: row.try_get_by_index(0)?,
            employer: row.try_get_by_index(1)?,
            year: row.try_get_by_index(2)?,
            business_unit: row.try_get_by_index(3)?,
            grade_level: row.try_get_by_index(4)?,
            work_area: row.try_get_by_index(5)?,
            work_region: row.try_get_by_index(6)?,
            joiner: joiner != 0,
            measure: row.try_get_by_index(8)?,
            category: row.try_get_by_index(9)?,
            records: Aggregate {
                count: count(row.try_get_by_index(10)?, "records")?,
                key_sum: count(row.try_get_by_index(11)?, "record-key sum")?,
            },
            score_sum: row.try_get_by_index(12)?,
        };
        builder.push(cell).map_err(corrupt)?;
    }
    Ok(builder.finish())
}
