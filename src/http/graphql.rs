//! `/graphql` following the GraphQL over HTTP specification: POST with a JSON body, GET with
//! the query in the URL (queries only), GraphiQL for browsers, and the status code and media
//! type the client asked for.
//!
//! A GET answer is the same for the same URL until the data changes, so it carries an `ETag`
//! (the data version and a digest of the URL's query string) and `Cache-Control`; a client or
//! cache sending the tag back in `If-None-Match` gets `304 Not Modified`, without the query
//! being run.

use async_graphql::ParseRequestError;
use async_graphql::parser::types::OperationType;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::refusals::error_response;
use super::response_cache::{Cached, ResponseCache};
use super::state::AppState;
use crate::graphql::error::UNAVAILABLE;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// A request that could not be read as GraphQL: 400, or 413 when too large.
pub struct Unreadable(ParseRequestError);

impl From<ParseRequestError> for Unreadable {
    fn from(e: ParseRequestError) -> Self {
        Unreadable(e)
    }
}

impl IntoResponse for Unreadable {
    fn into_response(self) -> Response {
        let too_large = matches!(self.0, ParseRequestError::PayloadTooLarge)
            || self.0.to_string().contains("length limit exceeded");
        if too_large {
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                "the request body is larger than this server accepts",
            );
        }
        error_response(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            &format!("the request is not a GraphQL request: {}", self.0),
        )
    }
}

/// Whether the client accepts the GraphQL response media type (else plain JSON is sent).
fn wants_graphql_response(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains(GRAPHQL_RESPONSE_JSON))
}

/// Whether the client accepts a gzipped body: `gzip` (or `*`) in `Accept-Encoding`, not with
/// a zero weight.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// Runs a request against data version `version`, or replays its complete answer from the
/// [`ResponseCache`]; returns the HTTP answer and whether it is a complete answer (no
/// errors), the only kind worth caching.
async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    request: async_graphql::Request,
    version: i64,
) -> (Response, bool) {
    let graphql_media = wants_graphql_response(headers);
    let content_type = if graphql_media {
        GRAPHQL_RESPONSE_JSON
    } else {
        "application/json"
    };
    let variables = serde_json::to_vec(&request.variables).unwrap_or_default();
    let key = ResponseCache::key(
        version,
        &[
            request.query.as_bytes(),
            &variables,
            request.operation_name.as_deref().unwrap_or("").as_bytes(),
            content_type.as_bytes(),
        ],
    );
    let gzip = accepts_gzip(headers);
    if let Some(hit) = state.responses.get(&key) {
        return (complete_answer(hit, gzip), true);
    }
    let response = state.schema.execute(request).await;
    if response.errors.is_empty()
        && let Ok(body) = serde_json::to_vec(&response)
    {
        // Compressed here only when kept (to serve later clients) or sent gzipped now; else
        // the HTTP layer compresses as it does every answer.
        let kept = state.responses.would_keep(body.len());
        let answer = Cached::new(content_type, body.into(), kept || gzip);
        if kept {
            state.responses.put(version, key, answer.clone());
        }
        return (complete_answer(answer, gzip), true);
    }
    // The store being unreachable is the server's condition, not the query's: 503, so
    // clients and load balancers retry, whatever media type was asked for.
    let unavailable = response.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|ext| ext.get("code"))
            .is_some_and(|code| *code == async_graphql::Value::from(UNAVAILABLE))
    });
    // Under the GraphQL response media type, a request that failed before execution (no
    // data, and errors that point at no field) is a 400; executed requests are 200.
    let failed_before_execution = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let mut http = GraphQLResponse::from(response).into_response();
    if unavailable {
        *http.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        http.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    } else if graphql_media {
        if failed_before_execution {
            *http.status_mut() = StatusCode::BAD_REQUEST;
        }
    } else {
        http.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    (http, false)
}

/// A complete answer: 200 with its body, gzipped when the client accepts it (the HTTP
/// layer's compression leaves an encoded body alone).
fn complete_answer(answer: Cached, gzip: bool) -> Response {
    let content_type = (
        header::CONTENT_TYPE,
        HeaderValue::from_static(answer.content_type),
    );
    let vary = (header::VARY, HeaderValue::from_static("accept-encoding"));
    match answer.gzip {
        Some(body) if gzip => {
            let encoding = (header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            ([content_type, encoding, vary], body).into_response()
        }
        _ => ([content_type, vary], answer.body).into_response(),
    }
}

/// `POST /graphql`.
pub async fn post_graphql(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Result<GraphQLRequest<Unreadable>, Unreadable>,
) -> Response {
    match request {
        Ok(request) => {
            let version = state.live.current().version;
            execute(&state, &headers, request.into_inner(), version)
                .await
                .0
        }
        Err(e) => e.into_response(),
    }
}

/// `GET /graphql`: GraphiQL for a browser with no query (when `graphiql` is on), else the
/// query in the URL.
pub async fn get_graphql(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    graphiql: bool,
) -> Response {
    let query = query.unwrap_or_default();
    if !query.split('&').any(|pair| pair.starts_with("query=")) {
        if graphiql && accepts_html(&headers) {
            return super::graphiql::page();
        }
        let message = if graphiql {
            "a GET request needs a `query` parameter (or open /graphql in a browser for GraphiQL)"
        } else {
            "a GET request needs a `query` parameter"
        };
        return error_response(StatusCode::BAD_REQUEST, "BAD_REQUEST", message);
    }
    let request = match async_graphql::http::parse_query_string(&query) {
        Ok(request) => request,
        Err(e) => return Unreadable(e).into_response(),
    };
    if is_mutation(&request) {
        let mut response = error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "mutations are only accepted over POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    // One version for the tag and the answer, even if a newer one arrives meanwhile.
    let version = state.live.current().version;
    let tag = etag(version, &query, accepts_gzip(&headers));
    let caching = [
        (
            header::CACHE_CONTROL,
            format!("public, max-age={}", state.cache_max_age.as_secs()),
        ),
        (header::ETAG, tag.clone()),
        (header::VARY, "accept, accept-encoding".to_owned()),
    ];
    if matches_etag(&headers, &tag) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        add_headers(&mut response, &caching);
        return response;
    }
    let (mut response, complete) = execute(&state, &headers, request, version).await;
    if complete && response.status() == StatusCode::OK {
        add_headers(&mut response, &caching);
    }
    response
}

/// The entity tag of a GET answer: the data version and a digest of the query string (query,
/// variables and operation name as sent), marked when the body is gzipped. Strong: equal tags
/// mean equal bytes, so the two encodings of one answer have two tags.
fn etag(version: i64, query_string: &str, gzip: bool) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(query_string.as_bytes());
    let encoding = if gzip { "-gzip" } else { "" };
    format!("\"{version}-{}{encoding}\"", hex::encode(&digest[..12]))
}

/// Whether `If-None-Match` names `tag` (or is `*`); weak tags compare by their opaque part.
fn matches_etag(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == tag)
}

fn add_headers(response: &mut Response, headers: &[(header::HeaderName, String)]) {
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.headers_mut().insert(name.clone(), value);
        }
    }
}

/// Whether the operation a request would run is a mutation (unparseable queries are left to
/// the schema, which reports them).
fn is_mutation(request: &async_graphql::Request) -> bool {
    let Ok(doc) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    doc.operations.iter().any(|(name, op)| {
        let selected = match (&request.operation_name, name) {
            (Some(wanted), Some(name)) => wanted == name.as_str(),
            (Some(_), None) => false,
            (None, _) => true,
        };
        selected && op.node.ty == OperationType::Mutation
    })
}
