//! Releases and the versions of each employer-year they publish.
//!
//! An import writes each employer-year as a new version (a draft), replacing that
//! employer-year's draft if it has one; publishing makes every draft (or an import's own)
//! part of a new numbered release. Published versions are never changed: a correction is a
//! newer version in a later release.

use entity::{data_release, workforce_snapshot};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::error::StoreError;
use crate::domain::release::VersionKey;

/// One release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// Its number (1, 2, ... in the order published).
    pub number: i32,
    /// When it was published (seconds since 1970, UTC).
    pub published_at: i64,
    /// What it publishes, in the publisher's words.
    pub notes: String,
    /// The earlier release it corrects, if any.
    pub corrects: Option<i32>,
    /// Who published it.
    pub published_by: String,
}

impl From<data_release::Model> for Release {
    fn from(m: data_release::Model) -> Self {
        Release {
            number: m.id,
            published_at: m.published_at,
            notes: m.notes,
            corrects: m.corrects,
            published_by: m.published_by,
        }
    }
}

/// One stored version of an employer-year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// The snapshot id its cells carry.
    pub snapshot: i32,
    /// The employer.
    pub employer_id: i32,
    /// The year.
    pub year: i32,
    /// The file it was imported from.
    pub source: String,
    /// When it was imported (seconds since 1970, UTC).
    pub imported_at: i64,
    /// The release that published it; `None`: a draft.
    pub release: Option<i32>,
}

impl Version {
    /// What choosing a view needs of it.
    pub fn key(&self) -> VersionKey {
        VersionKey {
            snapshot: self.snapshot,
            employer: self.employer_id,
            year: self.year,
            release: self.release,
        }
    }
}

/// What a new release is: its words and who makes it.
#[derive(Debug, Clone)]
pub struct NewRelease<'a> {
    /// What it publishes.
    pub notes: &'a str,
    /// The earlier release it corrects, if any.
    pub corrects: Option<i32>,
    /// Who publishes it.
    pub published_by: &'a str,
}

/// Every release, oldest first.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<Release>, StoreError> {
    Ok(data_release::Entity::find()
        .order_by_asc(data_release::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Release::from)
        .collect())
}

/// Every stored version of every employer-year, by snapshot id.
pub async fn versions(db: &impl ConnectionTrait) -> Result<Vec<Version>, StoreError> {
    Ok(workforce_snapshot::Entity::find()
        .order_by_asc(workforce_snapshot::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|s| Version {
            snapshot: s.id,
            employer_id: s.employer_id,
            year: s.year,
            source: s.source,
            imported_at: s.imported_at,
            release: s.release_id,
        })
        .collect())
}

/// The drafts a release would publish: all of them, or those of `only` (snapshot ids).
pub async fn drafts(
    db: &impl ConnectionTrait,
    only: Option<&[i32]>,
) -> Result<Vec<workforce_snapshot::Model>, StoreError> {
    let mut query =
        workforce_snapshot::Entity::find().filter(workforce_snapshot::Column::ReleaseId.is_null());
    if let Some(ids) = only {
        query = query.filter(workforce_snapshot::Column::Id.is_in(ids.iter().copied()));
    }
    Ok(query
        .order_by_asc(workforce_snapshot::Column::EmployerId)
        .order_by_asc(workforce_snapshot::Column::Year)
        .all(db)
        .await?)
}

/// Publishes the drafts `only` names (all drafts when `None`) as a new release, in the
/// caller's transaction; returns it with the snapshots it published, or `None` when there
/// was no draft to publish (then nothing is written). The caller bumps the data version.
pub async fn publish(
    db: &impl ConnectionTrait,
    only: Option<&[i32]>,
    new: &NewRelease<'_>,
) -> Result<Option<(Release, Vec<workforce_snapshot::Model>)>, StoreError> {
    let drafts = drafts(db, only).await?;
    if drafts.is_empty() {
        return Ok(None);
    }
    let release = data_release::ActiveModel {
        published_at: Set(super::clock::now()),
        notes: Set(new.notes.to_owned()),
        corrects: Set(new.corrects),
        published_by: Set(new.published_by.to_owned()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    workforce_snapshot::Entity::update_many()
        .col_expr(
            workforce_snapshot::Column::ReleaseId,
            Expr::value(release.id),
        )
        .filter(workforce_snapshot::Column::Id.is_in(drafts.iter().map(|d| d.id)))
        .exec(db)
        .await?;
    Ok(Some((Release::from(release), drafts)))
}

/// Whether release `number` exists.
pub async fn exists(db: &impl ConnectionTrait, number: i32) -> Result<bool, StoreError> {
    Ok(data_release::Entity::find_by_id(number)
        .one(db)
        .await?
        .is_some())
}
