//! The pre-aggregated store: answers summed from the cells built at import equal those
//! grouped from the staff records, for random filters and groupings; cells follow every
//! re-import and are built for snapshots that predate them; a second server on the same store
//! serves an import at its next check of the data version (every `DATA_POLL_MS`); GET answers
//! carry an `ETag` that turns into a 304; a repeated question is answered from memory.

use std::io::Cursor;
use std::time::{Duration, Instant};

use mobility_explorer::demo;
use mobility_explorer::domain::release::{Drafts, VersionKey, View};
use mobility_explorer::domain::seb::Measure;
use mobility_explorer::domain::workforce::{Dimension, PersonKey, Scope, derived_record_key};
use mobility_explorer::import;
use mobility_explorer::store::releases;
use mobility_explorer::store::workforce::{self as workforce_store, cells};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};

use crate::helpers::{Store, TestApp, TestStore};
use crate::on_both_stores;

fn key() -> PersonKey {
    PersonKey::new(b"a test key of more than sixteen bytes").expect("long enough")
}

/// Imports `records` demo records generated from `seed`.
async fn import_demo(db: &DatabaseConnection, records: u64, seed: u64) {
    let mut csv = Vec::new();
    demo::write_csv(&mut csv, records, seed).expect("the demo file is written");
    import::workforce::import(db, &format!("demo-{seed}.csv"), Cursor::new(csv), &key())
        .await
        .expect("the demo file imports");
}

/// The distinct values of one staff record column.
async fn distinct<T: sea_orm::TryGetable>(db: &DatabaseConnection, column: &str) -> Vec<T> {
    let sql = format!("SELECT DISTINCT {column} FROM staff_record ORDER BY {column}");
    db.query_all_raw(sea_orm::Statement::from_string(
        db.get_database_backend(),
        sql,
    ))
    .await
    .expect("distinct values")
    .iter()
    .map(|row| row.try_get_by_index(0).expect("a value"))
    .collect()
}

/// Some of `values` (possibly none), or `None` (no filter) one time in two.
fn some_of<T: Clone>(rng: &mut ChaCha8Rng, values: &[T]) -> Option<Vec<T>> {
    if rng.random_bool(0.5) {
        return None;
    }
    let n = rng.random_range(0..=values.len().min(4));
    Some(values.choose_multiple(rng, n).cloned().collect())
}

const DIMENSIONS: [Dimension; 6] = [
    Dimension::Employer,
    Dimension::Year,
    Dimension::BusinessUnit,
    Dimension::GradeLevel,
    Dimension::Region,
    Dimension::LocalAuthority,
];

async fn answers_from_cells_equal_answers_from_records(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    import_demo(&app.db, 3_000, 11).await;
    // A second file replaces the snapshots it shares with the first, with other people.
    import_demo(&app.db, 800, 12).await;
    assert_cells_sum_to_the_records(&app.db, 80).await;
    app.stop().await;
}

/// `csv` with a `record_key` column of random keys, or `csv` itself when `keys` is `None`.
fn with_record_keys(csv: &[u8], keys: Option<&mut ChaCha8Rng>) -> Vec<u8> {
    let Some(rng) = keys else {
        return csv.to_vec();
    };
    let text = std::str::from_utf8(csv).expect("UTF-8");
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let key = if i == 0 {
            "record_key".to_owned()
        } else {
            rng.random_range(0..=255u8).to_string()
        };
        out.push_str(&format!("{line},{key}\n"));
    }
    out.into_bytes()
}

async fn people_who_keep_their_record_keys_move_their_cells_key_sums(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let mut csv = Vec::new();
    demo::write_csv(&mut csv, 1_500, 21).expect("the demo file is written");
    // First with keys of the file's choosing, then the same people without the column: each
    // keeps the key the first import stored, not the one derived from their reference.
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for (name, keys) in [("keyed.csv", Some(&mut rng)), ("unkeyed.csv", None)] {
        let file = with_record_keys(&csv, keys);
        import::workforce::import(&app.db, name, Cursor::new(file), &key())
            .await
            .expect("the file imports");
    }
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    // Each import is a version of its own; the second's records are the ones read now.
    let second: Vec<i32> = entity::workforce_snapshot::Entity::find()
        .filter(entity::workforce_snapshot::Column::Source.eq("unkeyed.csv"))
        .all(&app.db)
        .await
        .expect("snapshots")
        .iter()
        .map(|s| s.id)
        .collect();
    let stored = entity::staff_record::Entity::find()
        .filter(entity::staff_record::Column::SnapshotId.is_in(second))
        .all(&app.db)
        .await
        .expect("records");
    assert_eq!(stored.len(), 1_500);
    let kept = stored
        .iter()
        .filter(|r| i32::from(derived_record_key(&r.person_hash)) != r.record_key)
        .count();
    assert!(kept > 1_400, "only {kept} records kept a key of their own");
    assert_cells_sum_to_the_records(&app.db, 40).await;
    app.stop().await;
}

