//! Operations: the Prometheus metrics at `/metrics` (requests by route and status, their
//! latency, the data served), read back from the text a scraper reads; and the logs as the
//! binary writes them (`LOG_FORMAT=json`: one JSON object per line, one access line per
//! request carrying its id).

use std::io::{BufRead, BufReader, Cursor, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mobility_explorer::demo;
use mobility_explorer::domain::workforce::PersonKey;
use mobility_explorer::import;
use serde_json::{Value, json};

use crate::helpers::{Store, TestApp, error_code};
use crate::on_both_stores;

const REQUESTS: &str = "mobility_explorer_http_requests_total";
const LATENCY_COUNT: &str = "mobility_explorer_http_request_duration_seconds_count";

/// One sample of the exposition: its name, labels and value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

/// Parses one sample line (`name{label="value",...} 1`), label values unescaped.
fn sample(line: &str) -> Sample {
    let (name, rest) = match line.find(['{', ' ']) {
        Some(i) => line.split_at(i),
        None => panic!("not a sample: {line}"),
    };
    let mut labels = Vec::new();
    let mut rest = rest;
    if let Some(mut inside) = rest.strip_prefix('{') {
        loop {
            if let Some(after) = inside.strip_prefix('}') {
                rest = after;
                break;
            }
            inside = inside.strip_prefix(',').unwrap_or(inside);
            let (key, after) = inside
                .split_once("=\"")
                .unwrap_or_else(|| panic!("a label in {line}"));
            let mut value = String::new();
            let mut chars = after.char_indices();
            let end = loop {
                match chars.next() {
                    Some((_, '\\')) => match chars.next() {
                        Some((_, 'n')) => value.push('\n'),
                        Some((_, c)) => value.push(c),
                        None => panic!("an escape at the end of {line}"),
                    },
                    Some((i, '"')) => break i,
                    Some((_, c)) => value.push(c),
                    None => panic!("an unterminated label value in {line}"),
                }
            };
            labels.push((key.to_owned(), value));
            inside = &after[end + 1..];
        }
    }
    let value = rest
        .trim()
        .split(' ')
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("a value in {line}"));
    Sample {
        name: name.to_owned(),
        labels,
        value,
    }
}

/// Every sample of an exposition (comments skipped).
fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(sample)
        .collect()
}

/// The sum of the samples named `name` whose labels include every one of `labels`; 0 when
/// there are none (a series appears at its first count).
fn total(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    samples(text)
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.iter().any(|(sk, sv)| sk == k && sv == v))
        })
        .map(|s| s.value)
        .sum()
}

/// The one sample named `name` (a gauge without labels).
fn gauge(text: &str, name: &str) -> f64 {
    let found: Vec<Sample> = samples(text)
        .into_iter()
        .filter(|s| s.name == name)
        .collect();
    assert_eq!(found.len(), 1, "{name} in {text}");
    found[0].value
}

async fn scrape(app: &TestApp) -> String {
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    response.text().await.expect("text")
}

async fn metrics_are_served_in_the_openmetrics_text_format(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    assert_eq!(app.get("/healthz").await.status(), 200);
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    let media = response.headers()["content-type"]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(
        media.starts_with("application/openmetrics-text; version=1.0.0"),
        "{media}"
    );
    let text = response.text().await.expect("text");
    assert!(text.ends_with("# EOF\n"), "{text}");
    for family in [
        "# TYPE mobility_explorer_http_requests counter",
        "# TYPE mobility_explorer_http_request_duration_seconds histogram",
        "# UNIT mobility_explorer_http_request_duration_seconds seconds",
        "# TYPE mobility_explorer_db_pool_connections gauge",
        "# TYPE mobility_explorer_db_pool_idle_connections gauge",
        "# TYPE mobility_explorer_data_version gauge",
        "# TYPE mobility_explorer_workforce_snapshots gauge",
        "# TYPE mobility_explorer_workforce_records gauge",
        "# TYPE mobility_explorer_workforce_cells gauge",
    ] {
        assert!(text.contains(family), "{family} in {text}");
    }
    // Every sample parses, and the probe is counted under its route.
    assert!(!samples(&text).is_empty());
    let probes = [
        ("route", "/healthz"),
        ("method", "GET"),
        ("status", "200"),
        ("operation", "-"),
    ];
    assert_eq!(total(&text, REQUESTS, &probes), 1.0, "{text}");
    // The pool has opened a connection (start-up used it) and idles at most what it holds.
    let open = gauge(&text, "mobility_explorer_db_pool_connections");
    let idle = gauge(&text, "mobility_explorer_db_pool_idle_connections");
    assert!(open >= 1.0 && idle <= open, "{open} open, {idle} idle");
    app.stop().await;
}

