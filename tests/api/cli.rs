//! The command line as users run it: schema export and check, migrations, reference loading.

use std::process::{Command, Output, Stdio};

use sea_orm::ConnectionTrait;

use crate::helpers::{Store, TestStore};
use crate::on_both_stores;

fn run(args: &[&str], database_url: Option<&str>, dir: &std::path::Path) -> Output {
    run_with(args, database_url, None, dir)
}

/// Runs the binary with `PERSON_KEY` set to `person_key` (or unset).
fn run_with(
    args: &[&str],
    database_url: Option<&str>,
    person_key: Option<&str>,
    dir: &std::path::Path,
) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mobility-explorer"));
    command.args(args).current_dir(dir).env("RUST_LOG", "error");
    match person_key {
        Some(key) => command.env("PERSON_KEY", key),
        None => command.env_remove("PERSON_KEY"),
    };
    match database_url {
        Some(url) => command.env("DATABASE_URL", url),
        None => command.env_remove("DATABASE_URL"),
    };
    command.output().expect("the binary runs")
}

/// Runs the binary with its standard output a pipe whose reading end is closed as soon as the
/// process starts, before it can write anything: every write to it fails.
fn run_with_stdout_closed(args: &[&str], envs: &[(&str, &str)], dir: &std::path::Path) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mobility-explorer"));
    command
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "error")
        .env_remove("DATABASE_URL")
        .env_remove("PERSON_KEY")
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("the binary starts");
    drop(child.stdout.take());
    child.wait_with_output().expect("the binary ends")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn export_schema_check_fails_with_a_summary_when_the_file_is_stale() {
    let dir = tempfile::tempdir().expect("dir");
    let written = run(&["export-schema"], None, dir.path());
    assert!(written.status.success(), "{}", text(&written));
    let ok = run(&["export-schema", "--check"], None, dir.path());
    assert!(ok.status.success(), "{}", text(&ok));

    let path = dir.path().join("schema.graphql");
    let sdl = std::fs::read_to_string(&path).expect("written");
    std::fs::write(&path, sdl.replace("\tname: String!", "\ttitle: String!")).expect("edited");
    let stale = std::fs::read_to_string(&path).expect("read");
    assert_ne!(stale, sdl, "the edit must change the file");
    let drift = run(&["export-schema", "--check"], None, dir.path());
    assert!(!drift.status.success());
    let out = text(&drift);
    assert!(out.contains("out of date"), "{out}");
    assert!(out.contains("line(s) to add"), "{out}");
}

#[test]
fn a_bad_database_url_is_refused_naming_the_variable() {
    let dir = tempfile::tempdir().expect("dir");
    let out = run(
        &["load-reference"],
        Some("mysql://u:secret@h/d"),
        dir.path(),
    );
    assert!(!out.status.success());
    let message = text(&out);
    assert!(message.contains("DATABASE_URL"), "{message}");
    assert!(!message.contains("secret"), "{message}");
}

/// Runs the binary with `envs` set and at the most verbose log level.
fn run_verbose(args: &[&str], envs: &[(&str, &str)], dir: &std::path::Path) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mobility-explorer"));
    command
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "trace")
        .env_remove("DATABASE_URL")
        .env_remove("PERSON_KEY")
        .envs(envs.iter().copied());
    command.output().expect("the binary runs")
}