/// For `rounds` random filters, measures and groupings, the cells sum to what the staff
/// records group to.
async fn assert_cells_sum_to_the_records(db: &DatabaseConnection, rounds: usize) {
    let employers: Vec<i32> = distinct(db, "employer_id").await;
    let years: Vec<i32> = distinct(db, "year").await;
    let units: Vec<i32> = distinct(db, "business_unit_id").await;
    let levels: Vec<i32> = distinct(db, "grade_level").await;
    let mut areas: Vec<String> = distinct(db, "work_area").await;
    areas.push("E06000001".into());
    let cells = cells::load(db).await.expect("the cells load");
    assert!(!cells.is_empty());
    // What the public reads: the latest release, which the records' GROUP BY reads too.
    let versions: Vec<VersionKey> = releases::versions(db)
        .await
        .expect("the versions load")
        .iter()
        .map(releases::Version::key)
        .collect();
    let latest = releases::list(db)
        .await
        .expect("releases")
        .last()
        .map(|r| r.number);
    let view = View::choose(&versions, latest, Drafts::None);

    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let mut answered = 0;
    for round in 0..rounds {
        let scope = Scope {
            employers: some_of(&mut rng, &employers).unwrap_or_else(|| employers.clone()),
            years: some_of(&mut rng, &years).unwrap_or_else(|| years.clone()),
            business_units: some_of(&mut rng, &units),
            grade_levels: some_of(&mut rng, &levels),
            work_areas: some_of(&mut rng, &areas),
            joiners_only: rng.random_bool(0.25),
        };
        let measure = *Measure::ALL.choose(&mut rng).expect("measures");
        let by = rng.random_range(0..=2);
        let dimensions: Vec<Dimension> =
            DIMENSIONS.choose_multiple(&mut rng, by).copied().collect();
        let context = format!("round {round}: {scope:?}, {measure:?} by {dimensions:?}");

        let expected = workforce_store::category_counts(db, &scope, measure, &dimensions)
            .await
            .expect("grouped from the records");
        let summed = cells.category_counts(&view, &scope, measure, &dimensions);
        assert_eq!(summed, expected, "{context}");
        if !expected.is_empty() {
            answered += 1;
        }

        let expected = workforce_store::engagement_sums(db, &scope)
            .await
            .expect("engagement from the records");
        let summed = cells.engagement_sums(&view, &scope);
        assert_eq!(
            (summed.lower, summed.other),
            (expected.lower, expected.other),
            "{context}"
        );
        assert!(
            (summed.lower_sum - expected.lower_sum).abs() < 1e-6,
            "{context}"
        );
        assert!(
            (summed.other_sum - expected.other_sum).abs() < 1e-6,
            "{context}"
        );
    }
    assert!(
        answered >= rounds * 3 / 8,
        "only {answered} rounds selected any staff"
    );
}

async fn snapshots_imported_before_the_cells_get_theirs_at_start_up(store: Store) {
    let Some(store) = TestStore::new(store).await else {
        return;
    };
    let first = TestApp::spawn_on(&store.url, |_| {}).await;
    import_demo(&first.db, 1_000, 5).await;
    let query = r#"{ workforce(filter: { years: [2022, 2023, 2024] }) {
        headcount distribution(by: [REGION]) { key { region } headcount } } }"#;
    let before = first.data(query).await;
    // As a store written before the cells existed: records and snapshots, no cells.
    first
        .db
        .execute_unprepared("DELETE FROM workforce_cell")
        .await
        .expect("cells deleted");
    first.stop().await;

    let second = TestApp::spawn_on(&store.url, |_| {}).await;
    assert!(
        !cells::load(&second.db).await.expect("cells").is_empty(),
        "the start-up built the missing cells"
    );
    assert_eq!(second.data(query).await, before);
    second.stop().await;
    store.drop_store().await;
}

