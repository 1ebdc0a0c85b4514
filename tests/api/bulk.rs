//! PostgreSQL's bulk session: the import's transaction on a connection of its own, which
//! takes rows by `COPY`. What it must never do is lose its transaction quietly.

use mobility_explorer::store::bulk::BulkSession;
use mobility_explorer::store::workforce::stage::{self, NewRecord, StagedRecord, Target};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::helpers::{Store, TestStore};

async fn execute(db: &DatabaseConnection, sql: &str) -> Result<(), sea_orm::DbErr> {
    db.execute_unprepared(sql).await.map(|_| ())
}

async fn number(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("queried")
        .expect("a row")
        .try_get_by_index::<i64>(0)
        .expect("a number")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_that_loses_its_connection_fails_every_statement_after_and_commits_nothing() {
    let Some(store) = TestStore::new(Store::Postgres).await else {
        return;
    };
    let direct = mobility_explorer::store::connect(&store.url)
        .await
        .expect("connected");
    execute(&direct, "CREATE TABLE probe (n INTEGER NOT NULL)")
        .await
        .expect("created");

    let session = BulkSession::begin(&direct).await.expect("begun");
    execute(session.db(), "INSERT INTO probe VALUES (1)")
        .await
        .expect("inserted");
    let pid = number(session.db(), "SELECT pg_backend_pid()::BIGINT").await;
    assert_eq!(
        number(
            &direct,
            &format!("SELECT pg_terminate_backend({pid})::INT::BIGINT")
        )
        .await,
        1,
        "the session's connection is cut"
    );
    // The first statement meets the cut connection; a pool would then open another and run
    // the next statements outside the transaction, each committed on its own.
    for n in 2..=3 {
        let outcome = execute(session.db(), &format!("INSERT INTO probe VALUES ({n})")).await;
        assert!(
            outcome.is_err(),
            "statement {n} ran without its transaction"
        );
    }
    let copied = session.copy_in("COPY probe (n) FROM STDIN", b"4\n").await;
    assert!(copied.is_err(), "a COPY ran without its transaction");
    assert!(
        session.commit().await.is_err(),
        "a lost transaction commits"
    );

    assert_eq!(number(&direct, "SELECT COUNT(*) FROM probe").await, 0);
    direct.close().await.expect("closed");
    store.drop_store().await;
}

/// A staged row holding every kind of value: `text` as its place of work and region, and
/// each optional value present or missing as `full` says.
fn row<'a>(line: u64, hash: &'a str, text: &'a str, full: bool) -> StagedRecord<'a> {
    StagedRecord {
        line,
        snapshot: 3,
        key_given: full.then_some(250),
        record: NewRecord {
            employer_id: 5,
            year: 2024,
            person_hash: hash,
            business_unit_id: 11,
            grade_id: 12,
            grade_level: 4,
            work_area: text,
            work_region: text,
            joined_year: full.then_some(2019),
            answers: if full {
                ["2", "independent", "no", "yes", "middle"].map(Some)
            } else {
                [None; 5]
            },
            // Not exactly 0.3: its shortest text must read back as the same double.
            engagement: full.then_some(0.1 + 0.2),
            record_key: 7,
        },
    }
}

/// Every row written to `target`, as text, in line order: line, snapshot, employer, year,
/// given key (staged rows only), then the record's values.
async fn written_rows(db: &DatabaseConnection, target: Target) -> Vec<Vec<Option<String>>> {
    let (table, snapshot, key_given) = match target {
        Target::Stage => ("staff_stage", "snap", "key_given::TEXT"),
        Target::Records => ("staff_record", "snapshot_id", "NULL"),
    };
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT line::TEXT, {snapshot}::TEXT, employer_id::TEXT, year::TEXT, \
                   {key_given}, person_hash, \
                   business_unit_id::TEXT, grade_id::TEXT, grade_level::TEXT, work_area, \
                   work_region, joined_year::TEXT, parental_occupation, school_type, \
                   free_school_meals, parental_degree, self_assessed, \
                   CASE WHEN engagement = 0.1::FLOAT8 + 0.2::FLOAT8 THEN 'exact' \
                     ELSE engagement::TEXT END, record_key::TEXT \
                 FROM {table} ORDER BY line"
            ),
        ))
        .await
        .expect("read");
    rows.iter()
        .map(|r| {
            (0..19)
                .map(|i| r.try_get_by_index::<Option<String>>(i).expect("a value"))
                .collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_writes_odd_bytes_and_missing_values_as_statements_do() {
    let Some(store) = TestStore::new(Store::Postgres).await else {
        return;
    };
    let direct = mobility_explorer::store::connect(&store.url)
        .await
        .expect("connected");
    <migration::Migrator as migration::MigratorTrait>::up(&direct, None)
        .await
        .expect("migrated");
    let odd = "tab\there, back\\slash, \\N, line\nbreak, return\r, \u{e9}";
    let hashes = ["a", "b", "c", "d"].map(|h| h.repeat(64));
    let rows_of = |first: u64| {
        vec![
            row(first, &hashes[first as usize - 1], odd, true),
            row(first + 1, &hashes[first as usize], "E06000001", false),
        ]
    };

    for target in [Target::Stage, Target::Records] {
        let session = BulkSession::begin(&direct).await.expect("begun");
        stage::create(session.db()).await.expect("created");
        stage::write(session.db(), Some(&session), target, &rows_of(1))
            .await
            .expect("copied");
        stage::write(session.db(), None, target, &rows_of(3))
            .await
            .expect("inserted");
        let written = written_rows(session.db(), target).await;
        session.rollback().await;

        assert_eq!(written.len(), 4, "{target:?}");
        let (copied, inserted) = written.split_at(2);
        for (c, i) in copied.iter().zip(inserted) {
            // Line and person differ by design; every other value is the same both ways.
            assert_eq!(c[1..5], i[1..5], "{target:?}");
            assert_eq!(c[6..], i[6..], "{target:?}");
        }
        assert_eq!(
            copied[0][1..4],
            [Some("3"), Some("5"), Some("2024")].map(|v| v.map(str::to_owned))
        );
        assert_eq!(copied[0][9].as_deref(), Some(odd));
        assert_eq!(copied[0][17].as_deref(), Some("exact"));
        let key_given = (target == Target::Stage).then(|| "250".to_owned());
        assert_eq!(copied[0][4], key_given, "{target:?}");
        assert!(
            copied[1][11..18].iter().all(Option::is_none),
            "{:?}",
            copied[1]
        );
        assert_eq!(copied[1][4], None);
    }
    direct.close().await.expect("closed");
    store.drop_store().await;
}
