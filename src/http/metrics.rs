//! Prometheus metrics at `/metrics`: every answer counted by route, method, status and
//! operation, its latency by route, and, sampled at each scrape, the store's connection pool
//! and the data being served.
//!
//! Labels come only from bounded sets (route patterns, known methods, status codes, names
//! the server defines): every distinct label set is a time series kept for the life of the
//! process, so a client's own text (a raw path, a method it made up, an operation name it
//! sent) is never one.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use super::state::AppState;
use crate::store::pool_usage;

/// The operation an answer is for, as the request counter's `operation` label: a handler
/// that serves an operation under a name the server itself defines (a persisted query's)
/// inserts it into the response's extensions (`(Extension(OperationLabel(name)), answer)`,
/// or `response.extensions_mut().insert(..)`); [`track`] reads it there. Never a name a
/// client sent that the server does not know: each distinct value is a time series of its
/// own, kept for the life of the process.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OperationLabel(pub String);

/// The `route` of requests no route matched (the fallback's 404s), whatever their path.
const UNMATCHED: &str = "unmatched";
/// The `operation` of answers that carry no [`OperationLabel`].
const NO_OPERATION: &str = "-";
/// The `method` of requests with a method no route answers.
const OTHER_METHOD: &str = "other";

/// Latency buckets in seconds: from an answer kept in memory (0.1 ms) to the longest a
/// request may take by default (30 s), in steps of 1, 2.5 and 5.
const LATENCY_BUCKETS: [f64; 17] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0,
];

/// The media type of the OpenMetrics text format, which Prometheus asks for first.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: &'static str,
    status: u16,
    operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The server's metrics, one registry per router: servers in one process (the tests') each
/// count their own requests.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    pool_open: Gauge,
    pool_idle: Gauge,
    data_version: Gauge,
    snapshots: Gauge,
    records: Gauge,
    cells: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("mobility_explorer");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route pattern, method, status and operation",
            requests.clone(),
        );
        let latency: LatencyFamily =
            Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS));
        registry.register_with_unit(
            "http_request_duration",
            "Time from a request's arrival to its answer's headers, by route pattern",
            Unit::Seconds,
            latency.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let gauge = Gauge::default();
            registry.register(name, help, gauge.clone());
            gauge
        };
        Metrics {
            pool_open: gauge(
                &mut registry,
                "db_pool_connections",
                "Connections the store's pool holds open, idle or in use",
            ),
            pool_idle: gauge(
                &mut registry,
                "db_pool_idle_connections",
                "Open connections of the store's pool that no statement is using",
            ),
            data_version: gauge(
                &mut registry,
                "data_version",
                "The data version being served (every import bumps it)",
            ),
            snapshots: gauge(
                &mut registry,
                "workforce_snapshots",
                "Workforce snapshots (employer and year) in the latest release",
            ),
            records: gauge(
                &mut registry,
                "workforce_records",
                "Staff records in the latest release",
            ),
            cells: gauge(
                &mut registry,
                "workforce_cells",
                "Pre-aggregated workforce cells held in memory",
            ),
            registry,
            requests,
            latency,
        }
    }
}

/// The `method` label: the methods the routes answer, and one value for any other, which a
/// client may invent.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::OPTIONS => "OPTIONS",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        _ => OTHER_METHOD,
    }
}

/// Middleware counting every answer and timing it to its headers (a body streamed after
/// them is not timed). It must be the outermost layer, so the status it counts is the one
/// the client gets: refusals of the layers inside it (overload, timeout, body limit) and
/// revalidations (304) included.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
        .to_owned();
    let method = method_label(request.method());
    let response = next.run(request).await;
    let operation = response
        .extensions()
        .get::<OperationLabel>()
        .map_or(NO_OPERATION, |o| o.0.as_str())
        .to_owned();
    metrics
        .latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status: response.status().as_u16(),
            operation,
        })
        .inc();
    response
}

/// `GET /metrics`: the pool and the data served, sampled now, with every counter, in the
/// OpenMetrics text format.
pub async fn scrape(State(state): State<AppState>, metrics: Arc<Metrics>) -> Response {
    let pool = pool_usage(&state.db);
    metrics.pool_open.set(i64::from(pool.open));
    metrics
        .pool_idle
        .set(i64::try_from(pool.idle).unwrap_or(i64::MAX));
    let data = state.live.current();
    metrics.data_version.set(data.version);
    // What the public reads: a draft's size is not shown before its release.
    let published = data.published();
    metrics
        .snapshots
        .set(i64::try_from(data.cells.snapshots(&published)).unwrap_or(i64::MAX));
    metrics
        .records
        .set(i64::try_from(data.cells.records(&published)).unwrap_or(i64::MAX));
    metrics
        .cells
        .set(i64::try_from(data.cells.len()).unwrap_or(i64::MAX));
    let mut body = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut body, &metrics.registry) {
        tracing::error!(error = %e, "cannot encode the metrics");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(OPENMETRICS))],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    /// The series `metrics` holds, as the scrape writes them.
    fn exposition(metrics: &Metrics) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &metrics.registry).expect("encoded");
        text
    }

    #[tokio::test]
    async fn the_operation_label_a_handler_sets_is_counted_under_its_route_pattern() {
        let metrics = Arc::new(Metrics::default());
        let router = Router::new()
            .route(
                "/q/{name}",
                get(|| async { (axum::Extension(OperationLabel("areas".into())), "ok") }),
            )
            .route("/plain", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(metrics.clone(), track));
        for uri in ["/q/areas", "/q/areas", "/plain", "/elsewhere"] {
            let request = axum::http::Request::get(uri)
                .body(Body::empty())
                .expect("a request");
            router.clone().oneshot(request).await.expect("answered");
        }
        let text = exposition(&metrics);
        for line in [
            r#"mobility_explorer_http_requests_total{route="/q/{name}",method="GET",status="200",operation="areas"} 2"#,
            r#"mobility_explorer_http_requests_total{route="/plain",method="GET",status="200",operation="-"} 1"#,
            r#"mobility_explorer_http_requests_total{route="unmatched",method="GET",status="404",operation="-"} 1"#,
            r#"mobility_explorer_http_request_duration_seconds_count{route="/q/{name}"} 2"#,
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in {text}");
        }
        assert!(!text.contains("/q/areas"), "{text}");
    }
}
