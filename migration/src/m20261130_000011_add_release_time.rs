//! When the data of the current version was released (the import that bumped it committed),
//! so exports can say when their figures were published, the same on every replica.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DataVersion {
    Table,
    ReleasedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Seconds since 1970 (UTC); null until the first import after this migration.
        manager
            .alter_table(
                Table::alter()
                    .table(DataVersion::Table)
                    .add_column(big_integer_null(DataVersion::ReleasedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(DataVersion::Table)
                    .drop_column(DataVersion::ReleasedAt)
                    .to_owned(),
            )
            .await
    }
}
