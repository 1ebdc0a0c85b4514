//! Liveness and readiness probes.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::store::Engine;

/// The process is alive.
pub async fn healthz() -> Response {
    Json(serde_json::json!({ "status": "ok" })).into_response()
}

/// The store answers; 503 when it does not.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let store = match state.engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    };
    match state.db.ping().await {
        Ok(()) => Json(serde_json::json!({ "status": "ready", "store": store })).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed: store unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "unavailable", "store": store })),
            )
                .into_response()
        }
    }
}
