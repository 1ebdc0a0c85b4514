//! Running a GraphQL request and answering it over HTTP, shared by `/graphql` and the
//! persisted queries at `/q`: the status code and media type the client asked for, complete
//! answers replayed from the [`ResponseCache`], and for GET requests the `ETag` (data version
//! and request) with `304 Not Modified`, `Cache-Control` and the client's rate limit.
//!
//! A 304 is decided before the rate limit is counted, so revalidating costs a client nothing.

use std::borrow::Cow;
use std::net::SocketAddr;

use async_graphql::parser::types::ExecutableDocument;
use async_graphql_axum::GraphQLResponse;
use axum::Extension;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::refusals::error_response;
use super::response_cache::{Cached, ResponseCache};
use super::state::AppState;
use super::tabular::{self, Format};
use crate::graphql::error::UNAVAILABLE;
use crate::graphql::tabular::Plan;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

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
pub(super) fn accepts_gzip(headers: &HeaderMap) -> bool {
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

/// The client's address, as the accept loop records it on each request.
pub(super) type Peer = Option<Extension<ConnectInfo<SocketAddr>>>;

/// The address in a [`Peer`].
pub(super) fn address(peer: Peer) -> Option<SocketAddr> {
    peer.map(|Extension(ConnectInfo(address))| address)
}

/// A GET request to answer.
pub(super) struct GetRequest<'a> {
    /// The GraphQL request, its document resolved.
    pub request: async_graphql::Request,
    /// The document, already parsed (a persisted query's), when known.
    pub document: Option<&'a ExecutableDocument>,
    /// The answer's format.
    pub format: Format,
    /// Everything in the URL that shapes the answer (path and query string).
    pub url: String,
    /// What a table's metadata calls it, and what it answers.
    pub title: String,
    /// What a table's metadata says it answers.
    pub description: String,
}

/// Answers a GET request: 304 when the client holds the answer of this data version, else
/// the answer (counted against the client's rate limit) with its caching headers.
pub(super) async fn get(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    get: GetRequest<'_>,
) -> Response {
    // A bad key is refused before anything else; a good one counts against its own limit.
    let caller = match super::auth::caller(state, headers).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    // One version for the tag and the answer, even if a newer one arrives meanwhile.
    let data = state.live.current();
    let version = data.version;
    let tag = etag(version, &get.url, get.format, accepts_gzip(headers));
    let caching = [
        (
            header::CACHE_CONTROL,
            format!("public, max-age={}", state.cache_max_age.as_secs()),
        ),
        (header::ETAG, tag.clone()),
        (
            header::VARY,
            "accept, accept-encoding, x-api-key".to_owned(),
        ),
    ];
    if matches_etag(headers, &tag) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        add_headers(&mut response, &caching);
        return response;
    }
    let standing = match state.rate_limits.check(headers, peer, caller.key_id()) {
        Ok(standing) => standing,
        Err(refused) => return *refused,
    };
    let (mut response, complete) = match get.format {
        Format::Graphql => execute(state, headers, get.request, version).await,
        _ => table(state, headers, get, (version, data.released_at)).await,
    };
    if complete && response.status() == StatusCode::OK {
        add_headers(&mut response, &caching);
    }
    standing.apply(&mut response);
    response
}

/// Runs `get` and answers it as a table in its format, for data version `version` released
/// at `released_at`; returns the answer and whether it is complete (no errors).
async fn table(
    state: &AppState,
    headers: &HeaderMap,
    get: GetRequest<'_>,
    (version, released_at): (i64, Option<i64>),
) -> (Response, bool) {
    let content_type = match get.format {
        Format::Csv => tabular::CSV,
        Format::CsvMetadata => tabular::CSVW,
        Format::Graphql | Format::Rows => tabular::ROWS,
    };
    // The metadata names the CSV's URL, so two URLs of one query are two answers; rows and
    // the GraphQL response share a media type, so the format is part of the key too.
    let key = cache_key(
        version,
        &get.request,
        content_type,
        &[get.format.name().as_bytes(), get.url.as_bytes()].concat(),
    );
    // Sent with replayed answers too: the link belongs to the CSV's answer, not its body.
    let describedby = (get.format == Format::Csv).then(|| {
        format!(
            "<{}>; rel=\"describedby\"; type=\"{}\"",
            tabular::metadata_url(&get.url),
            tabular::CSVW
        )
    });
    let (mut response, complete) = match replay(state, headers, &key) {
        Some(hit) => (hit, true),
        None => {
            let GetRequest {
                request,
                document,
                format,
                url,
                title,
                description,
            } = get;
            let query = request.query.clone();
            let operation = request.operation_name.clone();
            let response = state.schema.execute(request).await;
            if !response.errors.is_empty() {
                let mut refused = failed(response, true);
                if refused.status() == StatusCode::OK {
                    // A table of a partial answer would pass for a complete one.
                    *refused.status_mut() = StatusCode::BAD_REQUEST;
                }
                return (refused, false);
            }
            let document = match document {
                Some(document) => Cow::Borrowed(document),
                None => match async_graphql::parser::parse_query(&query) {
                    Ok(document) => Cow::Owned(document),
                    Err(e) => return (bad_request("BAD_REQUEST", &e.to_string()), false),
                },
            };
            let plan = match Plan::build(&state.types, &document, operation.as_deref()) {
                Ok(plan) => plan,
                Err(e) => return (bad_request("CANNOT_TABULATE", &e.to_string()), false),
            };
            let data = serde_json::to_value(&response.data).unwrap_or(serde_json::Value::Null);
            let table = plan.table(&data);
            let body = match format {
                Format::Csv => tabular::csv(&table),
                Format::Rows => tabular::rows(&table),
                _ => {
                    let metadata = tabular::Metadata {
                        url: tabular::csv_url(&url),
                        title: &title,
                        description: &description,
                        version,
                        released_at,
                        disclosure: plan
                            .types
                            .contains("Workforce")
                            .then_some(state.disclosure_note.as_str()),
                    };
                    tabular::csvw(&table, &plan, &metadata)
                }
            };
            let gzip = accepts_gzip(headers);
            (keep(state, version, key, content_type, body, gzip), true)
        }
    };
    if let Some(value) = describedby.and_then(|v| HeaderValue::from_str(&v).ok()) {
        response.headers_mut().insert(header::LINK, value);
    }
    (response, complete)
}