#[test]
fn no_password_reaches_help_errors_or_logs() {
    let dir = tempfile::tempdir().expect("dir");
    for url in [
        // Refused: nothing listens on port 1.
        "postgres://u:s3cr3tpw@127.0.0.1:1/x",
        // Not a URL the drivers can parse.
        "postgres://u:s3cr3tpw@host:notaport/x",
        "postgres://:s3cr3tpw@host:notaport/x",
        "postgres://u:s3cr3%74pw@host:notaport/x",
        "postgres://u:s3cr3t@pw@host:notaport/x",
        "postgres://u@host:notaport/x?password=s3cr3tpw",
    ] {
        let out = run_verbose(
            &["migrate", "status", "--database-url", url],
            &[],
            dir.path(),
        );
        let message = text(&out);
        assert!(!out.status.success(), "{url}: {message}");
        assert!(
            message.contains("cannot open the store"),
            "{url}: {message}"
        );
        assert!(!message.contains("s3cr3t"), "{url}: {message}");
        assert!(!message.contains("panicked"), "{url}: {message}");
    }
    let url = ("DATABASE_URL", "postgres://u:s3cr3tpw@h/d");
    let key = ("PERSON_KEY", "s3cr3tpw person key");
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["migrate", "status", "--help"],
        &["load-reference", "--help"],
        &["import", "workforce", "--help"],
    ] {
        let out = run_verbose(args, &[url, key], dir.path());
        let help = text(&out);
        assert!(out.status.success(), "{args:?}: {help}");
        assert!(help.contains("DATABASE_URL"), "{args:?}: {help}");
        assert!(!help.contains("s3cr3t"), "{args:?}: {help}");
    }
}

async fn migrate_and_load_reference_work_from_the_command_line(store: Store) {
    let Some(test_store) = TestStore::new(store).await else {
        return;
    };
    let url = test_store.url.clone();
    let dir = tempfile::tempdir().expect("dir");
    let status = run(&["migrate", "status"], Some(&url), dir.path());
    assert!(text(&status).contains("pending"), "{}", text(&status));
    let up = run(&["migrate", "up"], Some(&url), dir.path());
    assert!(up.status.success(), "{}", text(&up));
    let status = run(&["migrate", "status"], Some(&url), dir.path());
    assert!(text(&status).contains("applied"), "{}", text(&status));
    assert!(!text(&status).contains("pending"), "{}", text(&status));

    let first = run(&["load-reference"], Some(&url), dir.path());
    assert!(first.status.success(), "{}", text(&first));
    let second = run(&["load-reference"], Some(&url), dir.path());
    assert!(second.status.success(), "{}", text(&second));
    assert_eq!(text(&first), text(&second));
    assert!(
        text(&first).contains(" 385 areas at level LOCAL_AUTHORITY"),
        "{}",
        text(&first)
    );

    let down = run(&["migrate", "down"], Some(&url), dir.path());
    assert!(down.status.success(), "{}", text(&down));
    let status = run(&["migrate", "status"], Some(&url), dir.path());
    assert!(text(&status).contains("pending"), "{}", text(&status));
    test_store.drop_store().await;
}

