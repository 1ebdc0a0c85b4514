//! Liveness and readiness probes.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::state::AppState;
use crate::store::Engine;

/// The process is alive.
pub async fn healthz() -> Response {
    Json(serde_json::json!({ "status": "ok" })).into_response()
}

/// How long the readiness probe waits for the store: probes must answer quickly even when
/// the store hangs.
const READY_WAIT: std::time::Duration = std::time::Duration::from_millis(800);

/// The store answers; 503 when it does not, within [`READY_WAIT`].
pub async fn readyz(State(state): State<AppState>) -> Response {
    let store = match state.engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    };
    let ping = tokio::time::timeout(READY_WAIT, state.db.ping()).await;
    match ping {
        Ok(Ok(())) => {
            Json(serde_json::json!({ "status": "ready", "store": store })).into_response()
        }
        failed => {
            let reason = match failed {
                Ok(Err(e)) => e.to_string(),
                _ => format!("no answer within {} ms", READY_WAIT.as_millis()),
            };
            tracing::warn!(error = %reason, "readiness check failed: store unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "unavailable", "store": store })),
            )
                .into_response()
        }
    }
}
