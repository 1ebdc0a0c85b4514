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