#[test]
fn the_ptable_is_written_in_the_ons_format_and_a_bad_one_stops_the_server() {
    use sha2::Digest;
    let dir = tempfile::tempdir().expect("temporary directory");
    let written = run(&["ptable", "--out", "default.csv"], None, dir.path());
    assert!(written.status.success(), "{}", text(&written));
    let default = std::fs::read_to_string(dir.path().join("default.csv")).expect("written");
    let mut lines = default.lines();
    assert_eq!(lines.next(), Some("pcv,ckey,pvalue"));
    // Every pcv from 1 to 750 with every ckey from 0 to 255, in order; noise from -2 to 2.
    let mut rows = 0;
    for (i, line) in lines.enumerate() {
        let fields: Vec<i64> = line
            .split(',')
            .map(|f| f.parse().expect("number"))
            .collect();
        assert_eq!(fields[..2], [i as i64 / 256 + 1, i as i64 % 256], "{line}");
        assert!((-2..=2).contains(&fields[2]), "{line}");
        rows += 1;
    }
    assert_eq!(rows, 750 * 256);
    // The line of pcv 5, ckey 0, and the same line with other noise.
    let line_5_0 = default
        .lines()
        .find(|l| l.starts_with("5,0,"))
        .expect("pcv 5, ckey 0")
        .to_owned();
    let other_5_0 = if line_5_0 == "5,0,1" {
        "5,0,-1"
    } else {
        "5,0,1"
    };
    // The note names the hash of what was written.
    let hash = hex::encode(sha2::Sha256::digest(default.as_bytes()));
    assert!(text(&written).contains(&hash), "{}", text(&written));
    // Standard output gets the same bytes.
    let stdout = run(&["ptable"], None, dir.path());
    assert_eq!(String::from_utf8_lossy(&stdout.stdout), default);

    // Another table in use is written back byte for byte, whatever its header's quoting.
    let custom = default
        .replacen("pcv,ckey,pvalue", "\"pcv\",\"ckey\",\"pvalue\"", 1)
        .replacen(&line_5_0, other_5_0, 1);
    assert_ne!(custom, default);
    std::fs::write(dir.path().join("custom.csv"), &custom).expect("written");
    let again = run(
        &["ptable", "--ptable", "custom.csv", "--out", "again.csv"],
        None,
        dir.path(),
    );
    assert!(again.status.success(), "{}", text(&again));
    let again = std::fs::read_to_string(dir.path().join("again.csv")).expect("written");
    assert_eq!(again, default.replacen(&line_5_0, other_5_0, 1));
    assert_ne!(again, default);

    // A bad table stops the server before it starts, naming the setting, the file and line.
    let line_1_0 = default.lines().nth(1).expect("pcv 1, ckey 0");
    let bad = default.replacen(line_1_0, "1,0,-3", 1);
    std::fs::write(dir.path().join("bad.csv"), bad).expect("written");
    let url = format!("sqlite://{}/x.db?mode=rwc", dir.path().display());
    let serve = run(&["serve", "--ptable", "bad.csv"], Some(&url), dir.path());
    assert_eq!(serve.status.code(), Some(1), "{}", text(&serve));
    for needle in ["PTABLE", "bad.csv", "line 2", "negative"] {
        assert!(text(&serve).contains(needle), "{needle}: {}", text(&serve));
    }
    // A table that cannot be written leaves nothing behind.
    let nowhere = run(&["ptable", "--out", "missing/pt.csv"], None, dir.path());
    assert_eq!(nowhere.status.code(), Some(1), "{}", text(&nowhere));
    assert!(!dir.path().join("missing").exists());
}

#[test]
fn demo_data_is_deterministic_for_a_seed_and_labelled_synthetic() {
    let dir = tempfile::tempdir().expect("dir");
    let csv = |args: &[&str]| {
        let out = run(args, None, dir.path());
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    let first = csv(&["demo-data", "--records", "300", "--seed", "7"]);
    let again = csv(&["demo-data", "--records", "300", "--seed", "7"]);
    let other = csv(&["demo-data", "--records", "300", "--seed", "8"]);
    assert_eq!(first, again);
    assert_ne!(first, other);
    let mut reader = csv::Reader::from_reader(first.as_bytes());
    let header = reader.headers().expect("header").clone();
    let synthetic = header
        .iter()
        .position(|h| h == "synthetic")
        .expect("synthetic column");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 300);
    assert!(rows.iter().all(|r| &r[synthetic] == "true"));
}

#[test]
fn output_that_is_the_product_fails_the_command_when_the_reader_goes_away() {
    let dir = tempfile::tempdir().expect("dir");
    // Thousands of records: more than a pipe holds, whenever the reader goes away.
    let out = run_with_stdout_closed(&["demo-data"], &[], dir.path());
    let message = text(&out);
    assert_eq!(out.status.code(), Some(1), "{message}");
    assert!(
        message.contains("error: the demo data was not all written: standard output was closed"),
        "{message}"
    );
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(!message.contains("panicked"), "{message}");

    // A report of work done is not the product: the schema is written all the same.
    let out = run_with_stdout_closed(&["export-schema"], &[], dir.path());
    let message = text(&out);
    assert!(out.status.success(), "{message}");
    assert!(
        message.contains("note: the schema was written, but the report was not written"),
        "{message}"
    );
    assert!(!message.contains("panicked"), "{message}");
    assert!(dir.path().join("schema.graphql").is_file());
}

