//! An API key: who holds it, what it may do, and a salted hash of its secret (the secret
//! itself is shown once, when the key is created, and never stored).

use sea_orm::entity::prelude::*;

/// One API key.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "api_key")]
pub struct Model {
    /// The key's id, also the first part of the key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Who holds it, in words.
    pub name: String,
    /// `admin`, `employer` or `partner`.
    pub role: String,
    /// The employer an `employer` key submits for and sees drafts of.
    pub employer_code: Option<String>,
    /// Random salt of the hash, hex.
    pub salt: String,
    /// HMAC-SHA-256 of the secret keyed by the salt, hex.
    pub hash: String,
    /// When it was created (seconds since 1970, UTC).
    pub created_at: i64,
    /// When it was revoked, if it was.
    pub revoked_at: Option<i64>,
}

/// Relations of a key (none declared).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
