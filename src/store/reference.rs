//! Queries over reference populations (benchmark shares).

use entity::reference_share;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use super::StoreError;

/// The share of a background group in a reference population.
#[derive(Debug, Clone, PartialEq)]
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
    let rows = shares.iter().map(|s| reference_share::ActiveModel {
        population: Set(s.population.clone()),
        area_code: Set(s.area_code.clone()),
        measure: Set(s.measure.clone()),
        category: Set(s.category.clone()),
        share: Set(s.share),
        period: Set(s.period.clone()),
        source: Set(s.source.clone()),
        confirmed: Set(s.confirmed),
        ..Default::default()
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
    let mut query = reference_share::Entity::find();
    if let Some(area) = area_code {
        query = query.filter(reference_share::Column::AreaCode.eq(area));
    }
    if let Some(measure) = measure {
        query = query.filter(reference_share::Column::Measure.eq(measure));
    }
    Ok(query
        .order_by_asc(reference_share::Column::AreaCode)
        .order_by_asc(reference_share::Column::Measure)
        .order_by_asc(reference_share::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|r| ReferenceShare {
            population: r.population,
            area_code: r.area_code,
            measure: r.measure,
            category: r.category,
            share: r.share,
            period: r.period,
            source: r.source,
            confirmed: r.confirmed,
        })
        .collect())
}
