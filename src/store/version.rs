//! The data version: a counter every import bumps in its own transaction, so a server (and
//! every replica on the same store) can tell that what it holds in memory is out of date.

use sea_orm::{ConnectionTrait, Statement};

use super::error::StoreError;

/// The stored data version.
pub async fn read(db: &impl ConnectionTrait) -> Result<i64, StoreError> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM data_version WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| StoreError::Corrupt("the data version row is missing".into()))?;
    Ok(row.try_get_by_index(0)?)
}

/// Bumps the data version; called inside an import's transaction, so the new version becomes
/// visible exactly when the data does.
pub async fn bump(db: &impl ConnectionTrait) -> Result<(), StoreError> {
    db.execute_unprepared("UPDATE data_version SET version = version + 1 WHERE id = 1")
        .await?;
    Ok(())
}

/// The fingerprint of the reference data the store holds; `None` when it was loaded before
/// fingerprints were kept (or never).
pub async fn reference_fingerprint(
    db: &impl ConnectionTrait,
) -> Result<Option<String>, StoreError> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT reference_fingerprint FROM data_version WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| StoreError::Corrupt("the data version row is missing".into()))?;
    Ok(row.try_get_by_index(0)?)
}

/// Records the fingerprint of the reference data just loaded, in the loading transaction.
pub async fn set_reference_fingerprint(
    db: &impl ConnectionTrait,
    fingerprint: &str,
) -> Result<(), StoreError> {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        match db.get_database_backend() {
            sea_orm::DbBackend::Postgres => {
                "UPDATE data_version SET reference_fingerprint = $1 WHERE id = 1"
            }
            _ => "UPDATE data_version SET reference_fingerprint = ? WHERE id = 1",
        },
        [fingerprint.into()],
    ))
    .await?;
    Ok(())
}
