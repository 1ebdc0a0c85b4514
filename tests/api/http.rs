//! The GraphQL over HTTP protocol: statuses, media types, refusals, and the server surviving them.

use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT, ACCESS_CONTROL_ALLOW_ORIGIN, CONTENT_ENCODING, CONTENT_TYPE, ORIGIN,
};
use serde_json::Value;

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
    let html = response.text().await.expect("text");
    assert!(
        html.contains("graphiql"),
        "not GraphiQL: {}",
        &html[..200.min(html.len())]
    );
    app.stop().await;
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
    an_unknown_route_is_a_json_404,
);
