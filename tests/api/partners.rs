//! Partners' access over real HTTP: persisted queries by URL and by hash, trusted documents
//! only, answers as tidy CSV (byte for byte on a hand-built staff file), JSON rows and CSV
//! metadata, caching with `ETag`, and rate limits.

use std::io::Cursor;
use std::sync::Arc;

use mobility_explorer::config::Config;
use mobility_explorer::domain::ptable::Ptable;
use mobility_explorer::domain::workforce::PersonKey;
use mobility_explorer::import;
use serde_json::{Value, json};
use sha2::Digest;

use crate::helpers::{Store, TestApp, TestStore, error_code};
use crate::on_both_stores;
use crate::staff::{self, BIRMINGHAM, WESTMINSTER, batch, people};

/// Variables for each shipped query (real reference data, and the staff file below).
fn shipped_variables() -> Vec<(&'static str, Value)> {
    vec![
        (
            "area-profile",
            json!({ "code": "TLI3", "indexPeriod": "2023", "coldSpotPeriod": "2023" }),
        ),
        (
            "cold-spot-map",
            json!({ "level": "ITL2", "period": "2023" }),
        ),
        ("employers", json!({})),
        (
            "indicator-values",
            json!({ "indicator": "smc23_childhood_poverty" }),
        ),
        ("indicators", json!({ "domain": "smc_2023_composites" })),
        ("map-areas", json!({ "level": "ITL2" })),
        (
            "programme-reach",
            json!({ "metric": "students_engaged", "programme": "schools_programme" }),
        ),
        (
            "programme-series",
            json!({ "programme": "schools_programme", "metric": "students_engaged" }),
        ),
        ("programmes", json!({ "owner": "MOJ" })),
        (
            "reference-populations",
            json!({ "measure": "PARENTAL_OCCUPATION" }),
        ),
        (
            "who-gets-on",
            json!({ "employers": ["EMP-P"], "by": "GRADE_LEVEL" }),
        ),
        (
            "workforce-benchmark",
            json!({ "employers": ["EMP-P"], "benchmark": "UK" }),
        ),
        (
            "workforce-distribution",
            json!({ "employers": ["EMP-P"], "years": [2024], "by": ["REGION"] }),
        ),
    ]
}

/// Variables as URL parameters: a list gives one parameter per item.
fn url_query(variables: &Value) -> String {
    let mut pairs = Vec::new();
    for (name, value) in variables.as_object().expect("an object") {
        let items = match value {
            Value::Array(items) => items.clone(),
            one => vec![one.clone()],
        };
        for item in items {
            let text = match item {
                Value::String(s) => s,
                other => other.to_string(),
            };
            pairs.push((name.clone(), text));
        }
    }
    serde_urlencoded::to_string(pairs).expect("encodes")
}

fn sha256(text: &str) -> String {
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// A perturbation table adding nothing: every published count is the true count, so the
/// expected tables below are worked out by hand.
fn exact_ptable() -> Ptable {
    let mut csv = String::from("pcv,ckey,pvalue\n");
    for pcv in 1..=750 {
        for ckey in 0..256 {
            csv.push_str(&format!("{pcv},{ckey},0\n"));
        }
    }
    Ptable::read_csv("exact.csv", csv.as_bytes()).expect("a valid table")
}

/// EMP-P in 2024, 31 people:
///
/// | place | grade | PROFESSIONAL | INTERMEDIATE | LOWER |
/// |---|---|---|---|---|
/// | Birmingham (West Midlands) | AO, 1 | 10 | 3 | 12 |
/// | Westminster (London) | G7, 3 | 4 | 0 | 2 |
///
/// With no noise and k = 10: Birmingham's intermediate count (3) is withheld; London's
/// group (6 people) is withheld whole, its headcount included, as a small group.
fn emp_p() -> String {
    let batches = vec![
        batch(
            10,
            "Operations",
            ("AO", 1),
            BIRMINGHAM,
            2020,
            "professional",
        ),
        batch(3, "Operations", ("AO", 1), BIRMINGHAM, 2020, "intermediate"),
        batch(12, "Operations", ("AO", 1), BIRMINGHAM, 2020, "routine"),
        batch(4, "Policy", ("G7", 3), WESTMINSTER, 2015, "professional"),
        batch(2, "Policy", ("G7", 3), WESTMINSTER, 2015, "routine"),
    ];
    staff::csv(&people("EMP-P", 2024, &batches))
}

async fn spawn_loaded(store: Store, adjust: impl FnOnce(&mut Config)) -> Option<TestApp> {
    let app = TestApp::spawn_with(store, |config| {
        config.disclosure.ptable = Arc::new(exact_ptable());
        adjust(config);
    })
    .await?;
    import::workforce::import(&app.db, "emp-p.csv", Cursor::new(emp_p()), &person_key())
        .await
        .expect("the staff file imports");
    app.sync().await;
    Some(app)
}

/// GETs `path` with extra request headers.
async fn get_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("sent")
}

