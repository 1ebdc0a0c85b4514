//! The GraphQL over HTTP protocol: statuses, media types, refusals, and the server surviving them.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT, ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ORIGIN,
};
use serde_json::Value;
use sha2::{Digest, Sha384};

use crate::helpers::{Store, TestApp, error_code, error_message};
use crate::on_both_stores;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

async fn post(
    app: &TestApp,
    body: impl Into<reqwest::Body>,
    accept: &str,
) -> (StatusCode, String, Value) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, accept)
        .body(body)
        .send()
        .await
        .expect("sent");
    let status = response.status();
    let media = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.json().await.expect("JSON body");
    (status, media, body)
}

async fn still_serving(app: &TestApp) {
    let data = app.data(r#"{ area(code: "E12000007") { name } }"#).await;
    assert_eq!(data["area"]["name"], "London");
}

async fn malformed_json_is_a_400_and_the_server_keeps_serving(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let (status, _, body) = post(&app, r#"{"query": "#, GRAPHQL_RESPONSE).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "BAD_REQUEST");
    still_serving(&app).await;
    app.stop().await;
}

async fn a_syntax_error_is_a_400_under_the_graphql_media_type_and_200_under_json(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let query = r#"{"query": "{ areas( }"}"#;
    let (status, media, body) = post(&app, query, GRAPHQL_RESPONSE).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(media, GRAPHQL_RESPONSE);
    assert_eq!(error_code(&body), "GRAPHQL_PARSE_FAILED");
    assert_eq!(body["data"], Value::Null);
    let (status, media, body) = post(&app, query, "application/json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(media, "application/json");
    assert_eq!(error_code(&body), "GRAPHQL_PARSE_FAILED");
    still_serving(&app).await;
    app.stop().await;
}

async fn an_unknown_field_fails_validation_and_names_the_field(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let (status, _, body) = post(&app, r#"{"query": "{ nope }"}"#, GRAPHQL_RESPONSE).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED");
    assert!(error_message(&body).contains("nope"));
    still_serving(&app).await;
    app.stop().await;
}

async fn asking_for_a_thousand_areas_is_bad_user_input(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let (status, _, body) = post(
        &app,
        r#"{"query": "{ areas(first: 1000) { totalCount } }"}"#,
        GRAPHQL_RESPONSE,
    )
    .await;
    // The request was executed (the error points at a field), so it is a 200.
    assert_eq!(status, StatusCode::OK);
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["path"][0], "areas");
    assert!(error_message(&body).contains("between 0 and 100"));
    still_serving(&app).await;
    app.stop().await;
}

async fn a_five_megabyte_body_is_refused_with_413(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    // A client with a large body asks first (`Expect: 100-continue`, as curl does), and the
    // server refuses from the declared length without reading a byte of it.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connected");
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        app.addr,
        5 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.expect("written");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains(r#""code":"PAYLOAD_TOO_LARGE""#), "{answer}");
    still_serving(&app).await;
    app.stop().await;
}

async fn get_runs_queries_but_refuses_mutations(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", r#"{ area(code: "S92000003") { name } }"#)])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["data"]["area"]["name"], "Scotland");

    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "mutation { anything }")])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "POST");
    app.stop().await;
}

async fn a_browser_gets_graphiql(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let response = app
        .client
        .get(app.url("/graphql"))
        .header(ACCEPT, "text/html,application/xhtml+xml")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
    let html = response.text().await.expect("text");
    assert!(
        html.contains("graphiql") && html.contains("<title>Social mobility explorer API</title>"),
        "not GraphiQL: {}",
        &html[..200.min(html.len())]
    );
    app.stop().await;
}

