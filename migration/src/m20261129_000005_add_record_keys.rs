//! Record keys for the cell key method: every staff record carries a permanent key, 0-255,
//! from which the noise of every published count is derived.
//!
//! Records stored before keys existed get the key an import derives when a file gives none:
//! the first byte of their keyed person hash (stored as hex).

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

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

/// The covering index of the headline figures, with or without the record key: every count
/// now also sums record keys, and without them in the index each count reads the table.
fn headline_index(with_key: bool) -> IndexCreateStatement {
    let mut index = Index::create();
    index
        .name(HEADLINE_INDEX)
        .table(StaffRecord::Table)
        .col(StaffRecord::Year)
        .col(StaffRecord::EmployerId)
        .col(StaffRecord::GradeLevel)
        .col(StaffRecord::WorkRegion)
        .col(StaffRecord::ParentalOccupation)
        .col(StaffRecord::JoinedYear)
        .col(StaffRecord::Engagement);
    if with_key {
        index.col(StaffRecord::RecordKey);
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(StaffRecord::Table)
                    .add_column(integer(StaffRecord::RecordKey).default(0))
                    .to_owned(),
            )
            .await?;
        // The first two hex digits of the person hash, as a number: the same derivation as
        // an import's, in each store's own string functions.
        let position = match manager.get_database_backend() {
            DbBackend::Postgres => "strpos",
            _ => "instr",
        };
        let digit =
            |n: u8| format!("({position}('0123456789abcdef', substr(person_hash, {n}, 1)) - 1)");
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "UPDATE staff_record SET record_key = {} * 16 + {}",
                digit(1),
                digit(2)
            ))
            .await?;
        manager
            .drop_index(Index::drop().name(HEADLINE_INDEX).to_owned())
            .await?;
        manager.create_index(headline_index(true)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The index goes first and comes back last: dropping a column may rebuild the table
        // with the indexes it has (SQLite), which must not include one on the dropped column.
        manager
            .drop_index(Index::drop().name(HEADLINE_INDEX).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(StaffRecord::Table)
                    .drop_column(StaffRecord::RecordKey)
                    .to_owned(),
            )
            .await?;
        // A store that rebuilds the table to drop the column may already have put an index of
        // this name back: keep it rather than fail the revert.
        let mut index = headline_index(false);
        index.if_not_exists();
        manager.create_index(index).await
    }
}
