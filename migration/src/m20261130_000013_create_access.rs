//! Who may do what: API keys with a role (only a salted hash of each is kept), the audit log
//! of everything done or refused with them, and the answers to submissions made with an
//! `Idempotency-Key`, kept so that a retried upload gets the first answer instead of a second
//! import.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKey {
    Table,
    Id,
    Name,
    Role,
    EmployerCode,
    Salt,
    Hash,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    Id,
    At,
    KeyId,
    Actor,
    Action,
    Subject,
    Outcome,
    Rows,
    Detail,
}

#[derive(DeriveIden)]
enum Submission {
    Table,
    Id,
    KeyId,
    IdempotencyKey,
    BodySha256,
    Status,
    Answer,
    ReceivedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiKey::Table)
                    .col(pk_auto(ApiKey::Id))
                    .col(string(ApiKey::Name))
                    .col(string(ApiKey::Role))
                    .col(string_null(ApiKey::EmployerCode))
                    .col(string(ApiKey::Salt))
                    .col(string(ApiKey::Hash))
                    .col(big_integer(ApiKey::CreatedAt))
                    .col(big_integer_null(ApiKey::RevokedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditEvent::Table)
                    .col(pk_auto(AuditEvent::Id))
                    .col(big_integer(AuditEvent::At))
                    .col(integer_null(AuditEvent::KeyId))
                    .col(string(AuditEvent::Actor))
                    .col(string(AuditEvent::Action))
                    .col(string_null(AuditEvent::Subject))
                    .col(string(AuditEvent::Outcome))
                    .col(big_integer_null(AuditEvent::Rows))
                    .col(text_null(AuditEvent::Detail))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Submission::Table)
                    .col(pk_auto(Submission::Id))
                    .col(integer(Submission::KeyId))
                    .col(string(Submission::IdempotencyKey))
                    .col(string(Submission::BodySha256))
                    .col(integer(Submission::Status))
                    .col(text(Submission::Answer))
                    .col(big_integer(Submission::ReceivedAt))
                    .index(
                        Index::create()
                            .name("idx_submission_idempotency")
                            .col(Submission::KeyId)
                            .col(Submission::IdempotencyKey)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Submission::Table.into_iden(),
            AuditEvent::Table.into_iden(),
            ApiKey::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