async fn requests_are_counted_by_route_pattern_and_status(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let ok = [("route", "/graphql"), ("status", "200")];
    let before = scrape(&app).await;
    const N: usize = 7;
    for _ in 0..N {
        let response = app.post(&json!({ "query": "{ __typename }" })).await;
        assert_eq!(response.status(), 200);
    }
    let missing = app.get("/no/such/route?x=1").await;
    assert_eq!(missing.status(), 404);
    let after = scrape(&app).await;
    assert_eq!(
        total(&after, REQUESTS, &ok) - total(&before, REQUESTS, &ok),
        N as f64,
        "{after}"
    );
    assert_eq!(
        total(&after, REQUESTS, &[("method", "POST"), ("operation", "-")])
            - total(&before, REQUESTS, &[("method", "POST"), ("operation", "-")]),
        N as f64
    );
    let route = [("route", "/graphql")];
    assert_eq!(
        total(&after, LATENCY_COUNT, &route) - total(&before, LATENCY_COUNT, &route),
        N as f64
    );
    // The 404 is under one route for every path no route matches; the path itself is no
    // label.
    let unmatched = [("route", "unmatched"), ("status", "404"), ("method", "GET")];
    assert_eq!(
        total(&after, REQUESTS, &unmatched) - total(&before, REQUESTS, &unmatched),
        1.0
    );
    assert!(!after.contains("/no/such/route"), "{after}");
    // A method no route answers is counted, under one value too.
    let invented = reqwest::Method::from_bytes(b"BREW").expect("a method");
    let brewed = app
        .client
        .request(invented, app.url("/graphql"))
        .send()
        .await
        .expect("sent");
    assert_eq!(brewed.status(), 405);
    let last = scrape(&app).await;
    assert_eq!(
        total(&last, REQUESTS, &[("method", "other"), ("status", "405")]),
        1.0,
        "{last}"
    );
    assert!(!last.contains("BREW"), "{last}");
    // The scrapes themselves are counted under their own route.
    assert_eq!(
        total(&last, REQUESTS, &[("route", "/metrics"), ("status", "200")]),
        2.0
    );
    app.stop().await;
}

async fn revalidations_are_counted_as_304(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let get = |tag: Option<String>| {
        let mut request = app
            .client
            .get(app.url("/graphql"))
            .query(&[("query", "{ __typename }")]);
        if let Some(tag) = tag {
            request = request.header("if-none-match", tag);
        }
        request.send()
    };
    let first = get(None).await.expect("sent");
    assert_eq!(first.status(), 200);
    let tag = first.headers()["etag"].to_str().expect("a tag").to_owned();
    let again = get(Some(tag)).await.expect("sent");
    assert_eq!(again.status(), 304);
    let text = scrape(&app).await;
    for (status, count) in [("200", 1.0), ("304", 1.0)] {
        let labels = [("route", "/graphql"), ("method", "GET"), ("status", status)];
        assert_eq!(total(&text, REQUESTS, &labels), count, "{status}: {text}");
    }
    app.stop().await;
}