/// The key the staff files are imported with.
fn person_key() -> PersonKey {
    PersonKey::new(b"a partner test key of sixteen bytes").expect("long enough")
}

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

async fn post(app: &TestApp, body: Value) -> (u16, Value) {
    json_of(app.post(&body).await).await
}

on_both_stores!(every_shipped_query_answers_by_url_and_by_hash);
async fn every_shipped_query_answers_by_url_and_by_hash(store: Store) {
    let Some(app) = spawn_loaded(store, |_| {}).await else {
        return;
    };
    let (status, listing) = json_of(app.get("/q").await).await;
    assert_eq!(status, 200);
    let listed: Vec<&Value> = listing["queries"]
        .as_array()
        .expect("a list")
        .iter()
        .collect();
    let names: Vec<&str> = listed.iter().filter_map(|q| q["name"].as_str()).collect();
    let cases = shipped_variables();
    assert_eq!(
        names,
        cases.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        "every shipped query has a case here"
    );
    for (query, (name, variables)) in listed.iter().zip(&cases) {
        let document = query["document"].as_str().expect("the document");
        let hash = query["sha256Hash"].as_str().expect("the hash");
        assert_eq!(sha256(document), hash, "{name}: the hash is of the text");
        assert_eq!(query["origin"], "shipped");
        assert!(
            query["description"].as_str().is_some_and(|d| d.len() > 20),
            "{name}"
        );

        let (status, by_url) = json_of(
            app.get(&format!("/q/{name}?{}", url_query(variables)))
                .await,
        )
        .await;
        assert_eq!(status, 200, "{name}: {by_url}");
        assert!(by_url.get("errors").is_none(), "{name}: {by_url}");
        let data = by_url["data"].as_object().expect("data");
        assert!(
            data.values().all(|v| !v.is_null()),
            "{name} answers: {by_url}"
        );

        let persisted = json!({ "version": 1, "sha256Hash": hash });
        let (status, by_hash) = post(
            &app,
            json!({ "variables": variables, "extensions": { "persistedQuery": persisted } }),
        )
        .await;
        assert_eq!(status, 200, "{name}: {by_hash}");
        assert_eq!(by_hash, by_url, "{name}: by hash as by URL");

        let get = format!(
            "/graphql?{}",
            serde_urlencoded::to_string([
                ("variables", variables.to_string()),
                (
                    "extensions",
                    json!({ "persistedQuery": persisted }).to_string()
                ),
            ])
            .expect("encodes")
        );
        let (status, by_get) = json_of(app.get(&get).await).await;
        assert_eq!(status, 200, "{name}: {by_get}");
        assert_eq!(by_get, by_url, "{name}: by hash over GET as by URL");
    }

    // The workforce queries answer from the staff file.
    let (_, answer) = json_of(
        app.get("/q/workforce-distribution?employers=EMP-P&by=REGION")
            .await,
    )
    .await;
    let groups = &answer["data"]["workforce"]["distribution"];
    assert_eq!(groups[0]["key"]["region"], "E12000005");
    assert_eq!(groups[0]["headcount"], 25);

    // Bad URLs are refused with the parameter named.
    for (path, code, names) in [
        ("/q/cold-spot-map", "BAD_VARIABLE", "`period`"),
        (
            "/q/cold-spot-map?period=2023&perod=1",
            "BAD_VARIABLE",
            "`perod`",
        ),
        (
            "/q/workforce-distribution?years=last",
            "BAD_VARIABLE",
            "`years`",
        ),
        ("/q/reference-populations?format=xlsx", "BAD_FORMAT", "xlsx"),
    ] {
        let (status, refused) = json_of(app.get(path).await).await;
        assert_eq!(status, 400, "{path}: {refused}");
        assert_eq!(error_code(&refused), code, "{path}");
        assert!(
            refused["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains(names)),
            "{path}: {refused}"
        );
    }
    let (status, missing) = json_of(app.get("/q/no-such-query").await).await;
    assert_eq!((status, error_code(&missing)), (404, "NOT_FOUND"));
    // A flood of values is refused by the query's own bounds, and never becomes a table.
    let flood = vec!["years=2024"; 600].join("&");
    let response = app
        .get(&format!("/q/workforce-distribution.csv?{flood}"))
        .await;
    assert_eq!(response.status(), 400);
    let (_, refused) = json_of(response).await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
    let long = "a".repeat(5_000);
    let (status, missing) = json_of(app.get(&format!("/q/{long}")).await).await;
    assert_eq!(status, 404);
    let message = missing["errors"][0]["message"].as_str().unwrap_or("");
    assert!(
        message.len() < 200,
        "not echoed whole: {} bytes",
        message.len()
    );
    app.stop().await;
}

on_both_stores!(only_trusted_documents_are_answered_when_configured);
async fn only_trusted_documents_are_answered_when_configured(store: Store) {
    let dir = tempfile::tempdir().expect("a directory");
    let own = "# Every employer with staff loaded, by code.\nquery OwnEmployers { employers { code name } }\n";
    std::fs::write(dir.path().join("own-employers.graphql"), own).expect("written");
    std::fs::write(dir.path().join("notes.txt"), "not a query").expect("written");
    let Some(app) = spawn_loaded(store, |config| {
        config.trusted_documents_only = true;
        config.persisted_queries_dir = Some(dir.path().to_owned());
    })
    .await
    else {
        return;
    };
    let other = "{ employers { code } }";

    // Any other document, sent as text, by hash, or with its hash, is refused.
    let (status, refused) = post(&app, json!({ "query": other })).await;
    assert_eq!(
        (status, error_code(&refused)),
        (400, "PERSISTED_QUERY_REQUIRED")
    );
    let (status, refused) = json_of(
        app.get(&format!(
            "/graphql?{}",
            serde_urlencoded::to_string([("query", other)]).expect("encodes")
        ))
        .await,
    )
    .await;
    assert_eq!(
        (status, error_code(&refused)),
        (400, "PERSISTED_QUERY_REQUIRED")
    );
    let unknown = json!({ "version": 1, "sha256Hash": sha256(other) });
    let (status, refused) = post(
        &app,
        json!({ "extensions": { "persistedQuery": unknown.clone() } }),
    )
    .await;
    assert_eq!(
        (status, error_code(&refused)),
        (400, "PERSISTED_QUERY_NOT_IN_LIST")
    );
    let (status, refused) = post(
        &app,
        json!({ "query": other, "extensions": { "persistedQuery": unknown } }),
    )
    .await;
    assert_eq!(
        (status, error_code(&refused)),
        (400, "PERSISTED_QUERY_NOT_IN_LIST")
    );
    let (status, refused) = post(&app, json!({ "query": "{ __schema { types { name } } }" })).await;
    assert_eq!(
        (status, error_code(&refused)),
        (400, "PERSISTED_QUERY_REQUIRED"),
        "introspection too"
    );

    // The operator's query is listed, and answers by URL, by hash and as its own text.
    let (_, listing) = json_of(app.get("/q").await).await;
    let listed = listing["queries"]
        .as_array()
        .expect("a list")
        .iter()
        .find(|q| q["name"] == "own-employers")
        .expect("the operator's query is listed");
    assert_eq!(listed["origin"], "operator");
    assert_eq!(
        listed["description"],
        "Every employer with staff loaded, by code."
    );
    let (status, by_url) = json_of(app.get("/q/own-employers").await).await;
    assert_eq!(status, 200, "{by_url}");
    assert_eq!(by_url["data"]["employers"][0]["code"], "EMP-P");
    let known = json!({ "version": 1, "sha256Hash": sha256(own) });
    let (status, by_hash) = post(&app, json!({ "extensions": { "persistedQuery": known } })).await;
    assert_eq!((status, &by_hash), (200, &by_url));
    let (status, as_text) = post(&app, json!({ "query": own })).await;
    assert_eq!((status, &as_text), (200, &by_url));
    app.stop().await;

    // A persisted query that does not fit the schema stops the server, naming it.
    std::fs::write(dir.path().join("broken.graphql"), "{ employers { nope } }").expect("written");
    let mut config = Config::new("sqlite::memory:", "127.0.0.1:0".parse().expect("addr"));
    config.persisted_queries_dir = Some(dir.path().to_owned());
    let error = mobility_explorer::app::App::build(config)
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(
        error.contains("`broken`") && error.contains("nope"),
        "{error}"
    );
}

on_both_stores!(documents_sent_with_their_hash_are_remembered);
async fn documents_sent_with_their_hash_are_remembered(store: Store) {
    let Some(app) = spawn_loaded(store, |_| {}).await else {
        return;
    };
    let document = "{ employers { code } }";
    let persisted = json!({ "version": 1, "sha256Hash": sha256(document) });
    let hash_only = json!({ "extensions": { "persistedQuery": persisted.clone() } });
    let (status, unknown) = post(&app, hash_only.clone()).await;
    assert_eq!(
        (status, error_code(&unknown)),
        (400, "PERSISTED_QUERY_NOT_FOUND")
    );
    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound");
    let (status, first) = post(
        &app,
        json!({ "query": document, "extensions": { "persistedQuery": persisted } }),
    )
    .await;
    assert_eq!(status, 200, "{first}");
    let (status, again) = post(&app, hash_only).await;
    assert_eq!((status, &again), (200, &first), "now known by its hash");

    let wrong = json!({ "version": 1, "sha256Hash": sha256("{ employers { name } }") });
    let (status, refused) = post(
        &app,
        json!({ "query": document, "extensions": { "persistedQuery": wrong } }),
    )
    .await;
    assert_eq!(
        (status, error_code(&refused)),
        (400, "PERSISTED_QUERY_HASH_MISMATCH")
    );
    for bad in [
        json!({ "version": 2, "sha256Hash": sha256(document) }),
        json!({ "version": 1, "sha256Hash": "abc" }),
        json!("not an object"),
    ] {
        let (status, refused) =
            post(&app, json!({ "extensions": { "persistedQuery": bad } })).await;
        assert_eq!(
            (status, error_code(&refused)),
            (400, "PERSISTED_QUERY_INVALID")
        );
    }
    app.stop().await;
}

/// The distribution by region of the staff file, as the API must write it: worked out by
/// hand from the table at [`emp_p`].
const DISTRIBUTION_CSV: &str = "\
years,synthetic,employer,year,businessUnit,gradeLevel,region,regionName,localAuthority,localAuthorityName,category,figure,value,unit,status\r
2024,false,,,,,E12000005,West Midlands,,,,headcount,25,people,\r
2024,false,,,,,E12000005,West Midlands,,,,respondents,25,people,\r
2024,false,,,,,E12000005,West Midlands,,,,declarationRate,1.0,fraction,\r
2024,false,,,,,E12000005,West Midlands,,,PROFESSIONAL,count,10,people,\r
2024,false,,,,,E12000005,West Midlands,,,PROFESSIONAL,share,0.4,fraction,\r
2024,false,,,,,E12000005,West Midlands,,,INTERMEDIATE,count,[c],people,SUPPRESSED_SMALL_COUNT\r
2024,false,,,,,E12000005,West Midlands,,,INTERMEDIATE,share,[c],fraction,SUPPRESSED_SMALL_COUNT\r
2024,false,,,,,E12000005,West Midlands,,,LOWER,count,12,people,\r
2024,false,,,,,E12000005,West Midlands,,,LOWER,share,0.48,fraction,\r
2024,false,,,,,E12000007,London,,,,headcount,[c],people,SUPPRESSED_SMALL_GROUP\r
2024,false,,,,,E12000007,London,,,,respondents,[c],people,SUPPRESSED_SMALL_GROUP\r
2024,false,,,,,E12000007,London,,,,declarationRate,[c],fraction,SUPPRESSED_SMALL_GROUP\r
2024,false,,,,,E12000007,London,,,PROFESSIONAL,count,[c],people,SUPPRESSED_SMALL_GROUP\r
2024,false,,,,,E12000007,London,,,PROFESSIONAL,share,[c],fraction,SUPPRESSED_SMALL_GROUP\r
2024,false,,,,,E12000007,London,,,INTERMEDIATE,count,[c],people,SUPPRESSED_SMALL_GROUP\r
2024,false,,,,,E12000007,London,,,INTERMEDIATE,share,[c],fraction,SUPPRESSED_SMALL_GROUP\r
2024,false,,,,,E12000007,London,,,LOWER,count,[c],people,SUPPRESSED_SMALL_GROUP\r
2024,false,,,,,E12000007,London,,,LOWER,share,[c],fraction,SUPPRESSED_SMALL_GROUP\r
";

on_both_stores!(an_answer_is_a_tidy_csv_with_its_metadata);
async fn an_answer_is_a_tidy_csv_with_its_metadata(store: Store) {
    let Some(app) = spawn_loaded(store, |_| {}).await else {
        return;
    };
    let path = "/q/workforce-distribution.csv?employers=EMP-P&by=REGION";
    let response = app.get(path).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8; header=present"
    );
    let link = response.headers()["link"]
        .to_str()
        .expect("text")
        .to_owned();
    assert_eq!(
        link,
        "</q/workforce-distribution?employers=EMP-P&by=REGION&format=csvw>; \
         rel=\"describedby\"; type=\"application/csvm+json\""
    );
    let csv = response.text().await.expect("a body");
    assert_eq!(csv, DISTRIBUTION_CSV);
    // Replayed from memory, the answer still links its metadata.
    let again = app.get(path).await;
    assert_eq!(again.headers()["link"].to_str().ok(), Some(link.as_str()));
    assert_eq!(again.text().await.expect("a body"), DISTRIBUTION_CSV);

    // The same table by `format`, by `Accept`, and through `/graphql` with the document.
    let by_format = app
        .get("/q/workforce-distribution?employers=EMP-P&by=REGION&format=csv")
        .await;
    assert_eq!(by_format.text().await.expect("a body"), DISTRIBUTION_CSV);
    let by_accept = get_with(
        &app,
        "/q/workforce-distribution?employers=EMP-P&by=REGION",
        &[("accept", "text/csv")],
    )
    .await;
    assert_eq!(by_accept.text().await.expect("a body"), DISTRIBUTION_CSV);
    let (_, listing) = json_of(app.get("/q").await).await;
    let document = listing["queries"]
        .as_array()
        .expect("a list")
        .iter()
        .find(|q| q["name"] == "workforce-distribution")
        .and_then(|q| q["document"].as_str())
        .expect("listed")
        .to_owned();
    let graphql = format!(
        "/graphql?{}",
        serde_urlencoded::to_string([
            ("query", document.as_str()),
            ("variables", r#"{"employers":["EMP-P"],"by":["REGION"]}"#),
            ("format", "csv"),
        ])
        .expect("encodes")
    );
    assert_eq!(
        app.get(&graphql).await.text().await.expect("a body"),
        DISTRIBUTION_CSV
    );

    // The same rows as JSON objects, values as numbers.
    let (status, rows) = json_of(
        app.get("/q/workforce-distribution.json?employers=EMP-P&by=REGION")
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let rows = rows.as_array().expect("rows");
    assert_eq!(rows.len(), DISTRIBUTION_CSV.lines().count() - 1);
    assert_eq!(rows[3]["category"], "PROFESSIONAL");
    assert_eq!(rows[3]["value"], 10);
    assert_eq!(rows[5]["value"], "[c]");
    assert_eq!(rows[5]["status"], "SUPPRESSED_SMALL_COUNT");

    // The metadata: the columns of the CSV, in order, and where the figures come from.
    let (status, meta) =
        json_of(app.get(link.split(['<', '>']).nth(1).expect("a URL")).await).await;
    assert_eq!(status, 200, "{meta}");
    assert_eq!(meta["@context"], "http://www.w3.org/ns/csvw");
    assert_eq!(
        meta["url"],
        "/q/workforce-distribution?employers=EMP-P&by=REGION&format=csv"
    );
    let columns: Vec<&str> = meta["tableSchema"]["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(
        columns.join(","),
        DISTRIBUTION_CSV.lines().next().expect("a header")
    );
    assert_eq!(meta["dc:temporal"], json!(["2024"]));
    assert_eq!(meta["notes"][0]["synthetic"], false);
    assert!(
        meta["dc:source"][0]
            .as_str()
            .is_some_and(|s| s.contains("submitted by the employers")),
        "{meta}"
    );
    assert!(
        meta["notes"][0]["disclosureControl"]
            .as_str()
            .is_some_and(|d| d.contains("withheld when below 10")),
        "{meta}"
    );
    assert!(
        meta["dc:issued"].as_str().is_some_and(|t| t.ends_with('Z')),
        "the release time: {meta}"
    );

    // A query that cannot run gives its errors, not an empty table.
    let response = app.get("/q/indicator-values.csv?indicator=nope").await;
    assert_eq!(response.status(), 400);
    app.stop().await;
}

on_both_stores!(tables_revalidate_with_their_etag_until_the_data_changes);
async fn tables_revalidate_with_their_etag_until_the_data_changes(store: Store) {
    let Some(app) = spawn_loaded(store, |_| {}).await else {
        return;
    };
    let path = "/q/workforce-distribution.csv?employers=EMP-P&by=REGION";
    let first = app.get(path).await;
    assert_eq!(first.status(), 200);
    let tag = first.headers()["etag"].to_str().expect("text").to_owned();
    assert!(
        first.headers()["cache-control"]
            .to_str()
            .is_ok_and(|c| c.contains("max-age=60"))
    );
    let again = get_with(&app, path, &[("if-none-match", tag.as_str())]).await;
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().ok(), Some(tag.as_str()));
    assert!(again.text().await.expect("a body").is_empty());

    // Each format of one question is its own answer, with its own tag.
    let json = app
        .get("/q/workforce-distribution?employers=EMP-P&by=REGION")
        .await;
    assert_ne!(json.headers()["etag"].to_str().ok(), Some(tag.as_str()));

    // New data: the old tag no longer matches.
    let more = staff::csv(&people(
        "EMP-Q",
        2024,
        &[batch(12, "Ops", ("AO", 1), BIRMINGHAM, 2020, "routine")],
    ));
    import::workforce::import(&app.db, "emp-q.csv", Cursor::new(more), &person_key())
        .await
        .expect("imports");
    app.sync().await;
    let after = get_with(&app, path, &[("if-none-match", tag.as_str())]).await;
    assert_eq!(after.status(), 200);
    assert_ne!(after.headers()["etag"].to_str().ok(), Some(tag.as_str()));
    app.stop().await;
}

on_both_stores!(replicas_give_one_table_the_same_tag_and_bytes);
async fn replicas_give_one_table_the_same_tag_and_bytes(store: Store) {
    let Some(store) = TestStore::new(store).await else {
        return;
    };
    let exact = |config: &mut Config| config.disclosure.ptable = Arc::new(exact_ptable());
    let first = TestApp::spawn_on(&store.url, exact).await;
    import::workforce::import(&first.db, "emp-p.csv", Cursor::new(emp_p()), &person_key())
        .await
        .expect("the staff file imports");
    first.sync().await;
    let second = TestApp::spawn_on(&store.url, exact).await;
    second.sync().await;
    let path = "/q/workforce-distribution.csv?employers=EMP-P&by=REGION";
    let one = first.get(path).await;
    let other = second.get(path).await;
    let tag = one.headers()["etag"].to_str().expect("text").to_owned();
    assert_eq!(other.headers()["etag"].to_str().ok(), Some(tag.as_str()));
    assert_eq!(one.text().await.expect("a body"), DISTRIBUTION_CSV);
    assert_eq!(other.text().await.expect("a body"), DISTRIBUTION_CSV);
    // A cache that revalidates against another replica behind the balancer still gets 304.
    let revalidated = get_with(&second, path, &[("if-none-match", tag.as_str())]).await;
    assert_eq!(revalidated.status(), 304);
    first.stop().await;
    second.stop().await;
    store.drop_store().await;
}

on_both_stores!(clients_see_their_limit_and_are_refused_past_it);
async fn clients_see_their_limit_and_are_refused_past_it(store: Store) {
    let Some(app) = spawn_loaded(store, |config| {
        // 3 a minute: one more every 20 s, far longer than this test's requests take.
        config.rate_limits.per_minute = 3;
        config.rate_limits.key_per_minute = 100;
        config.rate_limits.api_keys = vec![("partner".into(), "a-partner-secret-key".to_owned())];
    })
    .await
    else {
        return;
    };
    let path = "/q/reference-populations?measure=PARENTAL_OCCUPATION";
    let first = app.get(path).await;
    assert_eq!(first.status(), 200);
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(header(&first, "ratelimit-limit"), "3");
    assert_eq!(header(&first, "ratelimit-remaining"), "2");
    assert_eq!(header(&first, "ratelimit-policy"), "3;w=60");
    let tag = header(&first, "etag");

    // Revalidating costs nothing: as many 304s as the client likes.
    for _ in 0..5 {
        let revalidated = get_with(&app, path, &[("if-none-match", tag.as_str())]).await;
        assert_eq!(revalidated.status(), 304);
    }
    assert_eq!(app.get(path).await.status(), 200);
    let third = app
        .post(&json!({ "query": "{ employers { code } }" }))
        .await;
    assert_eq!(third.status(), 200, "POST counts too");
    assert_eq!(header(&third, "ratelimit-remaining"), "0");

    let refused = app.get(path).await;
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = header(&refused, "retry-after").parse().expect("seconds");
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    assert_eq!(header(&refused, "ratelimit-remaining"), "0");
    let (_, body) = json_of(refused).await;
    assert_eq!(error_code(&body), "RATE_LIMITED");

    // A partner's key has its own quota; an unknown key is refused; health is not limited.
    let keyed = get_with(&app, path, &[("x-api-key", "a-partner-secret-key")]).await;
    assert_eq!(keyed.status(), 200);
    assert_eq!(header(&keyed, "ratelimit-limit"), "100");
    let unknown = get_with(&app, path, &[("x-api-key", "a-guessed-secret-key")]).await;
    assert_eq!(unknown.status(), 401);
    assert_eq!(app.get("/healthz").await.status(), 200);
    app.stop().await;
}

/// A partner's Python reads the CSV with the standard `csv` module and finds the figures
/// of the GraphQL answer, figure by figure.
#[tokio::test]
async fn a_python_client_reads_the_figures_of_the_graphql_answer_from_the_csv() {
    let Some(app) = spawn_loaded(Store::Sqlite, |_| {}).await else {
        return;
    };
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/csv_matches_graphql.py"
    );
    let base = app.url("");
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .arg(script)
            .arg(base)
            .output()
    })
    .await
    .expect("joined")
    .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    // 2 groups × (3 group figures + 3 categories × 2 figures).
    assert!(stdout.contains("18 figures match"), "{stdout}");
    app.stop().await;
}
