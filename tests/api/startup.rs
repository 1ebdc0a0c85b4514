//! Starting the server: several replicas sharing one store set it up exactly once (migrations,
//! reference data, demo workforce).

use mobility_explorer::app::App;
use mobility_explorer::config::Config;
use sea_orm::{ConnectionTrait, Statement};

use crate::helpers::{Store, TestStore};
use crate::on_both_stores;

async fn count(db: &sea_orm::DatabaseConnection, table: &str) -> i64 {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .expect("counted")
        .expect("one row");
    row.try_get::<i64>("", "n").expect("a number")
}

async fn servers_starting_together_migrate_and_load_reference_data_once(store: Store) {
    let Some(test_store) = TestStore::new(store).await else {
        return;
    };
    // Four replicas on a two-core machine: on SQLite they contend for the file's write lock.
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let mut config =
                Config::new(test_store.url.clone(), "127.0.0.1:0".parse().expect("addr"));
            config.demo_data = true;
            // A machine this busy (four servers loading the demo data at once, beside the
            // other tests) can take longer than the tests' half a second to hand out a new
            // connection; what is checked here is that the work is done once.
            config.pool.acquire_timeout = std::time::Duration::from_secs(10);
            tokio::spawn(App::build(config))
        })
        .collect();
    let mut apps = Vec::new();
    for start in starts {
        apps.push(start.await.expect("joined").expect("every replica starts"));
    }
    let db = apps[0].db();
    use migration::MigratorTrait;
    assert_eq!(
        count(db, "seaql_migrations").await,
        migration::Migrator::migrations().len() as i64
    );
    let areas = mobility_explorer::import::reference::geography().expect("bundled data");
    assert_eq!(count(db, "area").await, areas.areas.len() as i64);
    assert_eq!(
        count(db, "area_within").await,
        areas.containment.len() as i64
    );
    let shares =
        mobility_explorer::import::reference::reference_shares(&areas).expect("bundled data");
    assert_eq!(count(db, "reference_share").await, shares.len() as i64);
    // The demo workforce is loaded once, not once per replica.
    assert_eq!(
        count(db, "staff_record").await,
        mobility_explorer::demo::DEFAULT_RECORDS as i64
    );
    for app in apps {
        app.db().clone().close().await.ok();
    }
    test_store.drop_store().await;
}

on_both_stores!(servers_starting_together_migrate_and_load_reference_data_once);

/// A store loaded by another binary (its bundled files or their reading differed) is brought
/// to this binary's reference data at start-up, the published values replaced whole; a store
/// already holding it is left alone.
async fn a_server_reloads_reference_data_another_binary_loaded(store: Store) {
    let Some(test_store) = TestStore::new(store).await else {
        return;
    };
    let start = || async {
        let config = Config::new(test_store.url.clone(), "127.0.0.1:0".parse().expect("addr"));
        App::build(config).await.expect("the server starts")
    };
    let version = |db: sea_orm::DatabaseConnection| async move {
        mobility_explorer::store::version::read(&db)
            .await
            .expect("data version")
    };
    let first = start().await;
    let db = first.db().clone();
    let loaded = version(db.clone()).await;
    let fingerprint = mobility_explorer::store::version::reference_fingerprint(&db)
        .await
        .expect("read")
        .expect("recorded at the load");
    // A restart on the same binary changes nothing.
    drop(first);
    let again = start().await;
    assert_eq!(version(again.db().clone()).await, loaded);
    drop(again);
    // What an older reading left: a value under a breakdown the files no longer give, and
    // another fingerprint.
    let backend = db.get_database_backend();
    let stale = "INSERT INTO indicator_value (indicator_id, area_code, period, breakdown, value) \
        SELECT id, 'TLC1', '2024', 'quintile=3', 1.5 FROM indicator WHERE code = 'son25_dr51'";
    db.execute_raw(Statement::from_string(backend, stale))
        .await
        .expect("stale value");
    db.execute_raw(Statement::from_string(
        backend,
        "UPDATE data_version SET reference_fingerprint = 'older' WHERE id = 1",
    ))
    .await
    .expect("older fingerprint");
    let upgraded = start().await;
    let db = upgraded.db().clone();
    assert!(
        version(db.clone()).await > loaded,
        "a reload is a new data version"
    );
    assert_eq!(
        mobility_explorer::store::version::reference_fingerprint(&db)
            .await
            .expect("read"),
        Some(fingerprint)
    );
    assert_eq!(
        count(&db, "indicator_value WHERE breakdown = 'quintile=3'").await,
        0,
        "the stale value is gone"
    );
    assert!(count(&db, "indicator_value WHERE area_code = 'TLC1'").await > 0);
    drop(upgraded);
    db.close().await.ok();
    test_store.drop_store().await;
}

on_both_stores!(a_server_reloads_reference_data_another_binary_loaded);
