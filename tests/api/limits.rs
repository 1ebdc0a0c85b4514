//! Query limits: each refusal names the limit and its value, and the server keeps serving.

use crate::helpers::{Store, TestApp, error_code, error_message, limit_of};
use crate::on_both_stores;

async fn a_query_nested_too_deep_is_refused_naming_the_depth_limit(store: Store) {
    let Some(app) = TestApp::spawn_with(store, |c| c.limits.max_depth = 5).await else {
        return;
    };
    let ok = app
        .query(r#"{ area(code: "E09000001") { parent { parent { parent { name } } } } }"#)
        .await;
    assert!(ok.get("errors").is_none(), "{ok}");
    let answer = app
        .query(r#"{ area(code: "E09000001") { parent { parent { parent { parent { parent { name } } } } } } }"#)
        .await;
    assert_eq!(error_code(&answer), "QUERY_TOO_DEEP");
    assert_eq!(limit_of(&answer), ("maxDepth", 5));
    assert!(error_message(&answer).contains("limit is 5"));
    app.stop().await;
}

async fn complexity_grows_with_first_and_is_refused_over_the_limit(store: Store) {
    let Some(app) = TestApp::spawn_with(store, |c| c.limits.max_complexity = 10_000).await else {
        return;
    };
    // 100 areas with 5 children each is fine; 100 with 100 children each is not.
    let small = app
        .query("{ areas(first: 100) { edges { node { name children(first: 5) { edges { node { name } } } } } } }")
        .await;
    assert!(small.get("errors").is_none(), "{small}");
    let big = app
        .query("{ areas(first: 100) { edges { node { name children(first: 100) { edges { node { name } } } } } } }")
        .await;
    assert_eq!(error_code(&big), "QUERY_TOO_COMPLEX");
    assert_eq!(limit_of(&big), ("maxComplexity", 10_000));
    app.stop().await;
}

async fn too_many_root_fields_or_aliases_are_refused(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let fields: Vec<String> = (0..11)
        .map(|i| format!(r#"a{i}: area(code: "E12000007") {{ name }}"#))
        .collect();
    let answer = app.query(&format!("{{ {} }}", fields.join(" "))).await;
    assert_eq!(error_code(&answer), "TOO_MANY_ROOT_FIELDS");
    assert_eq!(limit_of(&answer), ("maxRootFields", 10));
    // Root fields hidden in a fragment count too.
    let answer = app
        .query(&format!(
            "query {{ ...F }} fragment F on Query {{ {} }}",
            fields.join(" ")
        ))
        .await;
    assert_eq!(error_code(&answer), "TOO_MANY_ROOT_FIELDS");

    let aliases: Vec<String> = (0..31).map(|i| format!("n{i}: name")).collect();
    let answer = app
        .query(&format!(
            r#"{{ area(code: "E12000007") {{ {} }} }}"#,
            aliases.join(" ")
        ))
        .await;
    assert_eq!(error_code(&answer), "TOO_MANY_ALIASES");
    assert_eq!(limit_of(&answer), ("maxAliases", 30));
    let data = app.data(r#"{ area(code: "E12000007") { name } }"#).await;
    assert_eq!(data["area"]["name"], "London");
    app.stop().await;
}

on_both_stores!(
    a_query_nested_too_deep_is_refused_naming_the_depth_limit,
    complexity_grows_with_first_and_is_refused_over_the_limit,
    too_many_root_fields_or_aliases_are_refused,
);
