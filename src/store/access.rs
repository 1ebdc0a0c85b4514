//! API keys, the audit log and the answers kept for idempotent submissions.

use entity::{api_key, audit_event, submission};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::clock::now;
use super::error::StoreError;
use crate::domain::access::{KeyHolder, NewSecret, Role};

/// A stored key, without its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// Who holds it and what it may do.
    pub holder: KeyHolder,
    /// When it was created.
    pub created_at: i64,
    /// When it was revoked, if it was.
    pub revoked_at: Option<i64>,
}

fn stored_key(model: api_key::Model) -> Result<StoredKey, StoreError> {
    let role = model
        .role
        .parse::<Role>()
        .map_err(|e| StoreError::Corrupt(format!("key {}: {e}", model.id)))?;
    Ok(StoredKey {
        holder: KeyHolder {
            id: model.id,
            name: model.name,
            role,
            employer: model.employer_code,
        },
        created_at: model.created_at,
        revoked_at: model.revoked_at,
    })
}

/// Stores a new key of `role` held by `name` (for `employer`, an employer key); returns it
/// with the whole key, which is shown once and never stored.
pub async fn create_key(
    db: &impl ConnectionTrait,
    name: &str,
    role: Role,
    employer: Option<&str>,
) -> Result<(StoredKey, String), StoreError> {
    let secret = NewSecret::generate();
    let model = api_key::ActiveModel {
        name: Set(name.to_owned()),
        role: Set(role.name().to_owned()),
        employer_code: Set(employer.map(str::to_owned)),
        salt: Set(secret.salt.clone()),
        hash: Set(secret.hash.clone()),
        created_at: Set(now()),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let key = secret.key(model.id);
    Ok((stored_key(model)?, key))
}

/// Every key, oldest first.
pub async fn keys(db: &impl ConnectionTrait) -> Result<Vec<StoredKey>, StoreError> {
    api_key::Entity::find()
        .order_by_asc(api_key::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(stored_key)
        .collect()
}

/// Revokes key `id`; returns it, or `None` when there is no such key. Revoking a revoked
/// key keeps its first revocation time.
pub async fn revoke_key(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<StoredKey>, StoreError> {
    let Some(found) = api_key::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    if found.revoked_at.is_some() {
        return stored_key(found).map(Some);
    }
    let mut active: api_key::ActiveModel = found.into();
    active.revoked_at = Set(Some(now()));
    stored_key(active.update(db).await?).map(Some)
}

/// What a presented key turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyCheck {
    /// A valid key.
    Valid(KeyHolder),
    /// A key that was revoked.
    Revoked(KeyHolder),
    /// No stored key has this id and secret.
    Unknown,
}

/// Checks the key of id `id` and secret `secret`.
pub async fn check_key(
    db: &impl ConnectionTrait,
    id: i32,
    secret: &str,
) -> Result<KeyCheck, StoreError> {
    let Some(found) = api_key::Entity::find_by_id(id).one(db).await? else {
        return Ok(KeyCheck::Unknown);
    };
    if !crate::domain::access::secret_matches(secret, &found.salt, &found.hash) {
        return Ok(KeyCheck::Unknown);
    }
    let key = stored_key(found)?;
    Ok(match key.revoked_at {
        Some(_) => KeyCheck::Revoked(key.holder),
        None => KeyCheck::Valid(key.holder),
    })
}

/// An event to record in the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Event {
    /// The key that acted, if one did.
    pub key_id: Option<i32>,
    /// Who acted, in words.
    pub actor: String,
    /// What was asked.
    pub action: String,
    /// What it was about.
    pub subject: Option<String>,
    /// How it ended.
    pub outcome: String,
    /// Rows involved.
    pub rows: Option<i64>,
    /// More, as JSON.
    pub detail: Option<serde_json::Value>,
}

/// A recorded event, with its number and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// Its number.
    pub id: i32,
    /// When (seconds since 1970, UTC).
    pub at: i64,
    /// What was recorded.
    pub event: Event,
}

/// Records `event` now.
pub async fn record(db: &impl ConnectionTrait, event: Event) -> Result<(), StoreError> {
    audit_event::ActiveModel {
        at: Set(now()),
        key_id: Set(event.key_id),
        actor: Set(event.actor),
        action: Set(event.action),
        subject: Set(event.subject),
        outcome: Set(event.outcome),
        rows: Set(event.rows),
        detail: Set(event.detail.map(|d| d.to_string())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The latest `limit` events, newest first.
pub async fn audit_log(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<Recorded>, StoreError> {
    audit_event::Entity::find()
        .order_by_desc(audit_event::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|m| {
            let detail = m
                .detail
                .map(|d| serde_json::from_str(&d))
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("audit event {}: {e}", m.id)))?;
            Ok(Recorded {
                id: m.id,
                at: m.at,
                event: Event {
                    key_id: m.key_id,
                    actor: m.actor,
                    action: m.action,
                    subject: m.subject,
                    outcome: m.outcome,
                    rows: m.rows,
                    detail,
                },
            })
        })
        .collect()
}

/// The answer kept for a submission with an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAnswer {
    /// SHA-256 of the body, hex.
    pub body_sha256: String,
    /// The HTTP status answered.
    pub status: u16,
    /// The JSON body answered.
    pub answer: String,
}

/// The answer kept for key `key_id`'s submission with idempotency key `idempotency_key`.
pub async fn kept_answer(
    db: &impl ConnectionTrait,
    key_id: i32,
    idempotency_key: &str,
) -> Result<Option<KeptAnswer>, StoreError> {
    Ok(submission::Entity::find()
        .filter(submission::Column::KeyId.eq(key_id))
        .filter(submission::Column::IdempotencyKey.eq(idempotency_key))
        .one(db)
        .await?
        .map(|m| KeptAnswer {
            body_sha256: m.body_sha256,
            status: u16::try_from(m.status).unwrap_or(500),
            answer: m.answer,
        }))
}

/// Keeps the answer to key `key_id`'s submission with `idempotency_key`; written in the
/// submission's own transaction, so that the answer is kept exactly when the data is.
pub async fn keep_answer(
    db: &impl ConnectionTrait,
    key_id: i32,
    idempotency_key: &str,
    kept: &KeptAnswer,
) -> Result<(), StoreError> {
    submission::ActiveModel {
        key_id: Set(key_id),
        idempotency_key: Set(idempotency_key.to_owned()),
        body_sha256: Set(kept.body_sha256.clone()),
        status: Set(i32::from(kept.status)),
        answer: Set(kept.answer.clone()),
        received_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
