//! Attacks a hostile client can send over HTTP, each refused quickly and clearly (or answered
//! within bounds), with the server still answering `{ __typename }` right after.
//!
//! How long each takes and how much memory the server uses is measured by
//! `bench/hostile.sh` against a release build, not here: these tests check what is refused
//! and why.

use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

use crate::helpers::{Store, TestApp, error_code, error_message, limit_of};
use crate::on_both_stores;

/// The server still answers a trivial query.
async fn still_serving(app: &TestApp) {
    let data = app.data("{ __typename }").await;
    assert_eq!(data["__typename"], "Query");
}

/// A document where fragment F<n> spreads F<n-1> twice: `levels` levels expand to
/// 2^levels fields from about 40 bytes a level.
pub fn fragment_doubling(levels: usize) -> String {
    let mut text = format!("query {{ ...F{levels} }} fragment F0 on Query {{ __typename }}");
    for n in 1..=levels {
        text.push_str(&format!(
            " fragment F{n} on Query {{ ...F{m} ...F{m} }}",
            m = n - 1
        ));
    }
    text
}

/// graphql-js' `getIntrospectionQuery` with every option on (descriptions,
/// `specifiedByURL`, `isRepeatable`, schema description, input-value deprecation), and a
/// type reference nine levels deep: what GraphiQL, graphql-codegen and Postman send.
pub const STANDARD_INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    description
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives {
      name
      description
      isRepeatable
      locations
      args(includeDeprecated: true) { ...InputValue }
    }
  }
}
fragment FullType on __Type {
  kind
  name
  description
  specifiedByURL
  fields(includeDeprecated: true) {
    name
    description
    args(includeDeprecated: true) { ...InputValue }
    type { ...TypeRef }
    isDeprecated
    deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) {
    name
    description
    isDeprecated
    deprecationReason
  }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name
  description
  type { ...TypeRef }
  defaultValue
  isDeprecated
  deprecationReason
}
fragment TypeRef on __Type {
  kind
  name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType {
    kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
  } } } } } } } } }
}
"#;

async fn nested_area_indicators_are_refused_by_their_cost(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let answer = app
        .query(
            r#"{ area(code: "K02000001") { indicators { area { indicators { area {
                 indicators { value } } } } } } }"#,
        )
        .await;
    assert_eq!(error_code(&answer), "QUERY_TOO_COMPLEX", "{answer}");
    assert_eq!(limit_of(&answer).0, "maxComplexity");
    // One level is an ordinary question and is answered.
    let data = app
        .data(r#"{ area(code: "K02000001") { indicators { period value } } }"#)
        .await;
    assert!(data["area"]["indicators"].is_array());
    still_serving(&app).await;
    app.stop().await;
}

async fn a_fragment_doubling_document_is_refused_before_validation(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    // 2^24 fields once expanded, from about a kilobyte of text.
    let answer = app.query(&fragment_doubling(24)).await;
    assert_eq!(error_code(&answer), "QUERY_TOO_LARGE", "{answer}");
    assert_eq!(limit_of(&answer), ("maxFields", 1_000));
    assert!(error_message(&answer).contains("16777216"), "{answer}");
    // Many small fragments.
    let many: String = (0..60)
        .map(|n| format!(" fragment G{n} on Query {{ __typename }}"))
        .collect();
    let answer = app.query(&format!("{{ ...G0 }}{many}")).await;
    assert_eq!(error_code(&answer), "TOO_MANY_FRAGMENTS", "{answer}");
    // Root fields through doubling fragments are counted without expanding them either.
    let answer = app
        .query(&fragment_doubling(9).replace("__typename", "a: __typename"))
        .await;
    assert!(
        ["QUERY_TOO_LARGE", "TOO_MANY_ROOT_FIELDS"].contains(&error_code(&answer)),
        "{answer}"
    );
    still_serving(&app).await;
    app.stop().await;
}