async fn an_import_whose_report_cannot_be_written_still_commits(store: Store) {
    let Some(test_store) = TestStore::new(store).await else {
        return;
    };
    let url = test_store.url.clone();
    let dir = tempfile::tempdir().expect("dir");
    let demo = run(
        &["demo-data", "--records", "400", "--out", "demo.csv"],
        None,
        dir.path(),
    );
    assert!(demo.status.success(), "{}", text(&demo));
    let out = run_with_stdout_closed(
        &["import", "workforce", "--new-employers", "demo.csv"],
        &[
            ("DATABASE_URL", &url),
            ("PERSON_KEY", "a command line test key, long enough"),
        ],
        dir.path(),
    );
    let message = text(&out);
    assert!(out.status.success(), "{message}");
    assert_eq!(
        message.trim(),
        "note: the import was committed, but the report was not written: \
         standard output was closed"
    );

    let db = sea_orm::Database::connect(url.as_str())
        .await
        .expect("the store opens");
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM staff_record",
        ))
        .await
        .expect("counted")
        .expect("one row");
    assert_eq!(row.try_get::<i64>("", "n").expect("a number"), 400);
    db.close().await.ok();

    // A list that is the command's product fails when it cannot be written.
    let out = run_with_stdout_closed(
        &["migrate", "status"],
        &[("DATABASE_URL", &url)],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("the migration list was not all written"),
        "{}",
        text(&out)
    );
    test_store.drop_store().await;
}

async fn import_workforce_from_the_command_line(store: Store) {
    let Some(test_store) = TestStore::new(store).await else {
        return;
    };
    let url = test_store.url.clone();
    let dir = tempfile::tempdir().expect("dir");
    let key = Some("a command line test key, long enough");

    let bad = dir.path().join("bad.csv");
    let mut rows = String::from(
        "person_ref,employer,year,business_unit,grade,grade_level,work_area,joined_year,parental_occupation,school_type,free_school_meals,parental_degree,self_assessed,engagement\n",
    );
    rows.push_str("P1,EMP,2024,Ops,AO,1,E08000025,,routine,,,,,\n");
    rows.push_str("P2,EMP,2024,Ops,AO,1,NOWHERE,,routine,,,,,\n");
    rows.push_str("P3,EMP,2024,Ops,AO,1,E08000025,2031,routine,,,,,\n");
    std::fs::write(&bad, &rows).expect("written");
    let out = run_with(
        &["import", "workforce", "--new-employer", "EMP", "bad.csv"],
        Some(&url),
        key,
        dir.path(),
    );
    assert!(!out.status.success(), "{}", text(&out));
    let message = text(&out);
    assert!(
        message.contains("2 problem(s), nothing was written"),
        "{message}"
    );
    assert!(
        message.contains("bad.csv line 3, column work_area, value \"NOWHERE\""),
        "{message}"
    );
    assert!(
        message.contains("bad.csv line 4, column joined_year"),
        "{message}"
    );

    // Saved on Windows, the same rows give the same line numbers.
    std::fs::write(dir.path().join("crlf.csv"), rows.replace('\n', "\r\n")).expect("written");
    let out = run_with(
        &["import", "workforce", "--new-employer", "EMP", "crlf.csv"],
        Some(&url),
        key,
        dir.path(),
    );
    assert!(!out.status.success(), "{}", text(&out));
    for problem in [
        "crlf.csv line 3, column work_area",
        "crlf.csv line 4, column joined_year",
    ] {
        assert!(text(&out).contains(problem), "{problem}: {}", text(&out));
    }

    // The optional columns may be left out of the header.
    let without = "person_ref,employer,year,business_unit,grade,grade_level,work_area,\
        parental_occupation,school_type,free_school_meals,parental_degree,self_assessed\r\n\
        P1,EMP,2024,Ops,AO,1,E08000025,routine,,,,\r\n";
    std::fs::write(dir.path().join("lean.csv"), without).expect("written");
    // A file may create only the employers it is told it may: a mistyped code is refused.
    let out = run_with(
        &["import", "workforce", "lean.csv"],
        Some(&url),
        key,
        dir.path(),
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("lean.csv line 2, column employer, value \"EMP\": no stored employer has this code; to create it, pass --new-employer EMP"),
        "{}",
        text(&out)
    );
    let out = run_with(
        &[
            "import",
            "workforce",
            "--new-employer",
            "other,emp",
            "lean.csv",
        ],
        Some(&url),
        key,
        dir.path(),
    );
    succeeded(&out, "Imported 1 staff records");

    // Without a key, the command says which setting is missing.
    let out = run_with(
        &["import", "workforce", "bad.csv"],
        Some(&url),
        None,
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("PERSON_KEY"), "{}", text(&out));

    let demo = run(
        &["demo-data", "--records", "400", "--out", "demo.csv"],
        None,
        dir.path(),
    );
    assert!(demo.status.success(), "{}", text(&demo));
    // A dry run checks as an import does and writes nothing: the import after it is new.
    let dry = |file: &str| {
        run_with(
            &["import", "workforce", "--dry-run", "--new-employers", file],
            Some(&url),
            key,
            dir.path(),
        )
    };
    let out = dry("bad.csv");
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("bad.csv line 3, column work_area"),
        "{}",
        text(&out)
    );
    let out = dry("demo.csv");
    succeeded(
        &out,
        "Dry run, nothing was written: demo.csv is valid, and importing it would write 400 staff records",
    );
    assert!(text(&out).contains("(would be new)"), "{}", text(&out));
    let first = run_with(
        &["import", "workforce", "--new-employers", "demo.csv"],
        Some(&url),
        key,
        dir.path(),
    );
    succeeded(&first, "Imported 400 staff records");
    assert!(text(&first).contains("(new)"), "{}", text(&first));
    assert!(
        text(&first).contains("parental_occupation"),
        "{}",
        text(&first)
    );
    let again = run_with(
        &["import", "workforce", "demo.csv"],
        Some(&url),
        key,
        dir.path(),
    );
    assert!(again.status.success(), "{}", text(&again));
    assert!(text(&again).contains("(replaced)"), "{}", text(&again));
    assert!(!text(&again).contains("(new)"), "{}", text(&again));
    let out = dry("demo.csv");
    succeeded(&out, "(would replace the stored one)");
    assert!(!text(&out).contains("(would be new)"), "{}", text(&out));
    test_store.drop_store().await;
}

