//! Programmes, their metrics, and figures (actuals and targets per period and area).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Programme {
    Table,
    Id,
    Code,
    Name,
    Description,
    Stage,
    OwnerCode,
    OwnerName,
    Synthetic,
}

#[derive(DeriveIden)]
enum ProgrammeMetric {
    Table,
    Id,
    ProgrammeId,
    Code,
    Name,
    Unit,
    Numerator,
    Denominator,
}

#[derive(DeriveIden)]
enum ProgrammeFigure {
    Table,
    Id,
    MetricId,
    Period,
    Kind,
    Value,
    AreaCode,
    Note,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Programme::Table)
                    .col(pk_auto(Programme::Id))
                    .col(string_uniq(Programme::Code))
                    .col(string(Programme::Name))
                    .col(text(Programme::Description))
                    .col(string(Programme::Stage))
                    .col(string(Programme::OwnerCode))
                    .col(string(Programme::OwnerName))
                    .col(boolean(Programme::Synthetic))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProgrammeMetric::Table)
                    .col(pk_auto(ProgrammeMetric::Id))
                    .col(integer(ProgrammeMetric::ProgrammeId))
                    .col(string(ProgrammeMetric::Code))
                    .col(string(ProgrammeMetric::Name))
                    .col(string(ProgrammeMetric::Unit))
                    .col(string_null(ProgrammeMetric::Numerator))
                    .col(string_null(ProgrammeMetric::Denominator))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_programme_metric_programme")
                            .from(ProgrammeMetric::Table, ProgrammeMetric::ProgrammeId)
                            .to(Programme::Table, Programme::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .index(
                        Index::create()
                            .name("uq_programme_metric")
                            .unique()
                            .col(ProgrammeMetric::ProgrammeId)
                            .col(ProgrammeMetric::Code),
                    )
                    .to_owned(),
            )
            .await?;
        // The area is '' for a programme-wide figure, so the unique key holds no NULL (NULLs
        // never collide in a unique index, which would let a re-import duplicate a figure).
        manager
            .create_table(
                Table::create()
                    .table(ProgrammeFigure::Table)
                    .col(pk_auto(ProgrammeFigure::Id))
                    .col(integer(ProgrammeFigure::MetricId))
                    .col(string(ProgrammeFigure::Period))
                    .col(string(ProgrammeFigure::Kind))
                    .col(double(ProgrammeFigure::Value))
                    .col(string(ProgrammeFigure::AreaCode))
                    .col(text_null(ProgrammeFigure::Note))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_programme_figure_metric")
                            .from(ProgrammeFigure::Table, ProgrammeFigure::MetricId)
                            .to(ProgrammeMetric::Table, ProgrammeMetric::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .index(
                        Index::create()
                            .name("uq_programme_figure")
                            .unique()
                            .col(ProgrammeFigure::MetricId)
                            .col(ProgrammeFigure::Period)
                            .col(ProgrammeFigure::Kind)
                            .col(ProgrammeFigure::AreaCode),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ProgrammeFigure::Table.into_iden(),
            ProgrammeMetric::Table.into_iden(),
            Programme::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
