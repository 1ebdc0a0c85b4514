//! HTTP: the only module that knows axum. Routes, and the layers every request passes.

mod answer;
mod assets;
mod auth;
mod explorer;
mod graphiql;
mod graphql;
mod health;
pub mod metrics;
mod persisted;
pub mod rate_limit;
mod refusals;
mod releases;
pub mod response_cache;
mod server;
mod state;
mod submissions;
mod tabular;

pub use server::serve;
pub use state::AppState;

use std::sync::Arc;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::routing::{get, post};
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::load_shed::LoadShedLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use refusals::{json_refusals, not_found, overloaded};

/// The router with every route and layer.
pub fn router(state: AppState, config: &Config) -> Router {
    // A public data API: any origin may read it.
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static(rate_limit::API_KEY_HEADER),
            // Keys travel in `Authorization`, never in cookies, so any origin may send one:
            // a page can only send a key its user gave it.
            header::AUTHORIZATION,
            header::HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([
            header::ETAG,
            header::LINK,
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("ratelimit-policy"),
            header::HeaderName::from_static("ratelimit-limit"),
            header::HeaderName::from_static("ratelimit-remaining"),
            header::HeaderName::from_static("ratelimit-reset"),
            header::HeaderName::from_static("idempotent-replayed"),
        ])
        .max_age(std::time::Duration::from_secs(86_400));
    let graphiql = config.graphiql;
    let get_graphql =
        move |state: State<AppState>, headers: HeaderMap, peer: answer::Peer, query: RawQuery| {
            graphql::get_graphql(state, headers, peer, query, graphiql)
        };
    // One semaphore for GET and POST: beyond the cap a request is refused at once, not
    // queued, so a flood cannot build a backlog that outlives it.
    let concurrency = Arc::new(tokio::sync::Semaphore::new(config.max_concurrent_requests));
    let limited = || {
        ServiceBuilder::new()
            .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                overloaded()
            }))
            .layer(LoadShedLayer::new())
            .layer(GlobalConcurrencyLimitLayer::with_semaphore(
                concurrency.clone(),
            ))
    };
    let graphql_route = get(get_graphql)
        .post(graphql::post_graphql)
        .layer(limited());
    let mut routes = Router::new()
        .route("/graphql", graphql_route)
        .route("/q", get(persisted::list))
        .route("/q/{name}", get(persisted::run).layer(limited()))
        .route("/releases", post(releases::publish))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz));
    if graphiql {
        routes = routes.merge(graphiql::routes());
    }
    if config.explorer {
        routes = routes.merge(explorer::routes());
    }
    // Outside the concurrency cap, like the health probes: an overloaded server must still
    // say so.
    let counted = config
        .metrics
        .then(|| Arc::new(metrics::Metrics::default()));
    if let Some(counted) = &counted {
        let counted = counted.clone();
        routes = routes.route(
            "/metrics",
            get(move |state: State<AppState>| metrics::scrape(state, counted.clone())),
        );
    }
    // Submissions stream whole files: a cap and a time of their own, and outside the
    // concurrency cap of queries (an import is one request, not a flood).
    let submissions = Router::new()
        .route("/submissions/workforce", post(submissions::workforce))
        .route("/submissions/programmes", post(submissions::programmes))
        .with_state(state.clone())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            config.submission_timeout,
        ));
    let router = routes
        .fallback(not_found)
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            config.request_timeout,
        ))
        .merge(submissions)
        // Outside the two layers above, so it sees the refusals they produce.
        .layer(axum::middleware::map_response(json_refusals))
        .layer(CompressionLayer::new().gzip(true))
        .layer(cors)
        // Every answer, refusals included: browsers must not guess a JSON body is a page.
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // Every request's log lines, internal errors included, carry its id; the client gets
        // it back in `x-request-id` to quote when reporting a problem. One line per request,
        // when its answer is ready: its status says whether it failed.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(access_line)
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid));
    match counted {
        // The outermost layer, so it counts the status the client gets.
        Some(counted) => router.layer(axum::middleware::from_fn_with_state(
            counted,
            metrics::track,
        )),
        None => router,
    }
}

/// The access log: one line per request, inside its span (which carries its id, method and
/// path).
fn access_line<B>(
    response: &axum::http::Response<B>,
    latency: std::time::Duration,
    _span: &tracing::Span,
) {
    tracing::info!(
        target: "access",
        status = response.status().as_u16(),
        // Microseconds as milliseconds: a short decimal, not a float's long tail.
        latency_ms = latency.as_micros() as f64 / 1000.0,
        "request answered"
    );
}

/// The span of one request: its id (a client's own `x-request-id`, or one made here), method
/// and path.
fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path()
    )
}
