//! Where programme figures come from: each programme's source and licence, and a caveat on
//! a figure whose source is ambiguous (the published plan gives another value elsewhere,
//! or no year).
//!
//! Programmes stored before get an empty source and licence, which the API reports as not
//! stated until their file is imported again with the columns.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Programme {
    Table,
    Source,
    Licence,
}

#[derive(DeriveIden)]
enum ProgrammeFigure {
    Table,
    Caveat,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds columns one at a time.
        for column in [Programme::Source, Programme::Licence] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Programme::Table)
                        .add_column(text(column).default(""))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(ProgrammeFigure::Table)
                    .add_column(text_null(ProgrammeFigure::Caveat))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ProgrammeFigure::Table)
                    .drop_column(ProgrammeFigure::Caveat)
                    .to_owned(),
            )
            .await?;
        for column in [Programme::Licence, Programme::Source] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Programme::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
