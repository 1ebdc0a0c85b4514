//! `/q`: the persisted queries by URL. `GET /q` lists them with their variables;
//! `GET /q/{name}?variable=value...` answers one, as the GraphQL response or, with
//! `format=csv|json|csvw` (or the suffix `.csv`, `.json`, `.csv-metadata.json`, or
//! `Accept: text/csv`), as a table. Answers carry the same `ETag`, caching and rate-limit
//! headers as `GET /graphql`.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::answer::{self, GetRequest, Peer, bad_request};
use super::graphql::{label_operation, url_params};
use super::refusals::error_response;
use super::state::AppState;
use super::tabular::Format;

/// URL parameters that are the server's, not a query's variables.
const RESERVED: [&str; 1] = ["format"];

/// `GET /q`: every persisted query, with its URL, hash, variables and document.
pub async fn list(State(state): State<AppState>) -> Response {
    let queries: Vec<_> = state
        .persisted
        .iter()
        .map(|q| {
            json!({
                "name": q.name,
                "description": q.description,
                "url": format!("/q/{}", q.name),
                "origin": q.origin,
                "sha256Hash": q.sha256,
                "variables": q.variables,
                "formats": ["graphql", "csv", "json", "csvw"],
                "document": q.document,
            })
        })
        .collect();
    Json(json!({ "queries": queries })).into_response()
}

/// `GET /q/{name}`: one persisted query, its variables from the URL.
pub async fn run(
    State(state): State<AppState>,
    headers: HeaderMap,
    peer: Peer,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let (name, suffix_format) = split_suffix(&name);
    let Some(persisted) = state.persisted.by_name(name) else {
        // Names are short: a long one is not echoed back whole.
        let shown: String = name.chars().take(64).collect();
        let more = if shown.len() < name.len() { "..." } else { "" };
        return error_response(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("no persisted query is called `{shown}{more}`; `/q` lists them"),
        );
    };
    let query = query.unwrap_or_default();
    let params = url_params(&query);
    let format_param = params
        .iter()
        .find(|(k, _)| k == "format")
        .map(|(_, v)| v.as_str());
    let format = match (suffix_format, format_param) {
        (Some(format), None) => format,
        (Some(format), Some(asked)) if asked == format.name() => format,
        (Some(_), Some(_)) => {
            return bad_request(
                "BAD_FORMAT",
                "parameter `format` contradicts the suffix of the path",
            );
        }
        (None, asked) => match Format::negotiate(asked, &headers) {
            Ok(format) => format,
            Err(refused) => return *refused,
        },
    };
    let variables = match persisted.variables_from(&params, &RESERVED) {
        Ok(variables) => variables,
        Err(e) => return bad_request("BAD_VARIABLE", &e.to_string()),
    };
    let request = async_graphql::Request::new(persisted.document.clone()).variables(variables);
    let mut response = answer::get(
        &state,
        &headers,
        answer::address(peer),
        GetRequest {
            request,
            document: Some(&persisted.parsed),
            format,
            url: format!("/q/{}?{query}", persisted.name),
            title: persisted.name.clone(),
            description: persisted.description.clone(),
        },
    )
    .await;
    label_operation(&mut response, Some(persisted.name.clone()));
    response
}

/// A name without its format suffix, and the format the suffix asks for.
fn split_suffix(name: &str) -> (&str, Option<Format>) {
    [
        (".csv-metadata.json", Format::CsvMetadata),
        (".csv", Format::Csv),
        (".json", Format::Rows),
    ]
    .into_iter()
    .find_map(|(suffix, format)| name.strip_suffix(suffix).map(|n| (n, Some(format))))
    .unwrap_or((name, None))
}