async fn employer_codes_ignore_case_from_the_command_line(store: Store) {
    let Some(test_store) = TestStore::new(store).await else {
        return;
    };
    let url = test_store.url.clone();
    let dir = tempfile::tempdir().expect("dir");
    let key = Some("a command line test key, long enough");
    let header = "person_ref,employer,year,business_unit,grade,grade_level,work_area,\
        parental_occupation,school_type,free_school_meals,parental_degree,self_assessed\n";
    let file = |name: &str, codes: &[&str]| {
        let mut rows = header.to_owned();
        for (i, code) in codes.iter().enumerate() {
            rows.push_str(&format!(
                "P{i},{code},2024,Ops,AO,1,E08000025,routine,,,,\n"
            ));
        }
        std::fs::write(dir.path().join(name), rows).expect("written");
    };
    let import = |name: &str| run_with(&["import", "workforce", name], Some(&url), key, dir.path());

    file("upper.csv", &["ACME", "ACME", "ACME"]);
    let first = run_with(
        &["import", "workforce", "--new-employer", "ACME", "upper.csv"],
        Some(&url),
        key,
        dir.path(),
    );
    assert!(first.status.success(), "{}", text(&first));
    // The same staff under another spelling (and one row spelt a third way) replace the
    // snapshot of the one employer, stored as first spelt.
    file("lower.csv", &["acme", " acme ", "Acme"]);
    let again = import("lower.csv");
    succeeded(&again, "ACME 2024: 3 records (replaced)");
    // A mistyped code is refused, naming the stored code it likely meant.
    file("typo.csv", &["ACNE"]);
    let out = import("typo.csv");
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out)
            .contains("to create it, pass --new-employer ACNE; the nearest stored codes: ACME"),
        "{}",
        text(&out)
    );
    let db = mobility_explorer::store::connect(&url)
        .await
        .expect("connected");
    let codes: Vec<String> = mobility_explorer::store::workforce::employers(&db)
        .await
        .expect("read")
        .into_iter()
        .map(|e| e.code)
        .collect();
    assert_eq!(codes, ["ACME"]);

    // Two stored codes that differ only in case (possible before codes were matched so):
    // a row naming neither exactly is refused, naming both; one naming one exactly is not.
    use sea_orm::ConnectionTrait;
    db.execute_unprepared(
        "INSERT INTO employer (code, name, synthetic) VALUES ('Acme', 'Acme', false)",
    )
    .await
    .expect("inserted");
    file("ambiguous.csv", &["acme"]);
    let out = import("ambiguous.csv");
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("column employer, value \"acme\": employer codes ignore case, and this one names ACME and Acme"),
        "{}",
        text(&out)
    );
    file("exact.csv", &["Acme"]);
    let out = import("exact.csv");
    succeeded(&out, "Acme 2024: 1 records (new)");

    // Listing and deleting snapshots.
    let snapshots = |args: &[&str]| {
        let mut all = vec!["snapshots"];
        all.extend(args);
        run(&all, Some(&url), dir.path())
    };
    let listed = snapshots(&["list"]);
    assert!(listed.status.success(), "{}", text(&listed));
    let lines: Vec<Vec<String>> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .map(|l| l.split('\t').take(5).map(str::to_owned).collect())
        .collect();
    // Each import published its version as a release of its own.
    assert_eq!(
        lines,
        [
            ["employer", "year", "release", "records", "source"],
            ["ACME", "2024", "1", "3", "upper.csv"],
            ["ACME", "2024", "2", "3", "lower.csv"],
            ["Acme", "2024", "3", "1", "exact.csv"],
        ]
    );
    let version = async || {
        mobility_explorer::store::version::read(&db)
            .await
            .expect("read")
    };
    let before = version().await;
    let out = snapshots(&["delete", "--employer", "acme", "--year", "2024"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("names ACME and Acme"), "{}", text(&out));
    let out = snapshots(&["delete", "--employer", "ACME", "--year", "2023"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("ACME has no snapshot of 2023; its snapshots: 2024"),
        "{}",
        text(&out)
    );
    let out = snapshots(&["delete", "--employer", "NOBODY", "--year", "2024"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("no stored employer has code `NOBODY`"),
        "{}",
        text(&out)
    );
    assert_eq!(version().await, before, "a refusal writes nothing");

    let out = snapshots(&["delete", "--employer", "ACME", "--year", "2024"]);
    succeeded(
        &out,
        "Deleted ACME 2024: 3 staff records, imported from upper.csv on",
    );
    succeeded(&out, "(release 2), with their figures.");
    assert!(version().await > before, "servers see the deletion");
    let listed = snapshots(&["list"]);
    let rest = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(!rest.contains("ACME\t"), "{rest}");
    assert!(rest.contains("Acme\t2024\t3\t1\t"), "{rest}");
    for table in ["staff_record", "workforce_cell"] {
        let left = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!(
                    "SELECT COUNT(*) AS n FROM {table} t JOIN employer e ON e.id = t.employer_id \
                     WHERE e.code = 'ACME'"
                ),
            ))
            .await
            .expect("counted")
            .expect("a row")
            .try_get::<i64>("", "n")
            .expect("n");
        assert_eq!(left, 0, "{table} of the deleted snapshot");
    }

    // Putting right the employers themselves: ACME, now without snapshots, goes; Acme takes
    // the code it should have had.
    let employers = |args: &[&str]| {
        let mut all = vec!["employers"];
        all.extend(args);
        run(&all, Some(&url), dir.path())
    };
    let before = version().await;
    let out = employers(&["rename", "--employer", "ACME", "--to", "acme"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("`acme` is already the code of Acme (codes ignore case)"),
        "{}",
        text(&out)
    );
    let out = employers(&["delete", "--employer", "Acme"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Acme still has snapshots (2024); take each out first"),
        "{}",
        text(&out)
    );
    assert_eq!(version().await, before, "a refusal writes nothing");
    let out = employers(&["delete", "--employer", "ACME"]);
    succeeded(
        &out,
        "Deleted employer ACME with its 1 business unit(s) and 1 grade(s).",
    );
    let out = employers(&["rename", "--employer", "acme", "--to", " ACME-LTD "]);
    succeeded(&out, "Renamed Acme to ACME-LTD");
    assert!(version().await > before, "servers see the change");
    let listed = snapshots(&["list"]);
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout)
            .lines()
            .skip(1)
            .map(|l| l.split('\t').take(4).collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>(),
        ["ACME-LTD 2024 3 1"]
    );
    let codes: Vec<String> = mobility_explorer::store::workforce::employers(&db)
        .await
        .expect("read")
        .into_iter()
        .map(|e| e.code)
        .collect();
    assert_eq!(codes, ["ACME-LTD"]);
    db.close().await.expect("closed");
    test_store.drop_store().await;
}

/// How many rows `from` (a table and its condition) selects in the store at `url`.
async fn rows(url: &str, from: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(url).await.expect("store");
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {from}"),
        ))
        .await
        .expect("counted")
        .expect("a row");
    let n = row.try_get::<i64>("", "n").expect("a number");
    db.close().await.ok();
    n
}