/// GETs the GraphiQL page as a browser does.
async fn graphiql_page(app: &TestApp) -> reqwest::Response {
    app.client
        .get(app.url("/graphql"))
        .header(ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .expect("sent")
}

/// The value of `name="..."` in one tag.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

/// Every file the page loads (`<script src>` and `<link href>`, data URLs aside), with the
/// `integrity` value the page gives it; fails when one has none.
/// A page's Content-Security-Policy, checked to hold every one of `directives`.
pub(crate) fn assert_policy(response: &reqwest::Response, directives: &[&str]) -> String {
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    for directive in directives {
        assert!(
            policy.split(';').any(|d| d.trim() == *directive),
            "{directive} missing from {policy}"
        );
    }
    policy
}

pub(crate) fn page_assets(html: &str) -> Vec<(String, String)> {
    let mut assets = Vec::new();
    for (opening, url_attribute) in [("<script", "src"), ("<link", "href")] {
        for (at, _) in html.match_indices(opening) {
            let tag = &html[at..at + html[at..].find('>').expect("tag ends")];
            let Some(url) = attribute(tag, url_attribute) else {
                panic!("inline script or link without a URL: {tag}");
            };
            if url.starts_with("data:") {
                continue;
            }
            let integrity = attribute(tag, "integrity")
                .unwrap_or_else(|| panic!("no integrity attribute: {tag}"));
            assert!(
                attribute(tag, "crossorigin").is_some(),
                "no crossorigin attribute: {tag}"
            );
            assets.push((url.to_owned(), integrity.to_owned()));
        }
    }
    assets
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_comes_whole_from_this_server_under_a_strict_policy() {
    let Some(app) = TestApp::spawn(Store::Sqlite).await else {
        return;
    };
    let response = graphiql_page(&app).await;
    assert_eq!(response.status(), StatusCode::OK);
    let policy = assert_policy(
        &response,
        &[
            "default-src 'none'",
            "script-src 'self'",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ],
    );
    assert!(!policy.contains("unsafe-eval"), "{policy}");
    let html = response.text().await.expect("text");
    // No CDN: every URL the page names is on this server.
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("//cdn"));

    let assets = page_assets(&html);
    let names: Vec<&str> = assets.iter().map(|(url, _)| url.as_str()).collect();
    for wanted in [
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
    ] {
        assert!(
            names.iter().any(|url| url.ends_with(wanted)),
            "{wanted} not loaded: {names:?}"
        );
    }
    for (url, integrity) in &assets {
        assert!(url.starts_with("/graphiql/"), "{url}");
        let response = app.get(url).await;
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        let media = response.headers()[CONTENT_TYPE].to_str().expect("ASCII");
        let expected = if url.ends_with(".js") {
            "text/javascript"
        } else {
            "text/css"
        };
        assert!(media.starts_with(expected), "{url}: {media}");
        assert!(response.headers().contains_key(CACHE_CONTROL), "{url}");
        let body = response.bytes().await.expect("body");
        let actual = format!("sha384-{}", STANDARD.encode(Sha384::digest(&body)));
        assert_eq!(&actual, integrity, "{url}: the page and the file disagree");
    }
    // Vendored files sit under a path naming their version, so they may be cached for good.
    let vendored = app
        .get(
            names
                .iter()
                .find(|u| u.ends_with("graphiql.min.js"))
                .expect("there"),
        )
        .await;
    assert!(
        vendored.headers()[CACHE_CONTROL]
            .to_str()
            .expect("ASCII")
            .contains("immutable")
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_graphiql_off_a_browser_gets_the_api_answer_and_no_files() {
    let Some(on) = TestApp::spawn(Store::Sqlite).await else {
        return;
    };
    let html = graphiql_page(&on).await.text().await.expect("text");
    let assets = page_assets(&html);
    on.stop().await;

    let Some(off) = TestApp::spawn_with(Store::Sqlite, |c| c.graphiql = false).await else {
        return;
    };
    let browser = graphiql_page(&off).await;
    assert_eq!(browser.status(), StatusCode::BAD_REQUEST);
    assert!(browser.headers().get("content-security-policy").is_none());
    let browser: Value = browser.json().await.expect("JSON");
    let client = off.get("/graphql").await;
    assert_eq!(client.status(), StatusCode::BAD_REQUEST);
    let client: Value = client.json().await.expect("JSON");
    assert_eq!(browser, client);
    assert_eq!(error_code(&browser), "BAD_REQUEST");
    assert!(!assets.is_empty());
    for (url, _) in &assets {
        let response = off.get(url).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{url}");
    }
    off.stop().await;
}

async fn health_and_readiness_answer(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), StatusCode::OK);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::OK);
    let body: Value = ready.json().await.expect("JSON");
    let expected = match store {
        Store::Sqlite => "sqlite",
        Store::Postgres => "postgres",
    };
    assert_eq!(body["store"], expected);
    // With the store closed, the process is alive but not ready.
    app.db.clone().close().await.expect("closed");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), StatusCode::OK);
    app.stop().await;
}

