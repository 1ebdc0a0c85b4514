//! The command line as users run it: schema export and check, migrations, reference loading.

use std::process::{Command, Output};

use crate::helpers::{Store, TestStore};
use crate::on_both_stores;

fn run(args: &[&str], database_url: Option<&str>, dir: &std::path::Path) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mobility-explorer"));
    command.args(args).current_dir(dir).env("RUST_LOG", "error");
    match database_url {
        Some(url) => command.env("DATABASE_URL", url),
        None => command.env_remove("DATABASE_URL"),
    };
    command.output().expect("the binary runs")
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
        text(&first).contains(" 379 areas at level LOCAL_AUTHORITY"),
        "{}",
        text(&first)
    );

    let down = run(&["migrate", "down"], Some(&url), dir.path());
    assert!(down.status.success(), "{}", text(&down));
    let status = run(&["migrate", "status"], Some(&url), dir.path());
    assert!(text(&status).contains("pending"), "{}", text(&status));
    test_store.drop_store().await;
}

on_both_stores!(migrate_and_load_reference_work_from_the_command_line);