async fn overload_refusals_are_counted_and_metrics_answer_beyond_the_cap(store: Store) {
    let Some(app) = TestApp::spawn_with(store, |c| c.max_concurrent_requests = 1).await else {
        return;
    };
    let refused_labels = [("route", "/graphql"), ("status", "503")];
    let before = total(&scrape(&app).await, REQUESTS, &refused_labels);
    // The held request may reach the cap after a request sent beside it, and be the one
    // refused (answered on its connection): every refusal is counted, whoever got it.
    let mut holder = app.held_request().await;
    let mut refusals = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "no request was ever refused");
        let response = app.post(&json!({ "query": "{ __typename }" })).await;
        if response.status() == 503 {
            let body: Value = response.json().await.expect("JSON");
            assert_eq!(error_code(&body), "OVERLOADED");
            refusals += 1;
            break;
        }
        let mut buf = [0u8; 1024];
        match holder.try_read(&mut buf) {
            Ok(0) => panic!("the held request's connection closed"),
            Ok(_) => {
                refusals += 1;
                holder = app.held_request().await;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("the held request's connection failed: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Still holding the only slot: the metrics answer all the same.
    let text = scrape(&app).await;
    assert_eq!(
        total(&text, REQUESTS, &refused_labels) - before,
        f64::from(refusals),
        "{text}"
    );
    drop(holder);
    app.stop().await;
}

async fn data_gauges_are_those_of_the_data_served(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let text = scrape(&app).await;
    let live = app.live().current();
    assert_eq!(
        gauge(&text, "mobility_explorer_data_version"),
        live.version as f64
    );
    assert_eq!(gauge(&text, "mobility_explorer_workforce_snapshots"), 0.0);
    assert_eq!(gauge(&text, "mobility_explorer_workforce_records"), 0.0);

    let key = PersonKey::new(b"a test key of more than sixteen bytes").expect("long enough");
    let mut csv = Vec::new();
    demo::write_csv(&mut csv, 600, 5).expect("the demo file is written");
    let summary = import::workforce::import(&app.db, "demo.csv", Cursor::new(csv), &key)
        .await
        .expect("the demo file imports");
    app.sync().await;
    let live = app.live().current();
    assert!(live.version > 0);
    let text = scrape(&app).await;
    assert_eq!(
        gauge(&text, "mobility_explorer_data_version"),
        live.version as f64
    );
    let snapshots = gauge(&text, "mobility_explorer_workforce_snapshots");
    assert_eq!(snapshots, summary.snapshots.len() as f64);
    assert!(snapshots >= 1.0, "{summary:?}");
    assert_eq!(gauge(&text, "mobility_explorer_workforce_records"), 600.0);
    assert_eq!(
        gauge(&text, "mobility_explorer_workforce_cells"),
        live.cells.len() as f64
    );

    // A draft's size is not shown before it is published.
    let mut csv = Vec::new();
    demo::write_csv(&mut csv, 300, 6).expect("the demo file is written");
    let draft = import::workforce::Mode {
        ending: import::pipeline::Ending::Commit,
        new_employers: import::workforce::NewEmployers::Any,
        only_employer: None,
        idempotency: None,
        publish: None,
    };
    import::workforce::import_as(&app.db, "draft.csv", Cursor::new(csv), &key, &draft)
        .await
        .expect("the draft imports");
    app.sync().await;
    let text = scrape(&app).await;
    assert_eq!(gauge(&text, "mobility_explorer_workforce_records"), 600.0);
    assert_eq!(
        gauge(&text, "mobility_explorer_workforce_snapshots"),
        snapshots
    );
    app.stop().await;
}

async fn metrics_can_be_turned_off(store: Store) {
    let Some(app) = TestApp::spawn_with(store, |c| c.metrics = false).await else {
        return;
    };
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(error_code(&body), "NOT_FOUND");
    assert_eq!(app.get("/healthz").await.status(), 200);
    app.stop().await;
}

on_both_stores!(
    metrics_are_served_in_the_openmetrics_text_format,
    requests_are_counted_by_route_pattern_and_status,
    revalidations_are_counted_as_304,
    overload_refusals_are_counted_and_metrics_answer_beyond_the_cap,
    data_gauges_are_those_of_the_data_served,
    metrics_can_be_turned_off,
);

/// What the binary wrote to standard error while serving one request (`GET /healthz`) with
/// `LOG_FORMAT=format`, and the `x-request-id` it answered with.
async fn logs_of_one_request(format: &str) -> (String, String) {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}/explorer.db?mode=rwc", dir.path().display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_mobility-explorer"))
        .current_dir(dir.path())
        .env_clear()
        .envs([
            ("DATABASE_URL", url.as_str()),
            ("BIND", "127.0.0.1:0"),
            ("DEMO_DATA", "false"),
            ("LOG_FORMAT", format),
            ("RUST_LOG", "info"),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // Both pipes are read on threads of their own, so neither fills up and the address
    // printed on standard output can be waited for with a deadline.
    let stdout = child.stdout.take().expect("stdout");
    let (lines, printed) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    let mut stderr = child.stderr.take().expect("stderr");
    let logs = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).expect("UTF-8 logs");
        text
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let addr = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = printed
            .recv_timeout(left)
            .expect("the server prints its address");
        if let Some(url) = line.strip_prefix("GraphiQL: http://") {
            break url.trim_end_matches("/graphql").to_owned();
        }
    };
    let response = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let id = response.headers()["x-request-id"]
        .to_str()
        .expect("an id")
        .to_owned();
    // The access line is written before the answer is sent, so it is in the pipe by now.
    child.kill().expect("stopped");
    child.wait().expect("ended");
    (logs.join().expect("logs read"), id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_a_line_with_one_access_line_per_request() {
    let (logs, id) = logs_of_one_request("json").await;
    assert!(!logs.contains('\u{1b}'), "no escape codes: {logs}");
    let lines: Vec<Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(lines.iter().all(Value::is_object), "{logs}");
    let access: Vec<&Value> = lines
        .iter()
        .filter(|l| l["span"]["request_id"] == id.as_str())
        .collect();
    assert_eq!(access.len(), 1, "one line for the request: {logs}");
    let line = access[0];
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["target"], "access");
    assert_eq!(line["status"], 200);
    assert!(
        line["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
        "{line}"
    );
    assert_eq!(line["span"]["method"], "GET");
    assert_eq!(line["span"]["path"], "/healthz");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_logs_carry_no_colours_when_standard_error_is_no_terminal() {
    let (logs, id) = logs_of_one_request("text").await;
    assert!(!logs.contains('\u{1b}'), "no escape codes: {logs}");
    let access: Vec<&str> = logs.lines().filter(|l| l.contains(&id)).collect();
    assert_eq!(access.len(), 1, "one line for the request: {logs}");
    assert!(access[0].contains("status=200"), "{}", access[0]);
    assert!(access[0].contains("latency_ms="), "{}", access[0]);
}

on_both_stores!(persisted_queries_and_rate_limit_refusals_are_counted_by_name);
async fn persisted_queries_and_rate_limit_refusals_are_counted_by_name(store: Store) {
    let Some(app) = TestApp::spawn_with(store, |config| config.rate_limits.per_minute = 3).await
    else {
        return;
    };
    let path = "/q/reference-populations?measure=PARENTAL_OCCUPATION";
    assert_eq!(app.get(path).await.status(), 200);
    assert_eq!(app.get(path).await.status(), 200);
    // By hash: counted under `/graphql`, with the query's name.
    let listing: Value = app.get("/q").await.json().await.expect("JSON");
    let hash = listing["queries"]
        .as_array()
        .expect("a list")
        .iter()
        .find(|q| q["name"] == "reference-populations")
        .and_then(|q| q["sha256Hash"].as_str())
        .expect("listed")
        .to_owned();
    let by_hash = app
        .post(&json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } }))
        .await;
    assert_eq!(by_hash.status(), 200);
    let refused = app.get(path).await;
    assert_eq!(refused.status(), 429);
    let text = scrape(&app).await;
    let count = |route: &str, status: &str| {
        total(
            &text,
            REQUESTS,
            &[
                ("route", route),
                ("status", status),
                ("operation", "reference-populations"),
            ],
        )
    };
    assert_eq!(count("/q/{name}", "200"), 2.0, "{text}");
    assert_eq!(count("/graphql", "200"), 1.0, "{text}");
    assert_eq!(count("/q/{name}", "429"), 1.0, "{text}");
    assert_eq!(
        total(&text, REQUESTS, &[("route", "/q"), ("status", "200")]),
        1.0,
        "the listing: {text}"
    );
    app.stop().await;
}
