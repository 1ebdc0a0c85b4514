//! Cold-spot indicators: definitions, and their values per area, period and breakdown.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Area {
    Table,
    Code,
}

#[derive(DeriveIden)]
enum Indicator {
    Table,
    Id,
    Code,
    Name,
    Description,
    Unit,
    Domain,
    HigherIsBetter,
    Source,
    Licence,
    Synthetic,
}

#[derive(DeriveIden)]
enum IndicatorValue {
    Table,
    Id,
    IndicatorId,
    AreaCode,
    Period,
    Breakdown,
    Value,
    Lower,
    Upper,
    SampleSize,
    Note,
    PublishedGroup,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Indicator::Table)
                    .col(pk_auto(Indicator::Id))
                    .col(string_uniq(Indicator::Code))
                    .col(string(Indicator::Name))
                    .col(text(Indicator::Description))
                    .col(string(Indicator::Unit))
                    .col(string(Indicator::Domain))
                    .col(boolean(Indicator::HigherIsBetter))
                    .col(text(Indicator::Source))
                    .col(string(Indicator::Licence))
                    .col(boolean(Indicator::Synthetic))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IndicatorValue::Table)
                    .col(pk_auto(IndicatorValue::Id))
                    .col(integer(IndicatorValue::IndicatorId))
                    .col(string(IndicatorValue::AreaCode))
                    .col(string(IndicatorValue::Period))
                    .col(string(IndicatorValue::Breakdown))
                    .col(double(IndicatorValue::Value))
                    .col(double_null(IndicatorValue::Lower))
                    .col(double_null(IndicatorValue::Upper))
                    .col(big_integer_null(IndicatorValue::SampleSize))
                    .col(text_null(IndicatorValue::Note))
                    .col(string_null(IndicatorValue::PublishedGroup))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_indicator_value_indicator")
                            .from(IndicatorValue::Table, IndicatorValue::IndicatorId)
                            .to(Indicator::Table, Indicator::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_indicator_value_area")
                            .from(IndicatorValue::Table, IndicatorValue::AreaCode)
                            .to(Area::Table, Area::Code),
                    )
                    // One value per indicator, period, breakdown and area; the order serves
                    // the index, which reads every area of one indicator, period and breakdown.
                    .index(
                        Index::create()
                            .name("uq_indicator_value")
                            .unique()
                            .col(IndicatorValue::IndicatorId)
                            .col(IndicatorValue::Period)
                            .col(IndicatorValue::Breakdown)
                            .col(IndicatorValue::AreaCode),
                    )
                    .to_owned(),
            )
            .await?;
        // An area's own values (`Area.indicators`).
        manager
            .create_index(
                Index::create()
                    .name("idx_indicator_value_area")
                    .table(IndicatorValue::Table)
                    .col(IndicatorValue::AreaCode)
                    .col(IndicatorValue::Period)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IndicatorValue::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Indicator::Table).to_owned())
            .await
    }
}
