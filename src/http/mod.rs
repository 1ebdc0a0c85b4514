//! HTTP: the only module that knows axum. Routes, and the layers every request passes.

mod graphiql;
mod graphql;
mod health;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::app::AppState;
use crate::config::Config;

/// The router with every route and layer.
pub fn router(state: AppState, config: &Config) -> Router {
    // A public data API: any origin may read it.
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE, header::ACCEPT])
        .max_age(std::time::Duration::from_secs(86_400));
    let graphiql = config.graphiql;
    let get_graphql = move |state: State<AppState>, headers: HeaderMap, query: RawQuery| {
        graphql::get_graphql(state, headers, query, graphiql)
    };
    let mut routes = Router::new()
        .route("/graphql", get(get_graphql).post(graphql::post_graphql))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz));
    if graphiql {
        routes = routes.merge(graphiql::routes());
    }
    routes
        .fallback(not_found)
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            config.request_timeout,
        ))
        // Outside the two layers above, so it sees the refusals they produce.
        .layer(axum::middleware::map_response(json_refusals))
        .layer(CompressionLayer::new().gzip(true))
        .layer(cors)
        .layer(TraceLayer::new_for_http())
}

/// A JSON error body in the GraphQL shape, for requests refused before GraphQL runs.
pub(crate) fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    });
    (status, Json(body)).into_response()
}

/// The body-limit and timeout layers answer in plain text or not at all; clients of a JSON
/// API get JSON errors they can read.
async fn json_refusals(response: Response) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if is_json {
        return response;
    }
    match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE => error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            "the request body is larger than this server accepts",
        ),
        StatusCode::SERVICE_UNAVAILABLE => error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "TIMEOUT",
            "the request took longer than this server allows",
        ),
        _ => response,
    }
}

async fn not_found() -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "no such route: the API is at /graphql",
    )
}
