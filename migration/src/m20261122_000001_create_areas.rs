//! Geography: areas, their alternative codes and the levels each lies within.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Area {
    Table,
    Code,
    Name,
    Level,
    ParentCode,
}

#[derive(DeriveIden)]
enum AreaAltCode {
    Table,
    Code,
    AreaCode,
    Scheme,
}

#[derive(DeriveIden)]
enum AreaWithin {
    Table,
    AreaCode,
    Level,
    WithinCode,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Area::Table)
                    .col(string(Area::Code).primary_key())
                    .col(string(Area::Name))
                    .col(string(Area::Level))
                    .col(string_null(Area::ParentCode))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_area_parent")
                            .from(Area::Table, Area::ParentCode)
                            .to(Area::Table, Area::Code),
                    )
                    .to_owned(),
            )
            .await?;
        // Children are listed per parent, ordered by code.
        manager
            .create_index(
                Index::create()
                    .name("idx_area_parent_code")
                    .table(Area::Table)
                    .col(Area::ParentCode)
                    .col(Area::Code)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AreaAltCode::Table)
                    .col(string(AreaAltCode::Code).primary_key())
                    .col(string(AreaAltCode::AreaCode))
                    .col(string(AreaAltCode::Scheme))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_area_alt_code_area")
                            .from(AreaAltCode::Table, AreaAltCode::AreaCode)
                            .to(Area::Table, Area::Code)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_area_alt_code_area")
                    .table(AreaAltCode::Table)
                    .col(AreaAltCode::AreaCode)
                    .to_owned(),
            )
            .await?;

        // One row per (area, level): the area of that level the area lies in, itself included
        // when it plays that level's part. Filters by place ("a region includes its
        // authorities") and `Area.within` both read it, so no query walks the tree.
        manager
            .create_table(
                Table::create()
                    .table(AreaWithin::Table)
                    .col(string(AreaWithin::AreaCode))
                    .col(string(AreaWithin::Level))
                    .col(string(AreaWithin::WithinCode))
                    .primary_key(
                        Index::create()
                            .col(AreaWithin::AreaCode)
                            .col(AreaWithin::Level),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_area_within_area")
                            .from(AreaWithin::Table, AreaWithin::AreaCode)
                            .to(Area::Table, Area::Code)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_area_within_within")
                            .from(AreaWithin::Table, AreaWithin::WithinCode)
                            .to(Area::Table, Area::Code)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_area_within_level_within")
                    .table(AreaWithin::Table)
                    .col(AreaWithin::Level)
                    .col(AreaWithin::WithinCode)
                    .col(AreaWithin::AreaCode)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AreaWithin::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AreaAltCode::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Area::Table).to_owned())
            .await
    }
}
