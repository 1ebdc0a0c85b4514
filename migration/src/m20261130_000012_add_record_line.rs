//! The line of its source file each staff record came from, so that an import can write a
//! new snapshot's records straight into `staff_record` and still name the lines of a person
//! given twice (before, every row went through a staging table for its line, and was then
//! copied again).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StaffRecord {
    Table,
    Line,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Null for records imported before lines were kept.
        manager
            .alter_table(
                Table::alter()
                    .table(StaffRecord::Table)
                    .add_column(big_integer_null(StaffRecord::Line))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(StaffRecord::Table)
                    .drop_column(StaffRecord::Line)
                    .to_owned(),
            )
            .await
    }
}
