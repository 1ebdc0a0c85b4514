//! `POST /releases`: an admin key publishes every draft as a new numbered release, with
//! notes (and the release it corrects, if it is a correction). The body is JSON:
//! `{"notes": "2025 returns", "corrects": 3}` (`corrects` optional).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::auth::{self, audit, forbid, unavailable};
use super::refusals::error_response;
use super::state::AppState;
use crate::service::ServiceError;
use crate::service::access::admin_only;
use crate::service::releases::{self, Publisher};

/// The action the audit log records.
const ACTION: &str = "release.publish";

/// What the body says.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Asked {
    notes: String,
    #[serde(default)]
    corrects: Option<i32>,
}

/// `POST /releases`.
pub async fn publish(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let caller = match auth::caller(&state, &headers).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    // Refused here too (the use case checks again), so each refusal is recorded.
    match admin_only(&caller, "publishing a release") {
        Ok(()) => {}
        Err(ServiceError::Unauthenticated(why)) => {
            return auth::refuse(&state, None, ACTION, &why).await;
        }
        Err(why) => return forbid(&state, &caller, (ACTION, None), &why.to_string()).await,
    }
    let asked: Asked = match serde_json::from_slice(&body) {
        Ok(asked) => asked,
        Err(e) => {
            let why = format!(
                "the body must be JSON: {{\"notes\": \"...\", \"corrects\": N}} (`corrects` optional); {e}"
            );
            return error_response(StatusCode::BAD_REQUEST, "BAD_REQUEST", &why);
        }
    };
    let refused = |status: StatusCode, why: &str| {
        auth::event_of(
            &caller,
            ACTION,
            None,
            format!("refused ({}): {why}", status.as_u16()),
        )
    };
    let publisher = Publisher::Caller(&caller);
    match releases::publish(&state.db, publisher, &asked.notes, asked.corrects).await {
        Ok(Some(made)) => {
            auth::serve_what_was_written(&state).await;
            let r = &made.release;
            let body = serde_json::json!({
                "status": "published",
                "release": {
                    "number": r.number,
                    "publishedAt": r.published_at,
                    "notes": r.notes,
                    "corrects": r.corrects,
                },
                "snapshots": made.snapshots.iter().map(|s| serde_json::json!({
                    "employer": s.employer,
                    "year": s.year,
                    "replacesRelease": s.replaces_release,
                })).collect::<Vec<_>>(),
            });
            (
                StatusCode::CREATED,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                body.to_string(),
            )
                .into_response()
        }
        Ok(None) => {
            let why = "there is no draft to publish: every submission is already in a release";
            audit(&state, refused(StatusCode::CONFLICT, why)).await;
            error_response(StatusCode::CONFLICT, "NOTHING_TO_PUBLISH", why)
        }
        Err(ServiceError::Invalid(why)) => {
            audit(&state, refused(StatusCode::UNPROCESSABLE_ENTITY, &why)).await;
            error_response(StatusCode::UNPROCESSABLE_ENTITY, "BAD_USER_INPUT", &why)
        }
        Err(ServiceError::Store(e)) => unavailable(&e),
        Err(other) => {
            tracing::error!(error = %other, "publishing failed");
            error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "the release could not be published",
            )
        }
    }
}
