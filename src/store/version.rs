//! The data version: a counter every import bumps in its own transaction, so a server (and
//! every replica on the same store) can tell that what it holds in memory is out of date.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, Statement};

use super::error::StoreError;

/// A column of the one data version row.
async fn stored<T: sea_orm::TryGetable>(
    db: &impl ConnectionTrait,
    column: &str,
) -> Result<T, StoreError> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT {column} FROM data_version WHERE id = 1"),
        ))
        .await?
        .ok_or_else(|| StoreError::Corrupt("the data version row is missing".into()))?;
    Ok(row.try_get_by_index(0)?)
}

/// The stored data version.
pub async fn read(db: &impl ConnectionTrait) -> Result<i64, StoreError> {
    stored(db, "version").await
}

/// Bumps the data version; called inside an import's transaction, so the new version becomes
/// visible exactly when the data does.
pub async fn bump(db: &impl ConnectionTrait) -> Result<(), StoreError> {
    let now = super::clock::now();
    let update = Query::update()
        .table(Alias::new("data_version"))
        .value(
            Alias::new("version"),
            Expr::col(Alias::new("version")).add(1),
        )
        .value(Alias::new("released_at"), now)
        .and_where(Expr::col(Alias::new("id")).eq(1))
        .to_owned();
    db.execute(&update).await?;
    Ok(())
}

/// When the stored data version was released (seconds since 1970, UTC); `None` before the
/// first import that recorded it.
pub async fn released_at(db: &impl ConnectionTrait) -> Result<Option<i64>, StoreError> {
    stored(db, "released_at").await
}

/// The fingerprint of the reference data the store holds; `None` when it was loaded before
/// fingerprints were kept (or never).
pub async fn reference_fingerprint(
    db: &impl ConnectionTrait,
) -> Result<Option<String>, StoreError> {
    stored(db, "reference_fingerprint").await
}

/// Records the fingerprint of the reference data just loaded, in the loading transaction.
pub async fn set_reference_fingerprint(
    db: &impl ConnectionTrait,
    fingerprint: &str,
) -> Result<(), StoreError> {
    let update = Query::update()
        .table(Alias::new("data_version"))
        .value(Alias::new("reference_fingerprint"), fingerprint)
        .and_where(Expr::col(Alias::new("id")).eq(1))
        .to_owned();
    db.execute(&update).await?;
    Ok(())
}
