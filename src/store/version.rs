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