/// Asserts that the command succeeded and said `says`.
fn succeeded(out: &Output, says: &str) {
    assert!(out.status.success(), "{}", text(out));
    assert!(text(out).contains(says), "{}", text(out));
}

async fn import_indicators_from_the_command_line(store: Store) {
    let Some(test_store) = TestStore::new(store).await else {
        return;
    };
    let url = test_store.url.clone();
    let dir = tempfile::tempdir().expect("dir");
    let demo = run(
        &["demo-data", "--kind", "indicators", "--out", "demo"],
        None,
        dir.path(),
    );
    assert!(demo.status.success(), "{}", text(&demo));
    // A dry run checks and says what it would write, and writes nothing.
    let dry = run(
        &["import", "indicators", "--dry-run", "demo/values.csv"],
        Some(&url),
        dir.path(),
    );
    succeeded(
        &dry,
        "Dry run, nothing was written: the files are valid, and importing them would write 8 indicator definition(s) and 2512 value(s)",
    );
    assert_eq!(
        rows(&url, "indicator WHERE code LIKE 'demo_%'").await,
        0,
        "the dry run wrote nothing"
    );
    // Definitions are found beside the values.
    let first = run(
        &["import", "indicators", "demo/values.csv"],
        Some(&url),
        dir.path(),
    );
    succeeded(
        &first,
        "Imported 8 indicator definition(s) and 2512 value(s)",
    );
    assert_eq!(rows(&url, "indicator WHERE code LIKE 'demo_%'").await, 8);
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "indicator,area_code,period,value,lower,upper\ndemo_school_ks2,NOWHERE,2017,50,,\nunknown,E08000025,2017,1,,\n",
    )
    .expect("written");
    let out = run(&["import", "indicators", "bad.csv"], Some(&url), dir.path());
    assert!(!out.status.success());
    let message = text(&out);
    assert!(
        message.contains("2 problem(s), nothing was written"),
        "{message}"
    );
    assert!(
        message.contains("bad.csv line 2, column area_code, value \"NOWHERE\""),
        "{message}"
    );
    assert!(
        message.contains("bad.csv line 3, column indicator"),
        "{message}"
    );
    test_store.drop_store().await;
}