/// The headcount of every employer's latest year, as one server answers it, without making
/// it check the store first.
async fn served_headcount(app: &TestApp) -> Value {
    let answer: Value = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ workforce { headcount years } }" }))
        .send()
        .await
        .expect("request sent")
        .json()
        .await
        .expect("JSON answer");
    answer["data"]["workforce"].clone()
}

async fn a_second_server_serves_an_import_at_its_next_check(store: Store) {
    let Some(store) = TestStore::new(store).await else {
        return;
    };
    let poll = |config: &mut mobility_explorer::config::Config| {
        config.data_poll = Duration::from_millis(100);
    };
    let importer = TestApp::spawn_on(&store.url, poll).await;
    let replica = TestApp::spawn_on(&store.url, poll).await;
    import_demo(&importer.db, 2_000, 21).await;
    replica.sync().await;
    let before = served_headcount(&replica).await;
    assert!(before["headcount"].as_u64().is_some(), "{before}");

    // A bigger file: more staff in every snapshot it replaces.
    import_demo(&importer.db, 6_000, 22).await;
    let imported = Instant::now();
    // The first check the replica starts after the commit must find the new version: once
    // two more checks have completed, one of them started after it. Counted, not timed, so a
    // busy machine cannot fail this; the time taken is reported.
    let checked = replica.live().checks();
    while replica.live().checks() < checked + 2 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let waited = imported.elapsed();
    let after = served_headcount(&replica).await;
    assert_ne!(
        after, before,
        "the replica did not serve the import at its next check"
    );
    assert!(
        after["headcount"].as_u64() > before["headcount"].as_u64(),
        "{after} {before}"
    );
    eprintln!("the replica served the import after {waited:?} (checks every 100 ms)");
    importer.sync().await;
    assert_eq!(served_headcount(&importer).await, after);
    importer.stop().await;
    replica.stop().await;
    store.drop_store().await;
}

/// GETs `/graphql` with `query`, sending `if_none_match` when given.
async fn get_query(app: &TestApp, query: &str, if_none_match: Option<&str>) -> reqwest::Response {
    app.sync().await;
    let mut request = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", query)]);
    if let Some(tag) = if_none_match {
        request = request.header("if-none-match", tag);
    }
    request.send().await.expect("request sent")
}

fn etag(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no ETag on {response:?}"))
        .to_owned()
}

async fn get_answers_carry_an_etag_that_gives_304_until_the_data_changes(store: Store) {
    let Some(app) = TestApp::spawn_with(store, |config| {
        config.cache_max_age = Duration::from_secs(30);
    })
    .await
    else {
        return;
    };
    import_demo(&app.db, 1_000, 31).await;
    let query = "{ workforce { headcount } }";
    let first = get_query(&app, query, None).await;
    assert_eq!(first.status(), 200);
    assert_eq!(
        first.headers()["cache-control"].to_str().ok(),
        Some("public, max-age=30")
    );
    let tag = etag(&first);
    let body: Value = first.json().await.expect("JSON");
    assert!(body["data"]["workforce"]["headcount"].is_u64(), "{body}");

    // The same question: not modified, with no body; weak and listed tags match too.
    for sent in [tag.clone(), format!("W/{tag}"), format!("\"other\", {tag}")] {
        let again = get_query(&app, query, Some(&sent)).await;
        assert_eq!(again.status(), 304, "If-None-Match: {sent}");
        assert_eq!(etag(&again), tag);
        assert!(again.bytes().await.expect("body").is_empty());
    }
    // Another question has another tag; a stale tag gets the answer.
    let other = get_query(&app, "{ workforce { years } }", Some(&tag)).await;
    assert_eq!(other.status(), 200);
    assert_ne!(etag(&other), tag);

    // New data: the old tag no longer matches.
    import_demo(&app.db, 1_500, 32).await;
    let changed = get_query(&app, query, Some(&tag)).await;
    assert_eq!(changed.status(), 200);
    assert_ne!(etag(&changed), tag);

    // Answers with errors, and POSTs, are not tagged.
    let refused = get_query(
        &app,
        "{ workforce(filter: { years: [] }) { headcount } }",
        None,
    )
    .await;
    assert!(refused.headers().get("etag").is_none(), "{refused:?}");
    let posted = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("request sent");
    assert_eq!(posted.status(), 200);
    assert!(posted.headers().get("etag").is_none());
    app.stop().await;
}

