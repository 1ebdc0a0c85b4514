//! Who a request comes from: the key in `Authorization: Bearer`, checked against the store.
//! No key is the public; a key that is not valid is refused, never taken for the public, so
//! a client with a mistyped or revoked key learns it at once. Refusals are recorded.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use super::refusals::error_response;
use super::state::AppState;
use crate::domain::access::{Caller, parse_key};
use crate::store::access::{self, Event, KeyCheck};

/// The caller of a request, or the refusal of a key that is not valid (401), or 503 when
/// the store cannot say.
pub async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Caller, Response> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Caller::Public);
    };
    let presented = value
        .to_str()
        .ok()
        // The scheme's name ignores case (RFC 9110).
        .and_then(|v| {
            v.get(..7)
                .filter(|scheme| scheme.eq_ignore_ascii_case("bearer "))
                .map(|_| &v[7..])
        })
        .map(str::trim);
    let Some((id, secret)) = presented.and_then(parse_key) else {
        let why = "the Authorization header is not `Bearer` and a key made by `keys create`";
        return Err(refuse(state, None, "authenticate", why).await);
    };
    match access::check_key(&state.db, id, secret).await {
        Ok(KeyCheck::Valid(holder)) => Ok(Caller::Key(holder)),
        Ok(KeyCheck::Revoked(holder)) => Err(refuse(
            state,
            Some(holder.id),
            "authenticate",
            "this key was revoked",
        )
        .await),
        Ok(KeyCheck::Unknown) => Err(refuse(
            state,
            None,
            "authenticate",
            "no valid key has this id and secret",
        )
        .await),
        Err(e) => Err(unavailable(&e)),
    }
}

/// The audit event of `caller` doing `action` on `subject`, ending as `outcome`.
pub fn event_of(caller: &Caller, action: &str, subject: Option<String>, outcome: String) -> Event {
    Event {
        key_id: caller.key_id(),
        actor: caller.describe(),
        action: action.to_owned(),
        subject,
        outcome,
        ..Event::default()
    }
}

/// 401 for `why`, recorded in the audit log as a refusal of `action`.
pub async fn refuse(state: &AppState, key_id: Option<i32>, action: &str, why: &str) -> Response {
    audit(
        state,
        Event {
            key_id,
            actor: key_id.map_or("public (no valid key)".to_owned(), |id| format!("key {id}")),
            action: action.to_owned(),
            outcome: format!("refused (401): {why}"),
            ..Event::default()
        },
    )
    .await;
    let mut response = error_response(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", why);
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// 403 for `why`, recorded in the audit log as `caller`'s refused `action` on `subject`.
pub async fn forbid(
    state: &AppState,
    caller: &Caller,
    (action, subject): (&str, Option<String>),
    why: &str,
) -> Response {
    audit(
        state,
        event_of(caller, action, subject, format!("refused (403): {why}")),
    )
    .await;
    error_response(StatusCode::FORBIDDEN, "FORBIDDEN", why)
}

/// Records `event`; a log that cannot be written is logged as an error, the answer stands.
pub async fn audit(state: &AppState, event: Event) {
    if let Err(e) = access::record(&state.db, event).await {
        tracing::error!(error = %e, "the audit log could not be written");
    }
}

/// Has this server serve what the store holds now, after a write it made (a submission, a
/// release): the key that wrote reads it in its next request, not a poll later. Other
/// replicas see it at their next poll. A failure is logged: the poll tries again.
pub async fn serve_what_was_written(state: &AppState) {
    if let Err(e) = state.live.refresh(&state.db).await {
        tracing::warn!(error = %e, "the data just written could not be loaded yet");
    }
}

/// 503 for a store that cannot answer.
pub fn unavailable(e: &crate::store::StoreError) -> Response {
    tracing::error!(error = %e, "the store failed");
    error_response(
        StatusCode::SERVICE_UNAVAILABLE,
        "UNAVAILABLE",
        "the store is not answering; try again shortly",
    )
}
