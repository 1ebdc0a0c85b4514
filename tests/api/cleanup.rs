//! A test that panics leaves no PostgreSQL database behind: its store is dropped while the
//! panic unwinds, not only when the test reaches its end.

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

use crate::helpers::{Store, TestApp, postgres_admin_url};

/// Whether the test server has a database of that name.
async fn exists(name: &str) -> bool {
    let admin = Database::connect(postgres_admin_url().as_str())
        .await
        .expect("the test server answers");
    let row = admin
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 AS found FROM pg_database WHERE datname = $1",
            [name.into()],
        ))
        .await
        .expect("pg_database read");
    admin.close().await.ok();
    row.is_some()
}

#[test]
fn a_test_that_panics_drops_its_database_all_the_same() {
    let (sender, receiver) = std::sync::mpsc::channel::<Option<String>>();
    // The panicking "test": a runtime of its own on a thread of its own, as `#[tokio::test]`
    // runs one, with a server holding open connections to its database when it panics.
    let outcome = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let Some(app) = TestApp::spawn(Store::Postgres).await else {
                let _ = sender.send(None);
                return;
            };
            let data = app.data(r#"{ area(code: "E12000007") { name } }"#).await;
            assert_eq!(data["area"]["name"], "London");
            let name = app.postgres_name().expect("a PostgreSQL store").to_owned();
            assert!(exists(&name).await, "{name} was created");
            sender.send(Some(name.clone())).expect("reported");
            panic!("deliberate panic while {name} is in use (this test expects it)");
        });
    })
    .join();
    // The thread has ended, so whatever it sent is there now.
    let Ok(sent) = receiver.try_recv() else {
        // It failed before it had a database: pass its panic on.
        match outcome {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => panic!("the thread ended without reporting"),
        }
    };
    let Some(name) = sent else {
        // PostgreSQL unreachable and not required: skipped, as the other tests are.
        return;
    };
    assert!(outcome.is_err(), "the thread was meant to panic");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    assert!(
        !runtime.block_on(exists(&name)),
        "{name} is still on the server after its test panicked"
    );
}