async fn import_programmes_from_the_command_line(store: Store) {
    let Some(test_store) = TestStore::new(store).await else {
        return;
    };
    let url = test_store.url.clone();
    let dir = tempfile::tempdir().expect("dir");
    let demo = run(
        &["demo-data", "--kind", "programmes", "--out", "demo"],
        None,
        dir.path(),
    );
    assert!(demo.status.success(), "{}", text(&demo));
    let dry = run(
        &["import", "programmes", "demo/figures.csv", "--dry-run"],
        Some(&url),
        dir.path(),
    );
    succeeded(
        &dry,
        "Dry run, nothing was written: the files are valid, and importing them would write 2 programme(s)",
    );
    assert_eq!(
        rows(&url, "programme WHERE synthetic").await,
        0,
        "the dry run wrote nothing"
    );
    // Programme descriptions are found beside the figures.
    let first = run(
        &["import", "programmes", "demo/figures.csv"],
        Some(&url),
        dir.path(),
    );
    succeeded(&first, "Imported 2 programme(s)");
    assert_eq!(rows(&url, "programme WHERE synthetic").await, 2);
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "programme,metric,unit,period,kind,value,area_code,note\np,events,hours,2023,actual,1,,\n",
    )
    .expect("written");
    let out = run(&["import", "programmes", "bad.csv"], Some(&url), dir.path());
    assert!(!out.status.success());
    assert!(
        text(&out).contains("bad.csv line 2, column unit, value \"hours\""),
        "{}",
        text(&out)
    );
    test_store.drop_store().await;
}

