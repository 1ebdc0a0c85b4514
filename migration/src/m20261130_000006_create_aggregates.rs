//! The pre-aggregated store: per snapshot, the cells every workforce figure is summed from,
//! and the data version every import bumps.
//!
//! A cell is one combination of the dimensions the API offers (employer, year, business
//! unit, grade level, place of work, joiner or not) and one measure's background group, with
//! its record count and record-key sum; the engagement cells also hold their score sum. The
//! server builds the cells of snapshots imported before this table existed at start-up.
//!
//! With every figure summed from cells, nothing reads staff records by year and employer any
//! more: the covering index of the headline figures goes, and imports no longer maintain it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WorkforceSnapshot {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum WorkforceCell {
    Table,
    SnapshotId,
    EmployerId,
    Year,
    BusinessUnitId,
    GradeLevel,
    WorkArea,
    WorkRegion,
    Joiner,
    Measure,
    Category,
    Records,
    KeySum,
    ScoreSum,
}

#[derive(DeriveIden)]
enum StaffRecord {
    Table,
    Year,
    EmployerId,
    GradeLevel,
    WorkRegion,
    ParentalOccupation,
    JoinedYear,
    Engagement,
    RecordKey,
}

const HEADLINE_INDEX: &str = "idx_staff_record_headline";

#[derive(DeriveIden)]
enum DataVersion {
    Table,
    Id,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(HEADLINE_INDEX).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WorkforceCell::Table)
                    .col(integer(WorkforceCell::SnapshotId))
                    .col(integer(WorkforceCell::EmployerId))
                    .col(integer(WorkforceCell::Year))
                    .col(integer(WorkforceCell::BusinessUnitId))
                    .col(integer(WorkforceCell::GradeLevel))
                    .col(string(WorkforceCell::WorkArea))
                    .col(string(WorkforceCell::WorkRegion))
                    .col(integer(WorkforceCell::Joiner))
                    .col(string(WorkforceCell::Measure))
                    .col(string_null(WorkforceCell::Category))
                    .col(big_integer(WorkforceCell::Records))
                    .col(big_integer(WorkforceCell::KeySum))
                    .col(double(WorkforceCell::ScoreSum))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WorkforceCell::Table, WorkforceCell::SnapshotId)
                            .to(WorkforceSnapshot::Table, WorkforceSnapshot::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_workforce_cell_snapshot")
                    .table(WorkforceCell::Table)
                    .col(WorkforceCell::SnapshotId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DataVersion::Table)
                    .col(integer(DataVersion::Id).primary_key())
                    .col(big_integer(DataVersion::Version))
                    .to_owned(),
            )
            .await?;
        let first = Query::insert()
            .into_table(DataVersion::Table)
            .columns([DataVersion::Id, DataVersion::Version])
            .values_panic([1.into(), 1.into()])
            .to_owned();
        manager.exec_stmt(first).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DataVersion::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(WorkforceCell::Table).to_owned())
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(HEADLINE_INDEX)
                    .table(StaffRecord::Table)
                    .col(StaffRecord::Year)
                    .col(StaffRecord::EmployerId)
                    .col(StaffRecord::GradeLevel)
                    .col(StaffRecord::WorkRegion)
                    .col(StaffRecord::ParentalOccupation)
                    .col(StaffRecord::JoinedYear)
                    .col(StaffRecord::Engagement)
                    .col(StaffRecord::RecordKey)
                    .to_owned(),
            )
            .await
    }
}
