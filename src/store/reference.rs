//! Queries over reference populations (benchmark shares).

use entity::reference_share;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QueryTrait, Set,
};

use super::StoreError;

/// The share of a background group in a reference population: a row of `reference_share`
/// without its id (read by column name).
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct ReferenceShare {
    /// The population described.
    pub population: String,
    /// The area (GSS code) it lives in.
    pub area_code: String,
    /// The SEB measure (column name).
    pub measure: String,
    /// The background group.
    pub category: String,
    /// The share, a fraction.
    pub share: f64,
    /// The period it describes.
    pub period: String,
    /// Who published it.
    pub source: String,
    /// Whether it was checked against the original table.
    pub confirmed: bool,
}

/// Replaces every stored reference share with `shares`. Call it inside a transaction.
pub async fn replace_all(
    db: &impl ConnectionTrait,
    shares: &[ReferenceShare],
) -> Result<(), StoreError> {
    reference_share::Entity::delete_many().exec(db).await?;
    if shares.is_empty() {
        return Ok(());
    }
    let rows = shares.iter().cloned().map(|s| {
        let ReferenceShare {
            population,
            area_code,
            measure,
            category,
            share,
            period,
            source,
            confirmed,
        } = s;
        reference_share::ActiveModel {
            population: Set(population),
            area_code: Set(area_code),
            measure: Set(measure),
            category: Set(category),
            share: Set(share),
            period: Set(period),
            source: Set(source),
            confirmed: Set(confirmed),
            ..Default::default()
        }
    });
    reference_share::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// How many reference shares are stored.
pub async fn total(db: &impl ConnectionTrait) -> Result<u64, StoreError> {
    Ok(reference_share::Entity::find().count(db).await?)
}

/// The reference shares, optionally only of one area and one measure.
pub async fn shares(
    db: &impl ConnectionTrait,
    area_code: Option<&str>,
    measure: Option<&str>,
) -> Result<Vec<ReferenceShare>, StoreError> {
    use reference_share::Column as C;
    Ok(reference_share::Entity::find()
        .apply_if(area_code, |q, area| q.filter(C::AreaCode.eq(area)))
        .apply_if(measure, |q, measure| q.filter(C::Measure.eq(measure)))
        .order_by_asc(C::AreaCode)
        .order_by_asc(C::Measure)
        .order_by_asc(C::Id)
        .into_model::<ReferenceShare>()
        .all(db)
        .await?)
}