async fn a_document_of_too_many_tokens_is_refused_before_parsing(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let answer = app
        .query(&format!("{{ __typename {} }}", "__typename ".repeat(6_000)))
        .await;
    assert_eq!(error_code(&answer), "TOO_MANY_TOKENS", "{answer}");
    assert_eq!(limit_of(&answer), ("maxTokens", 5_000));
    still_serving(&app).await;
    app.stop().await;
}

async fn huge_filter_lists_are_bad_user_input_naming_the_argument(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    // Written in the document: 40,000 codes are refused before the text is even parsed.
    let codes: Vec<String> = (0..40_000).map(|i| format!("\"E{i:08}\"")).collect();
    let answer = app
        .query(&format!(
            "{{ workforce(filter: {{ areas: [{}] }}) {{ headcount }} }}",
            codes.join(",")
        ))
        .await;
    assert_eq!(error_code(&answer), "TOO_MANY_TOKENS", "{answer}");
    // 501 codes fit the token limit, not the list limit.
    let answer = app
        .query(&format!(
            "{{ workforce(filter: {{ areas: [{}] }}) {{ headcount }} }}",
            codes[..501].join(",")
        ))
        .await;
    assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
    assert_eq!(
        answer["errors"][0]["extensions"]["argument"],
        "filter.areas"
    );
    assert!(error_message(&answer).contains("at most 500"), "{answer}");
    // As variables.
    let levels: Vec<i32> = (0..100_000).collect();
    let answer = app
        .query_with(
            "query($f: WorkforceFilter) { workforce(filter: $f) { headcount } }",
            json!({ "f": { "gradeLevels": levels } }),
        )
        .await;
    assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
    assert_eq!(
        answer["errors"][0]["extensions"]["argument"],
        "$f.gradeLevels"
    );
    let answer = app
        .query_with(
            "query($y: [Int!]) { workforce(filter: { years: $y }) { headcount } }",
            json!({ "y": levels }),
        )
        .await;
    assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
    still_serving(&app).await;
    app.stop().await;
}