on_both_stores!(
    an_import_whose_report_cannot_be_written_still_commits,
    import_programmes_from_the_command_line,
    migrate_and_load_reference_work_from_the_command_line,
    import_workforce_from_the_command_line,
    employer_codes_ignore_case_from_the_command_line,
    import_indicators_from_the_command_line,
);

/// Runs the binary with only `envs` in its environment: no variable of the shell running the
/// tests reaches it.
fn run_in_clean_env(args: &[&str], envs: &[(&str, &str)], dir: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mobility-explorer"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("RUST_LOG", "error")
        .envs(envs.iter().copied())
        .output()
        .expect("the binary runs")
}

#[test]
fn each_setting_falls_back_to_its_variable() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}/x.db?mode=rwc", dir.path().display());
    // One bad value at a time, on an otherwise valid configuration: the server refuses to
    // start, naming the variable it was read from.
    for (name, value) in [
        ("DATABASE_URL", "mysql://u:s3cr3t@h/d"),
        ("MAX_QUERY_DEPTH", "0"),
        ("MAX_QUERY_COMPLEXITY", "0"),
        ("MAX_ROOT_FIELDS", "0"),
        ("MAX_BODY_BYTES", "0"),
        ("REQUEST_TIMEOUT_SECS", "0"),
        ("HEADER_READ_TIMEOUT_SECS", "0"),
        ("MAX_CONCURRENT_REQUESTS", "0"),
        ("DB_MAX_CONNECTIONS", "0"),
        ("DB_ACQUIRE_TIMEOUT_MS", "0"),
        ("DISCLOSURE_MIN_COUNT", "0"),
        ("PTABLE", "missing.csv"),
        ("PERSON_KEY", "short"),
    ] {
        let mut envs = vec![("DATABASE_URL", url.as_str()), ("BIND", "127.0.0.1:0")];
        envs.retain(|(n, _)| *n != name);
        envs.push((name, value));
        let out = run_in_clean_env(&["serve"], &envs, dir.path());
        let message = text(&out);
        assert_eq!(out.status.code(), Some(1), "{name}: {message}");
        assert!(
            message.contains(&format!("error: {name}")),
            "{name}: {message}"
        );
        assert!(!message.contains("s3cr3t"), "{name}: {message}");
    }
    // Values clap itself cannot read are refused at parsing, naming the flag.
    for (name, value, flag) in [
        ("BIND", "nowhere", "--bind"),
        ("MAX_ALIASES", "many", "--max-aliases"),
        ("BATCH_WINDOW_MS", "-1", "--batch-window-ms"),
        ("INTROSPECTION", "maybe", "--introspection"),
        ("DEMO_DATA", "maybe", "--demo-data"),
        ("GRAPHIQL", "maybe", "--graphiql"),
        ("EXPLORER", "maybe", "--explorer"),
    ] {
        let envs = [("DATABASE_URL", url.as_str()), (name, value)];
        let out = run_in_clean_env(&["serve"], &envs, dir.path());
        let message = text(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {message}");
        assert!(message.contains(flag), "{name}: {message}");
    }
    // A flag wins over its variable: the bad DATABASE_URL is not read, so the first fault
    // found is the next one.
    let out = run_in_clean_env(
        &["serve", "--database-url", &url],
        &[("DATABASE_URL", "mysql://h/d"), ("MAX_QUERY_DEPTH", "0")],
        dir.path(),
    );
    let message = text(&out);
    assert_eq!(out.status.code(), Some(1), "{message}");
    assert!(message.contains("error: MAX_QUERY_DEPTH"), "{message}");
}
