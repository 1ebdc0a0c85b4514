//! The pre-aggregated workforce cells (see [`crate::domain::cells`]): built from a
//! snapshot's staff records in the import's transaction, and read whole by the server.

use futures_util::StreamExt;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DeriveIden, StreamTrait};

use super::read::{engagement_group_expr, group_expr};
use crate::domain::cells::{Cell, CellError, Cells, CellsBuilder, ENGAGEMENT};
use crate::domain::disclosure::Aggregate;
use crate::domain::seb::Measure;
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

/// Which records cells are built from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Records {
    /// The stored records of one snapshot.
    Snapshot(i32),
    /// Every staged snapshot of the import under way, each under the id its snapshot has
    /// been given (see [`super::stage`]).
    Staged,
}

/// The records grouped by every dimension and by `category` (a `CASE` over answers),
/// selecting the key columns in [`KEY_COLUMNS`] order; the caller adds the sums. Staged rows
/// have every column of a record but the snapshot's (`snapshot_id`, `employer_id`, `year`),
/// which the stage's map adds, so the same unqualified names serve both.
fn grouped(records: Records, measure: &str, category: Expr) -> SelectStatement {
    use StaffRecord as S;
    let mut select = Query::select();
    match records {
        Records::Snapshot(id) => {
            select
                .from(S::Table)
                .and_where(Expr::col(S::SnapshotId).eq(id));
        }
        Records::Staged => {
            let (rows, map) = (
                Alias::new(super::stage::ROWS),
                Alias::new(super::stage::MAP),
            );
            let snap = Alias::new("snap");
            select.from(rows.clone()).inner_join(
                map.clone(),
                Expr::col((map, snap.clone())).equals((rows, snap)),
            );
        }
    }
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

/// Writes the cells of `records`: one `INSERT ... SELECT ... GROUP BY` per measure and one
/// for engagement, each one pass over the records.
pub async fn build(db: &impl ConnectionTrait, records: Records) -> Result<(), StoreError> {
    let mut columns = KEY_COLUMNS.to_vec();
    columns.extend([
        WorkforceCell::Records,
        WorkforceCell::KeySum,
        WorkforceCell::ScoreSum,
    ]);
    for measure in Measure::ALL {
        let mut select = grouped(records, measure.column(), group_expr(measure));
        select
            .expr(Func::count(Expr::col(sea_orm::sea_query::Asterisk)))
            .expr(key_sum())
            .expr(Expr::val(0.0f64));
        insert(db, &columns, select).await?;
    }
    // Engagement is compared between declared backgrounds only.
    let po = Measure::ParentalOccupation;
    let declared: Vec<&str> = po.groups().iter().flat_map(|g| po.codes_of(g)).collect();
    let mut select = grouped(records, ENGAGEMENT, engagement_group_expr());
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
        build(db, Records::Snapshot(row.try_get("", "id")?)).await?;
    }
    Ok(missing.len())
}

/// Every stored cell, streamed: each row is reduced to ordinals as it arrives, so loading
/// holds no more than the cells themselves.
pub async fn load(db: &(impl ConnectionTrait + StreamTrait)) -> Result<Cells, StoreError> {
    use WorkforceCell as C;
    let select = Query::select()
        .columns([
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
        let joiner: i32 = row.try_get_by_index(6)?;
        let cell = Cell {
            employer: row.try_get_by_index(0)?,
            year: row.try_get_by_index(1)?,
            business_unit: row.try_get_by_index(2)?,
            grade_level: row.try_get_by_index(3)?,
            work_area: row.try_get_by_index(4)?,
            work_region: row.try_get_by_index(5)?,
            joiner: joiner != 0,
            measure: row.try_get_by_index(7)?,
            category: row.try_get_by_index(8)?,
            records: Aggregate {
                count: count(row.try_get_by_index(9)?, "records")?,
                key_sum: count(row.try_get_by_index(10)?, "record-key sum")?,
            },
            score_sum: row.try_get_by_index(11)?,
        };
        builder.push(cell).map_err(corrupt)?;
    }
    Ok(builder.finish())
}