async fn any_origin_may_read_and_large_answers_are_gzipped(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/graphql"))
        .header(ORIGIN, "https://explorer.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .expect("sent");
    assert!(preflight.status().is_success());
    assert_eq!(preflight.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], "*");

    let plain = reqwest::Client::builder()
        .no_gzip()
        .build()
        .expect("client");
    let response = plain
        .post(app.url("/graphql"))
        .header("accept-encoding", "gzip")
        .header(ORIGIN, "https://explorer.example")
        .json(&serde_json::json!({ "query": "{ areas(first: 100) { edges { node { code name } } } }" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_ENCODING], "gzip");
    assert_eq!(response.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    app.stop().await;
}

async fn internal_errors_reach_clients_without_sql(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("DROP TABLE area_alt_code")
        .await
        .expect("dropped");
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&serde_json::json!({ "query": r#"{ area(code: "E12000007") { name alternativeCodes { code } } }"# }))
        .send()
        .await
        .expect("sent");
    let text = response.text().await.expect("text");
    let body: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(error_code(&body), "INTERNAL");
    assert_eq!(body["errors"][0]["message"], "internal error");
    assert!(!text.contains("area_alt_code"), "leaks SQL: {text}");
    assert!(!text.to_lowercase().contains("select"), "leaks SQL: {text}");
    app.stop().await;
}

async fn every_answer_carries_a_request_id(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let query = serde_json::json!({ "query": r#"{ area(code: "E12000007") { name } }"# });
    let mut ids = Vec::new();
    for _ in 0..2 {
        let response = app
            .client
            .post(app.url("/graphql"))
            .json(&query)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::OK);
        let id = response.headers()["x-request-id"]
            .to_str()
            .expect("text")
            .to_owned();
        assert!(id.len() >= 16, "a request id worth quoting: {id:?}");
        ids.push(id);
    }
    assert_ne!(ids[0], ids[1], "each request has its own id");
    // A client's own id is kept, so it can follow its request through our logs.
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("x-request-id", "client-chosen-42")
        .json(&query)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.headers()["x-request-id"], "client-chosen-42");
    // Refusals before GraphQL carry one too.
    let refused = app.get("/nope").await;
    assert!(refused.headers().contains_key("x-request-id"));
    app.stop().await;
}

async fn an_unknown_route_is_a_json_404(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let response = app.get("/nope").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(error_code(&body), "NOT_FOUND");
    app.stop().await;
}

on_both_stores!(
    malformed_json_is_a_400_and_the_server_keeps_serving,
    a_syntax_error_is_a_400_under_the_graphql_media_type_and_200_under_json,
    an_unknown_field_fails_validation_and_names_the_field,
    asking_for_a_thousand_areas_is_bad_user_input,
    a_five_megabyte_body_is_refused_with_413,
    get_runs_queries_but_refuses_mutations,
    a_browser_gets_graphiql,
    health_and_readiness_answer,
    any_origin_may_read_and_large_answers_are_gzipped,
    internal_errors_reach_clients_without_sql,
    every_answer_carries_a_request_id,
    an_unknown_route_is_a_json_404,
);