async fn five_hundred_area_codes_are_resolved_together(store: Store) {
    let Some(app) = TestApp::spawn_with(store, |c| c.demo_data = true).await else {
        return;
    };
    // Every English region by its GSS code, its ITL1 code and in lower case, repeated up to
    // the limit: one statement resolves them all.
    let regions = app
        .data("{ areas(level: REGION, first: 100) { nodes { code alternativeCodes { code } } } }")
        .await;
    let mut codes = Vec::new();
    for node in regions["areas"]["nodes"].as_array().expect("regions") {
        codes.push(node["code"].as_str().expect("code").to_lowercase());
        for alt in node["alternativeCodes"].as_array().expect("codes") {
            codes.push(alt["code"].as_str().expect("code").to_owned());
        }
    }
    let codes: Vec<String> = codes.iter().cycle().take(500).cloned().collect();
    let all = app.data("{ workforce { headcount } }").await;
    let before = app.statements();
    let answer = app
        .query_with(
            "query($a: [String!]) { workforce(filter: { areas: $a }) { headcount } }",
            json!({ "a": codes }),
        )
        .await;
    assert!(answer.get("errors").is_none(), "{answer}");
    // Every place of work lies in one of the twelve regions.
    assert_eq!(
        answer["data"]["workforce"]["headcount"],
        all["workforce"]["headcount"]
    );
    assert!(
        app.statements() - before < 20,
        "500 area codes cost {} statements",
        app.statements() - before
    );
    let answer = app
        .query(r#"{ workforce(filter: { areas: ["E12000007", "NOPE1", "NOPE2"] }) { headcount } }"#)
        .await;
    assert_eq!(error_code(&answer), "BAD_USER_INPUT");
    assert!(
        error_message(&answer).contains("`NOPE1`, `NOPE2`"),
        "{answer}"
    );
    app.stop().await;
}

async fn nul_characters_and_oversize_strings_are_bad_user_input(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let answer = app
        .query_with(
            "query($c: String!) { area(code: $c) { name } }",
            json!({ "c": "E09\u{0}000001" }),
        )
        .await;
    assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
    assert_eq!(answer["errors"][0]["extensions"]["argument"], "$c");
    let answer = app
        .query("{ areas(nameContains: \"Lon\\u0000don\") { totalCount } }")
        .await;
    assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
    assert_eq!(
        answer["errors"][0]["extensions"]["argument"],
        "nameContains"
    );
    // A megabyte-long code: refused by name, and not echoed back.
    let long = "E".repeat(1_000_000);
    let answer = app
        .query_with(
            "query($c: String!) { area(code: $c) { name } }",
            json!({ "c": long }),
        )
        .await;
    assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
    assert!(
        answer.to_string().len() < 1_000,
        "an answer of {} bytes",
        answer.to_string().len()
    );
    // A megabyte-long field name is not echoed back whole either.
    let answer = app.query(&format!("{{ {} }}", "x".repeat(900_000))).await;
    assert!(answer.get("errors").is_some(), "{answer}");
    assert!(
        answer.to_string().len() < 1_000,
        "an answer of {} bytes",
        answer.to_string().len()
    );
    // An unknown code is quoted, cut to a hundred characters.
    let answer = app
        .query(&format!(
            r#"{{ area(code: "{}") {{ name }} }}"#,
            "Z".repeat(99)
        ))
        .await;
    assert!(answer["data"]["area"].is_null() || answer.get("errors").is_some());
    still_serving(&app).await;
    app.stop().await;
}

async fn the_standard_introspection_query_is_answered_and_bombs_are_refused(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let answer = app.query(STANDARD_INTROSPECTION).await;
    assert!(answer.get("errors").is_none(), "{answer}");
    let types = answer["data"]["__schema"]["types"]
        .as_array()
        .expect("types");
    assert!(
        types.iter().any(|t| t["name"] == "Area"),
        "Area is described"
    );
    let area = types.iter().find(|t| t["name"] == "Area").expect("Area");
    assert!(area["description"].as_str().is_some_and(|d| !d.is_empty()));
    // Each level of introspection lists multiplies the answer by the size of the schema.
    let answer = app
        .query("{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }")
        .await;
    assert_eq!(error_code(&answer), "INTROSPECTION_TOO_DEEP", "{answer}");
    assert_eq!(limit_of(&answer), ("maxIntrospectionLists", 3));
    let answer = app
        .query("{ a: __schema { queryType { name } } b: __schema { queryType { name } } c: __schema { queryType { name } } }")
        .await;
    assert_eq!(error_code(&answer), "INTROSPECTION_TOO_LARGE", "{answer}");
    still_serving(&app).await;
    app.stop().await;
}

async fn introspection_can_be_turned_off(store: Store) {
    let Some(app) = TestApp::spawn_with(store, |c| c.limits.introspection = false).await else {
        return;
    };
    let answer = app.query(STANDARD_INTROSPECTION).await;
    assert_eq!(error_code(&answer), "INTROSPECTION_DISABLED", "{answer}");
    let answer = app.query(r#"{ __type(name: "Area") { name } }"#).await;
    assert_eq!(error_code(&answer), "INTROSPECTION_DISABLED", "{answer}");
    still_serving(&app).await;
    app.stop().await;
}

async fn a_client_that_never_sends_its_headers_is_disconnected(store: Store) {
    let Some(app) = TestApp::spawn_with(store, |c| {
        c.header_read_timeout = std::time::Duration::from_secs(1);
    })
    .await
    else {
        return;
    };
    let mut silent = app.raw(b"").await;
    let mut half = app.raw(b"POST /graphql HTTP/1.1\r\nHost: x\r\n").await;
    for stream in [&mut silent, &mut half] {
        let mut buf = [0u8; 1024];
        // The server closes the connection (possibly after a 408); a generous wait, so a
        // loaded machine cannot fail this.
        let closed = tokio::time::timeout(std::time::Duration::from_secs(60), async {
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => continue,
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "the connection is still open");
    }
    still_serving(&app).await;
    app.stop().await;
}

async fn requests_beyond_the_concurrency_cap_are_refused_at_once(store: Store) {
    let Some(app) = TestApp::spawn_with(store, |c| c.max_concurrent_requests = 1).await else {
        return;
    };
    // A request whose body never finishes holds the only slot. On a loaded machine a probe
    // may hold the slot at the moment the held request arrives, which is then the one
    // refused; open another until one holds it.
    let mut held = app.held_request().await;
    let mut refused = None;
    for _ in 0..600 {
        let response = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .expect("sent");
        if response.status() == 503 {
            refused = Some(response);
            break;
        }
        let mut buf = [0u8; 1024];
        match held.try_read(&mut buf) {
            // Answered (refused) or closed: it holds nothing.
            Ok(_) => held = app.held_request().await,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => held = app.held_request().await,
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let refused = refused.expect("a second request is refused while the first holds the slot");
    assert_eq!(refused.headers()["retry-after"], "1");
    let body: Value = refused.json().await.expect("JSON");
    assert_eq!(error_code(&body), "OVERLOADED");
    // Health probes are not behind the cap.
    assert_eq!(app.get("/healthz").await.status(), 200);
    drop(held);
    // Once the slot is free the server answers again.
    let mut answered = false;
    for _ in 0..600 {
        let answer = app.query("{ __typename }").await;
        if answer.get("errors").is_none() {
            answered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(answered, "the server answers once the held request is gone");
    app.stop().await;
}

async fn every_answer_says_nosniff(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    for path in ["/graphql?query=%7B__typename%7D", "/nowhere", "/healthz"] {
        let response = app.get(path).await;
        assert_eq!(
            response.headers()["x-content-type-options"],
            "nosniff",
            "{path}"
        );
    }
    app.stop().await;
}

async fn an_unsupported_method_gets_a_coded_json_error(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let response = app
        .client
        .put(app.url("/graphql"))
        .body("{}")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 405);
    assert!(response.headers().contains_key("allow"));
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(error_code(&body), "METHOD_NOT_ALLOWED");
    still_serving(&app).await;
    app.stop().await;
}

/// The sections of `benches/queries/worst-accepted.graphql`, by name.
fn worst_accepted() -> Vec<(String, String)> {
    let text = include_str!("../../benches/queries/worst-accepted.graphql");
    let mut sections: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("# name:") {
            sections.push((name.trim().to_owned(), String::new()));
        } else if let Some((_, query)) = sections.last_mut() {
            query.push_str(line);
            query.push('\n');
        }
    }
    sections
}

async fn the_most_expensive_accepted_queries_stay_accepted(store: Store) {
    // Two connections: a request resolving thirty aggregates at once must queue for them,
    // not fail as if the store were down.
    let Some(app) = TestApp::spawn_with(store, |c| {
        c.demo_data = true;
        c.pool.max_connections = 2;
    })
    .await
    else {
        return;
    };
    let sections = worst_accepted();
    assert!(sections.len() >= 5, "the file lists the worst cases");
    for (name, query) in sections {
        let answer = app.query(&query).await;
        assert!(answer.get("errors").is_none(), "{name}: {answer}");
    }
    still_serving(&app).await;
    app.stop().await;
}

on_both_stores!(
    the_most_expensive_accepted_queries_stay_accepted,
    an_unsupported_method_gets_a_coded_json_error,
    nested_area_indicators_are_refused_by_their_cost,
    a_fragment_doubling_document_is_refused_before_validation,
    a_document_of_too_many_tokens_is_refused_before_parsing,
    huge_filter_lists_are_bad_user_input_naming_the_argument,
    five_hundred_area_codes_are_resolved_together,
    nul_characters_and_oversize_strings_are_bad_user_input,
    the_standard_introspection_query_is_answered_and_bombs_are_refused,
    introspection_can_be_turned_off,
    a_client_that_never_sends_its_headers_is_disconnected,
    requests_beyond_the_concurrency_cap_are_refused_at_once,
    every_answer_says_nosniff,
);