/// The key of an answer in the [`ResponseCache`]: the request and its media type.
fn cache_key(
    version: i64,
    request: &async_graphql::Request,
    content_type: &str,
    more: &[u8],
) -> super::response_cache::Key {
    let variables = serde_json::to_vec(&request.variables).unwrap_or_default();
    ResponseCache::key(
        version,
        &[
            request.query.as_bytes(),
            &variables,
            request.operation_name.as_deref().unwrap_or("").as_bytes(),
            content_type.as_bytes(),
            more,
        ],
    )
}

/// Runs a request against data version `version`, or replays its complete answer from the
/// [`ResponseCache`]; returns the HTTP answer and whether it is a complete answer (no
/// errors), the only kind worth caching.
pub(super) async fn execute(
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
    let key = cache_key(version, &request, content_type, &[]);
    let gzip = accepts_gzip(headers);
    if let Some(hit) = state.responses.get(&key) {
        return (complete_answer(hit, gzip), true);
    }
    let response = state.schema.execute(request).await;
    if response.errors.is_empty()
        && let Ok(body) = serde_json::to_vec(&response)
    {
        return (keep(state, version, key, content_type, body, gzip), true);
    }
    (failed(response, graphql_media), false)
}

/// Runs a request that carries its caller's key: its answer may be the caller's own (the
/// audit log), so it is neither taken from nor kept in the cache, and no one may store it.
pub(super) async fn execute_private(
    state: &AppState,
    headers: &HeaderMap,
    request: async_graphql::Request,
) -> Response {
    let graphql_media = wants_graphql_response(headers);
    let response = state.schema.execute(request).await;
    let mut answer = if response.errors.is_empty() {
        let content_type = if graphql_media {
            GRAPHQL_RESPONSE_JSON
        } else {
            "application/json"
        };
        match serde_json::to_vec(&response) {
            Ok(body) => ([(header::CONTENT_TYPE, content_type)], body).into_response(),
            Err(_) => failed(response, graphql_media),
        }
    } else {
        failed(response, graphql_media)
    };
    answer.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("private, no-store"),
    );
    answer
}

/// A complete answer made now: kept for later clients when the cache has room, and sent.
fn keep(
    state: &AppState,
    version: i64,
    key: super::response_cache::Key,
    content_type: &'static str,
    body: Vec<u8>,
    gzip: bool,
) -> Response {
    // Compressed here only when kept (to serve later clients) or sent gzipped now; else
    // the HTTP layer compresses as it does every answer.
    let kept = state.responses.would_keep(body.len());
    let answer = Cached::new(content_type, body.into(), kept || gzip);
    if kept {
        state.responses.put(version, key, answer.clone());
    }
    complete_answer(answer, gzip)
}

/// Replays a kept answer, if there is one.
fn replay(
    state: &AppState,
    headers: &HeaderMap,
    key: &super::response_cache::Key,
) -> Option<Response> {
    state
        .responses
        .get(key)
        .map(|hit| complete_answer(hit, accepts_gzip(headers)))
}

/// The answer to a request that produced errors. The store being unreachable is the
/// server's condition, not the query's: 503, so clients and load balancers retry, whatever
/// media type was asked for. Under the GraphQL response media type, a request that failed
/// before execution (no data, and errors that point at no field) is a 400; executed requests
/// are 200.
fn failed(response: async_graphql::Response, graphql_media: bool) -> Response {
    let unavailable = response.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|ext| ext.get("code"))
            .is_some_and(|code| *code == async_graphql::Value::from(UNAVAILABLE))
    });
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
    http
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

/// The entity tag of a GET answer: the data version and a digest of the URL (path, query,
/// variables and operation name as sent) and the format, marked when the body is gzipped.
/// Strong: equal tags mean equal bytes, so the two encodings of one answer have two tags.
fn etag(version: i64, url: &str, format: Format, gzip: bool) -> String {
    use sha2::{Digest, Sha256};
    let mut digest = Sha256::new();
    digest.update(url.as_bytes());
    digest.update([0]);
    digest.update(format.name().as_bytes());
    let digest = digest.finalize();
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

/// Adds `headers` to `response`, replacing any of the same name.
fn add_headers(response: &mut Response, headers: &[(header::HeaderName, String)]) {
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.headers_mut().insert(name.clone(), value);
        }
    }
}

/// A refusal of a request as a bad request, in the GraphQL error shape.
pub(super) fn bad_request(code: &str, message: &str) -> Response {
    error_response(StatusCode::BAD_REQUEST, code, message)
}
