//! The fingerprint of the bundled reference data a store was loaded with, so that a server
//! whose binary reads that data differently (files or parsers changed) reloads it at start-up
//! instead of serving what an older binary loaded.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DataVersion {
    Table,
    ReferenceFingerprint,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(DataVersion::Table)
                    .add_column(text_null(DataVersion::ReferenceFingerprint))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(DataVersion::Table)
                    .drop_column(DataVersion::ReferenceFingerprint)
                    .to_owned(),
            )
            .await
    }
}
