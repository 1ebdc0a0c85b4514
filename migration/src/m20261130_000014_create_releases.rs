//! Releases: an employer's submission is a draft until an admin publishes the drafts as a
//! numbered release, and the public is answered from the latest release (or an earlier one
//! it names). A snapshot now belongs to a release (`release_id`; null while it is a draft),
//! and one employer-year may have several versions: one per release that published it, and
//! at most one draft.
//!
//! The unique (employer, year) constraint becomes two indexes: one published version per
//! release, and one draft. Snapshots stored before releases existed were public, so they
//! become release 1.
//!
//! SQLite cannot drop a constraint, so there the snapshot table is rebuilt, as its
//! documentation describes (create the new table, copy, drop, rename, index). No table has
//! a foreign key to it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DataRelease {
    Table,
    Id,
    PublishedAt,
    Notes,
    Corrects,
    PublishedBy,
}

/// The snapshot table's columns on SQLite before this migration.
const SQLITE_COLUMNS: &str = "\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \
    \"employer_id\" integer NOT NULL, \"year\" integer NOT NULL, \"source\" varchar NOT NULL, \
    \"records\" integer NOT NULL, \"imported_at\" integer NOT NULL";

const EMPLOYER_FK: &str = "CONSTRAINT \"fk_workforce_snapshot_employer\" FOREIGN KEY (\"employer_id\") REFERENCES \"employer\" (\"id\")";

const OLD_UNIQUE: &str = "uq_workforce_snapshot_employer_year";

/// The two indexes that replace the unique (employer, year): PostgreSQL and SQLite both
/// take a partial index, and both treat nulls as distinct in a unique one.
const NEW_INDEXES: [&str; 2] = [
    "CREATE UNIQUE INDEX \"uq_workforce_snapshot_release\" ON \"workforce_snapshot\" (\"employer_id\", \"year\", \"release_id\")",
    "CREATE UNIQUE INDEX \"uq_workforce_snapshot_draft\" ON \"workforce_snapshot\" (\"employer_id\", \"year\") WHERE \"release_id\" IS NULL",
];

async fn run(manager: &SchemaManager<'_>, statements: &[String]) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for sql in statements {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DataRelease::Table)
                    .col(pk_auto(DataRelease::Id))
                    .col(big_integer(DataRelease::PublishedAt))
                    .col(text(DataRelease::Notes))
                    .col(integer_null(DataRelease::Corrects))
                    .col(string(DataRelease::PublishedBy))
                    .to_owned(),
            )
            .await?;
        let backend = manager.get_database_backend();
        let mut statements: Vec<String> = if backend == DbBackend::Sqlite {
            vec![
                format!(
                    "CREATE TABLE \"workforce_snapshot_new\" ({SQLITE_COLUMNS}, \"release_id\" integer NULL, {EMPLOYER_FK})"
                ),
                "INSERT INTO \"workforce_snapshot_new\" (\"id\", \"employer_id\", \"year\", \"source\", \"records\", \"imported_at\") \
                 SELECT \"id\", \"employer_id\", \"year\", \"source\", \"records\", \"imported_at\" FROM \"workforce_snapshot\""
                    .to_owned(),
                "DROP TABLE \"workforce_snapshot\"".to_owned(),
                "ALTER TABLE \"workforce_snapshot_new\" RENAME TO \"workforce_snapshot\"".to_owned(),
            ]
        } else {
            vec![
                format!("ALTER TABLE \"workforce_snapshot\" DROP CONSTRAINT \"{OLD_UNIQUE}\""),
                "ALTER TABLE \"workforce_snapshot\" ADD COLUMN \"release_id\" integer NULL"
                    .to_owned(),
            ]
        };
        statements.extend(NEW_INDEXES.map(str::to_owned));
        // What was stored before releases existed was public: it is release 1.
        let now = "CAST(strftime('%s', 'now') AS integer)";
        let now = if backend == DbBackend::Sqlite {
            now
        } else {
            "CAST(EXTRACT(EPOCH FROM now()) AS bigint)"
        };
        statements.push(format!(
            "INSERT INTO \"data_release\" (\"published_at\", \"notes\", \"published_by\") \
             SELECT {now}, 'Everything published before releases existed', 'migration' \
             WHERE EXISTS (SELECT 1 FROM \"workforce_snapshot\")"
        ));
        statements.push(
            "UPDATE \"workforce_snapshot\" SET \"release_id\" = (SELECT MIN(\"id\") FROM \"data_release\")"
                .to_owned(),
        );
        run(manager, &statements).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Only the latest version of each employer-year can stay under the old constraint.
        let mut statements = vec![
            "DELETE FROM \"workforce_cell\" WHERE \"snapshot_id\" IN (SELECT s.\"id\" FROM \"workforce_snapshot\" s \
             WHERE EXISTS (SELECT 1 FROM \"workforce_snapshot\" n WHERE n.\"employer_id\" = s.\"employer_id\" AND n.\"year\" = s.\"year\" AND n.\"id\" > s.\"id\"))"
                .to_owned(),
            "DELETE FROM \"staff_record\" WHERE \"snapshot_id\" IN (SELECT s.\"id\" FROM \"workforce_snapshot\" s \
             WHERE EXISTS (SELECT 1 FROM \"workforce_snapshot\" n WHERE n.\"employer_id\" = s.\"employer_id\" AND n.\"year\" = s.\"year\" AND n.\"id\" > s.\"id\"))"
                .to_owned(),
            "DELETE FROM \"workforce_snapshot\" WHERE EXISTS (SELECT 1 FROM \"workforce_snapshot\" n \
             WHERE n.\"employer_id\" = \"workforce_snapshot\".\"employer_id\" AND n.\"year\" = \"workforce_snapshot\".\"year\" AND n.\"id\" > \"workforce_snapshot\".\"id\")"
                .to_owned(),
            "DROP INDEX \"uq_workforce_snapshot_release\"".to_owned(),
            "DROP INDEX \"uq_workforce_snapshot_draft\"".to_owned(),
        ];
        statements.push("ALTER TABLE \"workforce_snapshot\" DROP COLUMN \"release_id\"".to_owned());
        // SQLite cannot add a constraint: there the unique index stands for it, checked alike.
        statements.push(if manager.get_database_backend() == DbBackend::Sqlite {
            format!(
                "CREATE UNIQUE INDEX \"{OLD_UNIQUE}\" ON \"workforce_snapshot\" (\"employer_id\", \"year\")"
            )
        } else {
            format!(
                "ALTER TABLE \"workforce_snapshot\" ADD CONSTRAINT \"{OLD_UNIQUE}\" UNIQUE (\"employer_id\", \"year\")"
            )
        });
        run(manager, &statements).await?;
        manager
            .drop_table(Table::drop().table(DataRelease::Table).to_owned())
            .await
    }
}
