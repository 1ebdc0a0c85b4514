//! Staff records lose their five foreign keys (snapshot, employer, business unit, grade,
//! place of work) and their primary key (snapshot, person), for an index of the snapshot;
//! workforce cells lose their snapshot's foreign key.
//!
//! PostgreSQL checks a foreign key row by row: on 1,000,000 imported records the five checks
//! took 12 of the 15 seconds spent copying the staged rows into `staff_record`, and the
//! cells' one check 1.1 of the 1.6 seconds spent writing their 439,495 cells. On 10,000,000
//! records, keeping the primary key's index of 32-character hashes took 32 s of copying
//! where an index of the snapshot takes 15 (9 with none). Nothing needs them: only the
//! import writes staff records and cells, with ids it has just resolved or created in the
//! same transaction and places of work it has checked against the areas; it refuses a
//! person twice in a snapshot before writing (listing every repeat, which a unique index
//! failing on the first could not); and replacing a snapshot deletes its records and cells
//! by snapshot id itself (no cascade is relied on). Looking up a stored snapshot's people
//! reads that snapshot by its index.
//!
//! SQLite cannot drop a constraint, so there each table is rebuilt, as its documentation
//! describes (create the new table, copy, drop, rename, index).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A table that loses its foreign keys.
struct Checked {
    table: &'static str,
    /// Its foreign keys, by name (as PostgreSQL knows them), with their definitions.
    foreign_keys: &'static [(&'static str, &'static str)],
    /// Its columns on SQLite, as the earlier migrations made them.
    sqlite_columns: &'static str,
    /// Its primary key before this migration, if it loses it: (PostgreSQL's name, columns).
    primary_key: Option<(&'static str, &'static str)>,
    /// Its indexes without the constraints: (name, columns).
    indexes: &'static [(&'static str, &'static str)],
    /// Its indexes in both shapes, which a rebuild on SQLite drops: (name, columns).
    kept_indexes: &'static [(&'static str, &'static str)],
}

const TABLES: [Checked; 2] = [
    Checked {
        table: "staff_record",
        foreign_keys: &[
            (
                "fk_staff_record_snapshot",
                "FOREIGN KEY (\"snapshot_id\") REFERENCES \"workforce_snapshot\" (\"id\") ON DELETE CASCADE",
            ),
            (
                "fk_staff_record_employer",
                "FOREIGN KEY (\"employer_id\") REFERENCES \"employer\" (\"id\")",
            ),
            (
                "fk_staff_record_business_unit",
                "FOREIGN KEY (\"business_unit_id\") REFERENCES \"business_unit\" (\"id\")",
            ),
            (
                "fk_staff_record_grade",
                "FOREIGN KEY (\"grade_id\") REFERENCES \"grade\" (\"id\")",
            ),
            (
                "fk_staff_record_work_area",
                "FOREIGN KEY (\"work_area\") REFERENCES \"area\" (\"code\")",
            ),
        ],
        sqlite_columns: "\"snapshot_id\" integer NOT NULL, \"person_hash\" varchar NOT NULL, \
            \"employer_id\" integer NOT NULL, \"year\" integer NOT NULL, \
            \"business_unit_id\" integer NOT NULL, \"grade_id\" integer NOT NULL, \
            \"grade_level\" integer NOT NULL, \"work_area\" varchar NOT NULL, \
            \"work_region\" varchar NOT NULL, \"joined_year\" integer NULL, \
            \"parental_occupation\" varchar NULL, \"school_type\" varchar NULL, \
            \"free_school_meals\" varchar NULL, \"parental_degree\" varchar NULL, \
            \"self_assessed\" varchar NULL, \"engagement\" double NULL, \
            \"record_key\" integer NOT NULL DEFAULT 0",
        primary_key: Some(("staff_record_pkey", "\"snapshot_id\", \"person_hash\"")),
        indexes: &[("idx_staff_record_snapshot", "\"snapshot_id\"")],
        kept_indexes: &[],
    },
    Checked {
        table: "workforce_cell",
        foreign_keys: &[(
            "workforce_cell_snapshot_id_fkey",
            "FOREIGN KEY (\"snapshot_id\") REFERENCES \"workforce_snapshot\" (\"id\") ON DELETE CASCADE",
        )],
        sqlite_columns: "\"snapshot_id\" integer NOT NULL, \"employer_id\" integer NOT NULL, \
            \"year\" integer NOT NULL, \"business_unit_id\" integer NOT NULL, \
            \"grade_level\" integer NOT NULL, \"work_area\" varchar NOT NULL, \
            \"work_region\" varchar NOT NULL, \"joiner\" integer NOT NULL, \
            \"measure\" varchar NOT NULL, \"category\" varchar NULL, \
            \"records\" integer NOT NULL, \"key_sum\" integer NOT NULL, \
            \"score_sum\" double NOT NULL",
        primary_key: None,
        indexes: &[],
        kept_indexes: &[("idx_workforce_cell_snapshot", "\"snapshot_id\"")],
    },
];

