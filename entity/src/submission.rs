//! The answer given to a submission made with an `Idempotency-Key`, so that the same key and
//! key id replayed get the same answer, and nothing is imported twice.

use sea_orm::entity::prelude::*;

/// One submission with an idempotency key.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "submission")]
pub struct Model {
    /// Its id.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The API key that submitted it.
    pub key_id: i32,
    /// The client's `Idempotency-Key`.
    pub idempotency_key: String,
    /// SHA-256 of the body, hex: the same idempotency key with another body is refused.
    pub body_sha256: String,
    /// The HTTP status answered.
    pub status: i32,
    /// The JSON body answered.
    pub answer: String,
    /// When it was received (seconds since 1970, UTC).
    pub received_at: i64,
}

/// Relations of a submission (none declared).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
