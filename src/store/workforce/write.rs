//! Writing the workforce tables: employers, business units, grades, and snapshots of staff
//! records (what imports use).

use std::collections::HashMap;

use entity::{business_unit, employer, grade, staff_record, workforce_snapshot};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use super::read::Employer;
use crate::store::error::StoreError;

/// Rows (business units, grades) per insert statement: a few values each stays well under
/// SQLite's 32,766 and PostgreSQL's 65,535 bound parameters.
const ROWS_PER_INSERT: usize = 1000;

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

/// Inserts `rows` in multi-row statements, resolving conflicts by `on_conflict`.
async fn upsert<A: ActiveModelTrait>(
    db: &impl ConnectionTrait,
    rows: impl IntoIterator<Item = A>,
    on_conflict: OnConflict,
) -> Result<(), StoreError> {
    let rows: Vec<A> = rows.into_iter().collect();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        A::Entity::insert_many(chunk.to_vec())
            .on_conflict(on_conflict.clone())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Every row of an entity whose `employer` column is `employer_id`.
async fn stored_of<C: ColumnTrait>(
    db: &impl ConnectionTrait,
    employer: C,
    employer_id: i32,
) -> Result<Vec<<C::EntityName as EntityTrait>::Model>, StoreError>
where
    C::EntityName: EntityTrait<Column = C>,
{
    Ok(<C::EntityName as EntityTrait>::find()
        .filter(employer.eq(employer_id))
        .all(db)
        .await?)
}

/// Creates the employer's business units that do not exist yet; returns every unit's id by
/// name.
pub async fn ensure_business_units(
    db: &impl ConnectionTrait,
    employer_id: i32,
    names: &[&str],
) -> Result<HashMap<String, i32>, StoreError> {
    let rows = names.iter().map(|name| business_unit::ActiveModel {
        employer_id: Set(employer_id),
        name: Set((*name).to_owned()),
        ..Default::default()
    });
    use business_unit::Column as C;
    let mut keep = OnConflict::columns([C::EmployerId, C::Name]);
    upsert(db, rows, keep.do_nothing().to_owned()).await?;
    let stored = stored_of(db, C::EmployerId, employer_id).await?;
    Ok(stored.into_iter().map(|u| (u.name, u.id)).collect())
}

/// Creates or updates the employer's grades (label and level); returns every grade's id by
/// label.
pub async fn ensure_grades(
    db: &impl ConnectionTrait,
    employer_id: i32,
    grades: &[(&str, i32)],
) -> Result<HashMap<String, i32>, StoreError> {
    let rows = grades.iter().map(|(label, level)| grade::ActiveModel {
        employer_id: Set(employer_id),
        label: Set((*label).to_owned()),
        grade_level: Set(*level),
        ..Default::default()
    });
    use grade::Column as C;
    let mut update = OnConflict::columns([C::EmployerId, C::Label]);
    upsert(db, rows, update.update_column(C::GradeLevel).to_owned()).await?;
    Ok(stored_of(db, C::EmployerId, employer_id)
        .await?
        .into_iter()
        .map(|g| (g.label, g.id))
        .collect())
}

/// The latest version of the employer's snapshot of `year`, if there is one: its draft,
/// or else the version of the latest release. Its id, and whether it is a draft.
pub async fn latest_version(
    db: &impl ConnectionTrait,
    employer_id: i32,
    year: i32,
) -> Result<Option<(i32, bool)>, StoreError> {
    let versions = workforce_snapshot::Entity::find()
        .filter(workforce_snapshot::Column::EmployerId.eq(employer_id))
        .filter(workforce_snapshot::Column::Year.eq(year))
        .all(db)
        .await?;
    // A draft (no release) comes after every release.
    Ok(versions
        .into_iter()
        .max_by_key(|s| s.release_id.map_or(i64::MAX, i64::from))
        .map(|s| (s.id, s.release_id.is_none())))
}

/// Makes a new draft of the employer's snapshot of `year`, empty, after version `old` (the
/// latest one): `old` is deleted, with its records and cells, when it is itself a draft;
/// a published version stays, as its release's. Returns the new draft's id.
pub async fn supersede(
    db: &impl ConnectionTrait,
    (old, old_is_draft): (i32, bool),
    [employer_id, year]: [i32; 2],
    source: &str,
    (records, imported_at): (i64, i64),
) -> Result<i32, StoreError> {
    if old_is_draft {
        delete_snapshot_by_id(db, old).await?;
    }
    create_snapshot(db, [employer_id, year], source, records, imported_at).await
}

/// Creates a draft of the employer's snapshot of `year` (the employer-year must have no
/// draft); returns its id.
pub async fn create_snapshot(
    db: &impl ConnectionTrait,
    [employer_id, year]: [i32; 2],
    source: &str,
    records: i64,
    imported_at: i64,
) -> Result<i32, StoreError> {
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
    Ok(created.id)
}

/// Records how many staff records snapshot `id` holds, once they are all written.
pub async fn set_records(
    db: &impl ConnectionTrait,
    id: i32,
    records: i64,
) -> Result<(), StoreError> {
    workforce_snapshot::Entity::update_many()
        .col_expr(workforce_snapshot::Column::Records, records.into())
        .filter(workforce_snapshot::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes a snapshot with its records and cells.
async fn delete_snapshot_by_id(db: &impl ConnectionTrait, id: i32) -> Result<(), StoreError> {
    super::cells::delete(db, id).await?;
    staff_record::Entity::delete_many()
        .filter(staff_record::Column::SnapshotId.eq(id))
        .exec(db)
        .await?;
    workforce_snapshot::Entity::delete_by_id(id)
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes every version of the employer's snapshot of `year` (published or draft) with
/// their records and cells; returns them, oldest first (none when there was none). The
/// employer, its units and grades stay.
pub async fn delete_snapshot(
    db: &impl ConnectionTrait,
    employer_id: i32,
    year: i32,
) -> Result<Vec<super::read::Snapshot>, StoreError> {
    let found = workforce_snapshot::Entity::find()
        .filter(workforce_snapshot::Column::EmployerId.eq(employer_id))
        .filter(workforce_snapshot::Column::Year.eq(year))
        .order_by_asc(workforce_snapshot::Column::Id)
        .all(db)
        .await?;
    let mut gone = Vec::with_capacity(found.len());
    for version in found {
        delete_snapshot_by_id(db, version.id).await?;
        gone.push(super::read::Snapshot::from(version));
    }
    Ok(gone)
}

/// Gives an employer another code; its name, units, grades and snapshots stay with it.
pub async fn rename_employer(
    db: &impl ConnectionTrait,
    employer_id: i32,
    code: &str,
) -> Result<(), StoreError> {
    employer::Entity::update_many()
        .col_expr(employer::Column::Code, code.into())
        .filter(employer::Column::Id.eq(employer_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes an employer with its business units and grades; the caller has checked that it
/// has no snapshot. Returns how many units and grades went.
pub async fn delete_employer(
    db: &impl ConnectionTrait,
    employer_id: i32,
) -> Result<(u64, u64), StoreError> {
    let units = business_unit::Entity::delete_many()
        .filter(business_unit::Column::EmployerId.eq(employer_id))
        .exec(db)
        .await?
        .rows_affected;
    let grades = grade::Entity::delete_many()
        .filter(grade::Column::EmployerId.eq(employer_id))
        .exec(db)
        .await?
        .rows_affected;
    employer::Entity::delete_by_id(employer_id).exec(db).await?;
    Ok((units, grades))
}

/// After a bulk import on PostgreSQL: `VACUUM (ANALYZE)` marks the new rows visible and
/// refreshes the planner's statistics, for the next re-import's look-ups of stored record
/// keys (no figure reads staff records: they are summed from cells). Autovacuum would get
/// there later; this makes it immediate. It cannot run inside a transaction, so it takes the
/// pool. SQLite needs nothing: its plans do not depend on statistics here.
pub async fn refresh_statistics(db: &sea_orm::DatabaseConnection) -> Result<(), StoreError> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("VACUUM (ANALYZE) staff_record")
            .await?;
    }
    Ok(())
}
