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
use async_graphql_axum::GraphQLRequest;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::answer::{self, GetRequest, Peer, bad_request};
use super::metrics::OperationLabel;
use super::refusals::error_response;
use super::state::AppState;
use super::tabular::Format;
use crate::domain::access::Caller;
use crate::graphql::persisted::sha256_hex;

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

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// Largest document registered by the persisted-query extension: bigger ones still run, but
/// are not kept, so the registry's memory stays within its count times this.
const MAX_REGISTERED_BYTES: usize = 16 * 1024;

/// Applies the persisted-query extension (`extensions.persistedQuery`, Apollo's
/// conventions) and `TRUSTED_DOCUMENTS_ONLY` to `request`: a hash alone is replaced by its
/// document, a document sent with its hash is checked against it (and remembered, unless
/// only trusted documents are answered). Returns the persisted query's name when the
/// request runs one, or the refusal.
pub(super) fn resolve_document(
    state: &AppState,
    request: &mut async_graphql::Request,
) -> Result<Option<String>, Box<Response>> {
    let trusted_only = state.trusted_only;
    let Some(extension) = request.extensions.remove("persistedQuery") else {
        let known = state.persisted.by_hash(&sha256_hex(&request.query));
        return match known {
            Some(query) => Ok(Some(query.name.clone())),
            None if trusted_only => Err(refuse(
                "PERSISTED_QUERY_REQUIRED",
                "this server answers persisted queries only: call one by URL (`/q/{name}`) or \
                 send its `extensions.persistedQuery.sha256Hash`; `/q` lists them",
            )),
            None => Ok(None),
        };
    };
    let extension = extension.into_json().unwrap_or_default();
    let hash = extension
        .get("sha256Hash")
        .and_then(|h| h.as_str())
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_ascii_lowercase);
    let version = extension.get("version").and_then(|v| v.as_i64());
    let (Some(hash), Some(1)) = (hash, version) else {
        return Err(refuse(
            "PERSISTED_QUERY_INVALID",
            "`extensions.persistedQuery` needs `version: 1` and `sha256Hash`, the SHA-256 of \
             the document in 64 hexadecimal digits",
        ));
    };
    if request.query.is_empty() {
        if let Some(query) = state.persisted.by_hash(&hash) {
            request.query = query.document.clone();
            return Ok(Some(query.name.clone()));
        }
        if trusted_only {
            return Err(refuse(
                "PERSISTED_QUERY_NOT_IN_LIST",
                "no persisted query has this hash; `/q` lists them",
            ));
        }
        let registered = state.registered.lock().map(|mut r| r.get(&hash).cloned());
        return match registered.ok().flatten() {
            Some(document) => {
                request.query = document.to_string();
                Ok(None)
            }
            // The message and code Apollo clients look for before sending the document.
            None => Err(refuse(
                "PERSISTED_QUERY_NOT_FOUND",
                "PersistedQueryNotFound",
            )),
        };
    }
    if sha256_hex(&request.query) != hash {
        return Err(refuse(
            "PERSISTED_QUERY_HASH_MISMATCH",
            "`sha256Hash` is not the SHA-256 of the document sent with it",
        ));
    }
    if let Some(query) = state.persisted.by_hash(&hash) {
        return Ok(Some(query.name.clone()));
    }
    if trusted_only {
        return Err(refuse(
            "PERSISTED_QUERY_NOT_IN_LIST",
            "this server answers persisted queries only, and this document is not one; `/q` \
             lists them",
        ));
    }
    if request.query.len() <= MAX_REGISTERED_BYTES
        && let Ok(mut registered) = state.registered.lock()
    {
        registered.put(hash, request.query.as_str().into());
    }
    Ok(None)
}

/// A refusal as [`resolve_document`] returns it.
fn refuse(code: &str, message: &str) -> Box<Response> {
    Box::new(bad_request(code, message))
}

/// `POST /graphql`.
pub async fn post_graphql(
    State(state): State<AppState>,
    headers: HeaderMap,
    peer: Peer,
    request: Result<GraphQLRequest<Unreadable>, Unreadable>,
) -> Response {
    let mut request = match request {
        Ok(request) => request.into_inner(),
        Err(e) => return e.into_response(),
    };
    let caller = match super::auth::caller(&state, &headers).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let address = answer::address(peer);
    let standing = match state.rate_limits.check(&headers, address, caller.key_id()) {
        Ok(standing) => standing,
        Err(refused) => return *refused,
    };
    let mut response = match resolve_document(&state, &mut request) {
        Ok(name) if caller != Caller::Public => {
            let request = request.data(caller);
            let mut response = answer::execute_private(&state, &headers, request).await;
            label_operation(&mut response, name);
            response
        }
        Ok(name) => {
            let version = state.live.current().version;
            let mut response = answer::execute(&state, &headers, request, version).await.0;
            label_operation(&mut response, name);
            response
        }
        Err(refused) => *refused,
    };
    standing.apply(&mut response);
    response
}

/// `GET /graphql`: GraphiQL for a browser with no query (when `graphiql` is on), else the
/// query in the URL (or a persisted query's hash in `extensions`), answered in the format
/// asked for (`format`, or `Accept`).
pub async fn get_graphql(
    State(state): State<AppState>,
    headers: HeaderMap,
    peer: Peer,
    RawQuery(query): RawQuery,
    graphiql: bool,
) -> Response {
    let query = query.unwrap_or_default();
    let params = url_params(&query);
    let param = |name: &str| params.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    if param("query").is_none() && param("extensions").is_none() {
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
    let mut request = match async_graphql::http::parse_query_string(&query) {
        Ok(request) => request,
        Err(e) => return Unreadable(e).into_response(),
    };
    let format = match Format::negotiate(param("format").map(String::as_str), &headers) {
        Ok(format) => format,
        Err(refused) => return *refused,
    };
    let name = match resolve_document(&state, &mut request) {
        Ok(name) => name,
        Err(refused) => return *refused,
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
    // A key's GraphQL answers may be its own: run apart from the shared cache. Tables are
    // public answers, made without the key.
    if format == Format::Graphql {
        let caller = match super::auth::caller(&state, &headers).await {
            Ok(caller) => caller,
            Err(refused) => return refused,
        };
        if caller != Caller::Public {
            let address = answer::address(peer);
            let standing = match state.rate_limits.check(&headers, address, caller.key_id()) {
                Ok(standing) => standing,
                Err(refused) => return *refused,
            };
            let request = request.data(caller);
            let mut response = answer::execute_private(&state, &headers, request).await;
            label_operation(&mut response, name);
            standing.apply(&mut response);
            return response;
        }
    }
    let title = name.clone().unwrap_or_else(|| "GraphQL query".to_owned());
    let mut response = answer::get(
        &state,
        &headers,
        answer::address(peer),
        GetRequest {
            request,
            document: None,
            format,
            url: format!("/graphql?{query}"),
            title,
            description: String::new(),
        },
    )
    .await;
    label_operation(&mut response, name);
    response
}

/// The parameters of a URL's query string, decoded, in order.
pub(super) fn url_params(query: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap_or_default()
}

/// Marks `response` with the persisted query it answered, for the metrics (a client's own
/// operation names are not used: anyone could fill the metrics with them).
pub(super) fn label_operation(response: &mut Response, name: Option<String>) {
    if let Some(name) = name {
        response.extensions_mut().insert(OperationLabel(name));
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