async fn a_repeated_question_is_answered_from_memory_until_the_data_changes(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    import_demo(&app.db, 1_000, 41).await;
    let query = r#"{ workforce { headcount distribution(by: [REGION]) { key { region regionName } headcount } } }"#;
    let before = app.statements();
    let first = app.data(query).await;
    let computing = app.statements() - before;
    assert!(computing > 0, "the first answer reads the store");

    let before = app.statements();
    assert_eq!(app.data(query).await, first);
    assert_eq!(
        app.statements(),
        before,
        "the same question again reads nothing"
    );

    // The same question with other variables, or after an import, is run again.
    let with_years =
        r#"query($years: [Int!]) { workforce(filter: { years: $years }) { headcount } }"#;
    let mut seen = Vec::new();
    for years in [json!([2024]), json!([2023]), json!([2024])] {
        let before = app.statements();
        let answer = app.query_with(with_years, json!({ "years": years })).await;
        seen.push((app.statements() - before, answer["data"].clone()));
    }
    assert!(seen[0].0 > 0 && seen[1].0 > 0, "{seen:?}");
    assert_eq!(seen[2], (0, seen[0].1.clone()), "{seen:?}");

    import_demo(&app.db, 3_000, 42).await;
    let before = app.statements();
    let after = app.data(query).await;
    assert!(
        app.statements() > before,
        "a new data version is answered afresh"
    );
    assert_ne!(after, first);
    app.stop().await;
}

async fn kept_answers_go_gzipped_to_clients_that_accept_it(store: Store) {
    use std::io::Read;
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    import_demo(&app.db, 1_000, 51).await;
    app.sync().await;
    let plain = reqwest::Client::builder()
        .no_gzip()
        .build()
        .expect("client");
    let query = r#"{ workforce { distribution(by: [LOCAL_AUTHORITY]) { key { localAuthority } headcount } } }"#;
    let get = |encoding: Option<&'static str>, tag: Option<String>| {
        let mut request = plain.get(app.url("/graphql")).query(&[("query", query)]);
        if let Some(encoding) = encoding {
            request = request.header("accept-encoding", encoding);
        }
        if let Some(tag) = tag {
            request = request.header("if-none-match", tag);
        }
        async move { request.send().await.expect("request sent") }
    };
    let identity = get(None, None).await;
    assert_eq!(identity.status(), 200);
    assert!(identity.headers().get("content-encoding").is_none());
    let identity_tag = etag(&identity);
    let identity_body = identity.bytes().await.expect("body");

    let before = app.statements();
    for encoding in ["gzip", "br;q=1, GZIP;q=0.5", "*"] {
        let zipped = get(Some(encoding), None).await;
        assert_eq!(zipped.status(), 200, "{encoding}");
        assert_eq!(zipped.headers()["content-encoding"], "gzip", "{encoding}");
        let tag = etag(&zipped);
        assert_ne!(tag, identity_tag, "two encodings, two strong tags");
        let body = zipped.bytes().await.expect("body");
        assert!(body.len() * 4 < identity_body.len(), "{} bytes", body.len());
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut unzipped)
            .expect("gunzips");
        assert_eq!(unzipped, identity_body, "{encoding}");
        let again = get(Some(encoding), Some(tag)).await;
        assert_eq!(again.status(), 304, "{encoding}");
    }
    assert_eq!(app.statements(), before, "every answer came from memory");

    let refused = get(Some("gzip;q=0"), None).await;
    assert!(refused.headers().get("content-encoding").is_none());
    assert_eq!(etag(&refused), identity_tag);
    assert_eq!(refused.bytes().await.expect("body"), identity_body);

    let posted = plain
        .post(app.url("/graphql"))
        .header("accept-encoding", "gzip")
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("request sent");
    assert_eq!(posted.headers()["content-encoding"], "gzip");
    app.stop().await;
}

on_both_stores!(
    a_repeated_question_is_answered_from_memory_until_the_data_changes,
    kept_answers_go_gzipped_to_clients_that_accept_it,
    answers_from_cells_equal_answers_from_records,
    people_who_keep_their_record_keys_move_their_cells_key_sums,
    snapshots_imported_before_the_cells_get_theirs_at_start_up,
    a_second_server_serves_an_import_at_its_next_check,
    get_answers_carry_an_etag_that_gives_304_until_the_data_changes,
);
