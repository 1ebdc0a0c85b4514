//! The checked-in SDL is what the server exports, and documents every type, field and argument.

use serde_json::Value;

use crate::helpers::{Store, TestApp};

#[test]
fn schema_graphql_matches_what_the_server_exports() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let on_disk = std::fs::read_to_string(path).expect("schema.graphql");
    if let Some(drift) =
        mobility_explorer::commands::schema_drift(&on_disk, &mobility_explorer::graphql::sdl())
    {
        panic!("schema.graphql is out of date; run `cargo run -- export-schema`:\n{drift}");
    }
}

#[tokio::test]
async fn every_type_field_and_argument_has_a_description() {
    let Some(app) = TestApp::spawn(Store::Sqlite).await else {
        return;
    };
    let data = app
        .data(
            "{ __schema { types { name kind description \
               fields { name description args { name description } } \
               enumValues { name description } inputFields { name description } } } }",
        )
        .await;
    let mut missing = Vec::new();
    let blank = |v: &Value| v.as_str().is_none_or(|s| s.trim().is_empty());
    for ty in data["__schema"]["types"].as_array().expect("types") {
        let name = ty["name"].as_str().expect("name");
        if name.starts_with("__") || ty["kind"] == "SCALAR" {
            continue;
        }
        if blank(&ty["description"]) {
            missing.push(name.to_owned());
        }
        for list in ["fields", "enumValues", "inputFields"] {
            for item in ty[list].as_array().into_iter().flatten() {
                let item_name = format!("{name}.{}", item["name"].as_str().expect("name"));
                if blank(&item["description"]) {
                    missing.push(item_name.clone());
                }
                for arg in item["args"].as_array().into_iter().flatten() {
                    if blank(&arg["description"]) {
                        missing.push(format!(
                            "{item_name}({})",
                            arg["name"].as_str().expect("name")
                        ));
                    }
                }
            }
        }
    }
    assert!(missing.is_empty(), "undocumented: {missing:?}");
    app.stop().await;
}