impl Checked {
    /// The statements that rebuild the table on SQLite, with its constraints or without.
    fn sqlite_rebuild(&self, constrained: bool) -> Vec<String> {
        let table = self.table;
        let mut constraints = String::new();
        if constrained {
            if let Some((_, columns)) = self.primary_key {
                constraints.push_str(&format!(", PRIMARY KEY ({columns})"));
            }
            for (_, definition) in self.foreign_keys {
                constraints.push_str(&format!(", {definition}"));
            }
        }
        let mut statements = vec![
            format!(
                "CREATE TABLE \"{table}_new\" ({}{constraints})",
                self.sqlite_columns
            ),
            format!("INSERT INTO \"{table}_new\" SELECT * FROM \"{table}\""),
            format!("DROP TABLE \"{table}\""),
            format!("ALTER TABLE \"{table}_new\" RENAME TO \"{table}\""),
        ];
        if !constrained {
            statements.extend(self.create_indexes(self.indexes));
        }
        statements.extend(self.create_indexes(self.kept_indexes));
        statements
    }

    /// The statements that drop or add the constraints on PostgreSQL.
    fn postgres_alter(&self, constrained: bool) -> Vec<String> {
        let mut actions: Vec<String> = Vec::new();
        for (name, definition) in self.foreign_keys {
            actions.push(if constrained {
                format!("ADD CONSTRAINT \"{name}\" {definition}")
            } else {
                format!("DROP CONSTRAINT \"{name}\"")
            });
        }
        if let Some((name, columns)) = self.primary_key {
            actions.push(if constrained {
                format!("ADD CONSTRAINT \"{name}\" PRIMARY KEY ({columns})")
            } else {
                format!("DROP CONSTRAINT \"{name}\"")
            });
        }
        let alter = format!("ALTER TABLE \"{}\" {}", self.table, actions.join(", "));
        if constrained {
            let mut statements: Vec<String> = self
                .indexes
                .iter()
                .map(|(name, _)| format!("DROP INDEX \"{name}\""))
                .collect();
            statements.push(alter);
            statements
        } else {
            let mut statements = vec![alter];
            statements.extend(self.create_indexes(self.indexes));
            statements
        }
    }

    fn create_indexes(&self, indexes: &[(&str, &str)]) -> Vec<String> {
        indexes
            .iter()
            .map(|(name, columns)| {
                format!("CREATE INDEX \"{name}\" ON \"{}\" ({columns})", self.table)
            })
            .collect()
    }
}

async fn set_foreign_keys(manager: &SchemaManager<'_>, with: bool) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for table in &TABLES {
        let statements = match manager.get_database_backend() {
            // One call, so one connection of the pool runs every statement (another could
            // still read the old schema), inside a savepoint, so a failure leaves the table
            // as it was whether or not the migration runs in a transaction.
            DbBackend::Sqlite => {
                let mut statements = vec!["SAVEPOINT rebuild".to_owned()];
                statements.extend(table.sqlite_rebuild(with));
                statements.push("RELEASE rebuild".to_owned());
                statements.join(";\n")
            }
            _ => table.postgres_alter(with).join(";\n"),
        };
        db.execute_unprepared(&statements).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_foreign_keys(manager, false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_foreign_keys(manager, true).await
    }
}
