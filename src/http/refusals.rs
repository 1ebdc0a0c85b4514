//! Answers to requests refused before GraphQL runs, as JSON errors in the GraphQL shape.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The answer to a request beyond the concurrency cap.
pub fn overloaded() -> Response {
    let mut response = error_response(
        StatusCode::SERVICE_UNAVAILABLE,
        "OVERLOADED",
        "the server is answering as many requests as it allows; try again shortly",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// A JSON error body in the GraphQL shape, for requests refused before GraphQL runs.
pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    });
    (status, Json(body)).into_response()
}

/// The body-limit and timeout layers answer in plain text or not at all; clients of a JSON
/// API get JSON errors they can read.
pub async fn json_refusals(response: Response) -> Response {
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
        StatusCode::METHOD_NOT_ALLOWED => {
            let allow = response.headers().get(header::ALLOW).cloned();
            let mut refused = error_response(
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                "this route does not answer that method",
            );
            if let Some(allow) = allow {
                refused.headers_mut().insert(header::ALLOW, allow);
            }
            refused
        }
        _ => response,
    }
}

pub async fn not_found() -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "no such route: the API is at /graphql",
    )
}
