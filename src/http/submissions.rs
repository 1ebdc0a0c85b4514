//! `POST /submissions/workforce`: an employer's staff records over HTTP, for an employer key
//! (its own employer only) or an admin key. The body (a CSV file, or a multipart upload
//! whose first file part is one) streams into the same import as the command line's, with
//! the same checks and messages: all or nothing, every problem listed. Person references
//! are hashed here, with the server's key; the file never touches the disk.
//!
//! `POST /submissions/programmes` takes programme figures the same way, for admin keys: a
//! CSV body of figures, or a multipart body with a `figures` part and optionally a
//! `programmes` part (the programme definitions), as `import programmes` takes them. These
//! files are small (published figures), so they are read whole, within the same cap; a
//! figure replaces the stored one with the same key, so sending them twice writes the same.
//!
//! With an `Idempotency-Key` header, the answer to an accepted file is kept in the import's
//! own transaction, and a retry with the same key and body gets it back without importing
//! again (`Idempotent-Replayed: true`); the same key with another body is refused.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};

use super::auth::{self, audit, forbid, unavailable};
use super::refusals::error_response;
use super::state::AppState;
use crate::domain::access::{Caller, KeyHolder, Role};
use crate::import::pipeline::{Ending, Input, Problem};
use crate::import::workforce::{Idempotency, Mode, NewEmployers, Summary};
use crate::import::{ImportError, workforce};
use crate::store::access::{Event, kept_answer};

/// The action the audit log records for a workforce submission.
const ACTION: &str = "submission.workforce";

/// Longest idempotency key accepted.
const IDEMPOTENCY_KEY_BYTES: usize = 255;

/// `POST /submissions/workforce`.
pub async fn workforce(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let may = |k: &KeyHolder| {
        (k.role == Role::Partner).then(|| {
            "a partner key reads published figures; submissions need an employer or admin key"
                .to_owned()
        })
    };
    let (caller, holder) = match submitter(&state, &headers, ACTION, may).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let Some(person_key) = state.person_key.clone() else {
        return error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "NOT_CONFIGURED",
            "this server has no PERSON_KEY, so it cannot hash person references: submissions are off",
        );
    };
    let params = match Params::read(query.as_deref(), &holder) {
        Ok(params) => params,
        Err(why) => return error_response(StatusCode::BAD_REQUEST, "BAD_REQUEST", &why),
    };
    let idempotency_key = match idempotency_key(&headers) {
        Ok(key) => key,
        Err(why) => return error_response(StatusCode::BAD_REQUEST, "BAD_REQUEST", why),
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > state.submission_max_bytes) {
        return too_large(&state, &caller, params.file.clone()).await;
    }
    let upload = match Upload::open(&headers, body, state.submission_max_bytes).await {
        Ok(upload) => upload,
        Err(why) => return error_response(StatusCode::BAD_REQUEST, "BAD_REQUEST", &why),
    };
    let file = upload.file_name.clone().unwrap_or(params.file.clone());
    if let Some(key) = &idempotency_key {
        match kept_answer(&state.db, holder.id, key).await {
            Ok(Some(kept)) => return replay(&state, &caller, (key, &file), kept, upload).await,
            Ok(None) => {}
            Err(e) => return unavailable(&e),
        }
    }
    let over = upload.over.clone();
    let body_sha256 = upload.sha256.clone();
    let mode = Mode {
        ending: Ending::Commit,
        new_employers: NewEmployers::Only(params.new_employers),
        only_employer: holder
            .employer
            .clone()
            .filter(|_| holder.role == Role::Employer),
        idempotency: idempotency_key.clone().map(|key| Idempotency {
            key_id: holder.id,
            key,
            body_sha256: body_sha256.clone(),
            answer: accepted_answer,
        }),
        // A submission is a draft until an admin publishes a release.
        publish: None,
    };
    let outcome = workforce::import_as(&state.db, &file, upload.reader(), &person_key, &mode).await;
    let event = |outcome: String, rows: Option<u64>, detail: Option<serde_json::Value>| Event {
        rows: rows.map(|r| r as i64),
        detail,
        ..auth::event_of(&caller, ACTION, Some(file.clone()), outcome)
    };
    match outcome {
        Ok(summary) => {
            let (status, answer) = accepted_answer(&summary);
            let detail = serde_json::from_str(&answer).ok();
            auth::serve_what_was_written(&state).await;
            audit(
                &state,
                event("accepted".to_owned(), Some(summary.rows), detail),
            )
            .await;
            json(status, answer)
        }
        Err(_) if over.load(Ordering::SeqCst) => too_large(&state, &caller, file).await,
        Err(ImportError::Forbidden(problems)) => {
            let why = match &holder.employer {
                Some(code) => format!("this key submits {code}'s returns only"),
                None => "this key may not submit these rows".to_owned(),
            };
            let event = event(String::new(), None, None);
            let answer = (StatusCode::FORBIDDEN, "FORBIDDEN");
            refused_and_recorded(&state, event, answer, &why, &problems).await
        }
        Err(ImportError::Invalid(problems)) => {
            let why = format!(
                "{} problem(s) in the file; nothing was written",
                problems.len()
            );
            let event = event(String::new(), None, None);
            let answer = (StatusCode::UNPROCESSABLE_ENTITY, "INVALID_FILE");
            refused_and_recorded(&state, event, answer, &why, &problems).await
        }
        Err(ImportError::Store(e)) => {
            // A retry racing its first attempt: the first kept its answer, and the second
            // broke a unique index (its draft's, or the kept answer's) and rolled back.
            if let Some(key) = &idempotency_key
                && let Ok(Some(kept)) = kept_answer(&state.db, holder.id, key).await
            {
                let read = body_sha256.get().cloned();
                return answer_kept(&state, &caller, (key, &file), kept, read).await;
            }
            audit(&state, event(format!("failed: {e}"), None, None)).await;
            unavailable(&e)
        }
    }
}

/// The caller of a submission `action` and its key: refused 401 without a valid key, 403
/// when `refusal` gives a reason the key may not (both recorded).
async fn submitter(
    state: &AppState,
    headers: &HeaderMap,
    action: &str,
    refusal: impl Fn(&KeyHolder) -> Option<String>,
) -> Result<(Caller, KeyHolder), Response> {
    let caller = auth::caller(state, headers).await?;
    let holder = match &caller {
        Caller::Public => {
            let why = "a submission needs a key in `Authorization: Bearer`";
            return Err(auth::refuse(state, None, action, why).await);
        }
        Caller::Key(k) => k.clone(),
    };
    if let Some(why) = refusal(&holder) {
        return Err(forbid(state, &caller, (action, None), &why).await);
    }
    Ok((caller, holder))
}

/// What the query string may say.
struct Params {
    /// The file's name, recorded as the source of its snapshots.
    file: String,
    /// Employers the file may create (`new_employer=CODE`, admin keys only; an employer key
    /// may create its own employer).
    new_employers: Vec<String>,
}

impl Params {
    fn read(query: Option<&str>, holder: &KeyHolder) -> Result<Params, String> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
            .map_err(|e| format!("the query string cannot be read: {e}"))?;
        let mut params = Params {
            file: "upload.csv".to_owned(),
            new_employers: holder.employer.iter().cloned().collect(),
        };
        for (name, value) in pairs {
            match name.as_str() {
                "file" if !value.trim().is_empty() => params.file = value.trim().to_owned(),
                "new_employer" if holder.role == Role::Admin => params.new_employers.push(value),
                "new_employer" => {
                    return Err("only an admin key may name new employers".to_owned());
                }
                other => {
                    return Err(format!(
                        "unknown parameter `{other}`: use file, new_employer"
                    ));
                }
            }
        }
        Ok(params)
    }
}

/// The `Idempotency-Key` header, if any, when it is usable.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, &'static str> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(key) if !key.is_empty() && key.len() <= IDEMPOTENCY_KEY_BYTES => {
            Ok(Some(key.to_owned()))
        }
        _ => Err("Idempotency-Key must be 1 to 255 visible ASCII characters"),
    }
}

/// The body of a submission as the file it carries.
struct Upload {
    /// The file's bytes.
    chunks: std::pin::Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>,
    /// The file name a multipart upload gives.
    file_name: Option<String>,
    /// Set once more than the cap was read.
    over: Arc<AtomicBool>,
    /// The file's SHA-256, hex, set once it was read to its end.
    sha256: Arc<OnceLock<String>>,
    /// The cap.
    max_bytes: u64,
}

impl Upload {
    /// The file a body carries: the body itself, or the first file part of a multipart body.
    async fn open(headers: &HeaderMap, body: Body, max_bytes: u64) -> Result<Upload, String> {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("text/csv");
        let stream = body.into_data_stream().map_err(std::io::Error::other);
        let (chunks, file_name): (std::pin::Pin<Box<dyn Stream<Item = _> + Send>>, _) =
            if content_type.starts_with("multipart/form-data") {
                let boundary = multer::parse_boundary(content_type)
                    .map_err(|e| format!("the multipart body has no boundary: {e}"))?;
                let mut parts = multer::Multipart::new(stream, boundary);
                loop {
                    let part = parts
                        .next_field()
                        .await
                        .map_err(|e| format!("the multipart body cannot be read: {e}"))?;
                    let Some(part) = part else {
                        return Err("the multipart body holds no file part".to_owned());
                    };
                    if part.file_name().is_some() || part.name() == Some("file") {
                        let name = part.file_name().map(str::to_owned);
                        break (Box::pin(part.map_err(std::io::Error::other)), name);
                    }
                }
            } else {
                (Box::pin(stream), None)
            };
        Ok(Upload {
            chunks,
            file_name,
            over: Arc::new(AtomicBool::new(false)),
            sha256: Arc::new(OnceLock::new()),
            max_bytes,
        })
    }

    /// The file as a blocking reader (the import reads on a thread of its own), which
    /// counts and hashes what it reads and fails past the cap.
    fn reader(self) -> impl Read + Send + 'static {
        let stream = tokio_util::io::StreamReader::new(self.chunks);
        Counted {
            inner: tokio_util::io::SyncIoBridge::new(stream),
            read: 0,
            max_bytes: self.max_bytes,
            over: self.over,
            hasher: Sha256::new(),
            sha256: self.sha256,
        }
    }

    /// Reads the whole file for its hash alone; `None` past the cap.
    async fn sha256(mut self) -> Result<Option<String>, std::io::Error> {
        let mut hasher = Sha256::new();
        let mut read = 0u64;
        while let Some(chunk) = self.chunks.next().await {
            let chunk = chunk?;
            read += chunk.len() as u64;
            if read > self.max_bytes {
                return Ok(None);
            }
            hasher.update(&chunk);
        }
        Ok(Some(hex::encode(hasher.finalize())))
    }
}

/// A reader that counts, hashes and caps what it reads.
struct Counted<R> {
    inner: R,
    read: u64,
    max_bytes: u64,
    over: Arc<AtomicBool>,
    hasher: Sha256,
    sha256: Arc<OnceLock<String>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.max_bytes {
            self.over.store(true, Ordering::SeqCst);
            return Err(std::io::Error::other(
                "the file is larger than this server accepts",
            ));
        }
        if n == 0 {
            let digest = std::mem::take(&mut self.hasher).finalize();
            let _ = self.sha256.set(hex::encode(digest));
        } else {
            self.hasher.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// The answer to an accepted file: 201 and what was written.
pub fn accepted_answer(summary: &Summary) -> (u16, String) {
    let snapshots: Vec<serde_json::Value> = summary
        .snapshots
        .iter()
        .map(|(employer, year, records, replaced)| {
            serde_json::json!({
                "employer": employer, "year": year, "records": records, "replaced": replaced,
            })
        })
        .collect();
    let body = serde_json::json!({
        "status": "accepted",
        "rows": summary.rows,
        "snapshots": snapshots,
        "published": summary.release.is_some(),
        "note": "a draft: seen only with this employer's keys and admin keys until an admin publishes a release (POST /releases)",
    });
    (StatusCode::CREATED.as_u16(), body.to_string())
}

/// A JSON answer with `status`.
fn json(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// The kept answer, marked as a replay.
fn replay_answer(status: u16, answer: String) -> Response {
    let mut response = json(status, answer);
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

/// A retry with an idempotency key already used: the kept answer when the body is the same,
/// else 422; nothing is imported either way.
async fn replay(
    state: &AppState,
    caller: &Caller,
    (key, file): (&str, &str),
    kept: crate::store::access::KeptAnswer,
    upload: Upload,
) -> Response {
    match upload.sha256().await {
        Ok(Some(sha256)) => answer_kept(state, caller, (key, file), kept, Some(sha256)).await,
        Ok(None) => too_large(state, caller, file.to_owned()).await,
        Err(e) => error_response(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            &format!("the body could not be read: {e}"),
        ),
    }
}

/// The answer to a request whose idempotency key has an answer `kept`, for a body of hash
/// `sha256`: the kept answer for the same body, 422 for another, and 409 when the body was
/// not read to its end (a request racing the first, stopped before it read all of its body:
/// sent again, it gets one of the other two), each recorded.
async fn answer_kept(
    state: &AppState,
    caller: &Caller,
    (key, file): (&str, &str),
    kept: crate::store::access::KeptAnswer,
    sha256: Option<String>,
) -> Response {
    let event =
        |outcome: &str| auth::event_of(caller, ACTION, Some(file.to_owned()), outcome.to_owned());
    let (status, code, why) = match sha256 {
        Some(sha256) if sha256 == kept.body_sha256 => {
            let outcome =
                format!("replayed: the answer to Idempotency-Key {key}, nothing imported");
            audit(state, event(&outcome)).await;
            return replay_answer(kept.status, kept.answer);
        }
        Some(_) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "IDEMPOTENCY_KEY_REUSED",
            "this Idempotency-Key was used with another body; use a new key for a new file",
        ),
        None => (
            StatusCode::CONFLICT,
            "IDEMPOTENCY_KEY_IN_USE",
            "another request with this Idempotency-Key was imported meanwhile; send this one again to get its answer",
        ),
    };
    let outcome = format!("refused ({}): {why}", status.as_u16());
    audit(state, event(&outcome)).await;
    error_response(status, code, why)
}

/// 413 for a workforce file, recorded.
async fn too_large(state: &AppState, caller: &Caller, file: String) -> Response {
    too_large_for(state, caller, (ACTION, file)).await
}

/// 413 for `action` on `file`, recorded.
async fn too_large_for(
    state: &AppState,
    caller: &Caller,
    (action, file): (&str, String),
) -> Response {
    let why = format!(
        "the file is larger than this server accepts ({} bytes; SUBMISSION_MAX_BYTES)",
        state.submission_max_bytes
    );
    audit(
        state,
        auth::event_of(caller, action, Some(file), format!("refused (413): {why}")),
    )
    .await;
    error_response(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", &why)
}

/// A refused file, recorded in the audit log with its problems and answered with each.
async fn refused_and_recorded(
    state: &AppState,
    mut event: Event,
    (status, code): (StatusCode, &str),
    why: &str,
    problems: &[Problem],
) -> Response {
    event.outcome = format!("refused ({}): {why}", status.as_u16());
    event.detail = serde_json::to_value(problems).ok();
    audit(state, event).await;
    refused_file(status, code, why, problems)
}

/// A refused file: the error with every problem.
fn refused_file(status: StatusCode, code: &str, message: &str, problems: &[Problem]) -> Response {
    let body = serde_json::json!({
        "errors": [{
            "message": message,
            "extensions": { "code": code, "problems": problems },
        }]
    });
    (status, axum::Json(body)).into_response()
}

/// The action the audit log records for a programme submission.
const PROGRAMMES: &str = "submission.programmes";

/// `POST /submissions/programmes`.
pub async fn programmes(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let may = |k: &KeyHolder| {
        (k.role != Role::Admin).then(|| {
            format!(
                "programme figures are submitted with an admin key; this is a {} key",
                k.role
            )
        })
    };
    let (caller, _) = match submitter(&state, &headers, PROGRAMMES, may).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let file =
        match serde_urlencoded::from_str::<Vec<(String, String)>>(query.as_deref().unwrap_or("")) {
            Ok(pairs) => match pairs.as_slice() {
                [] => "figures.csv".to_owned(),
                [(name, value)] if name == "file" && !value.trim().is_empty() => {
                    value.trim().to_owned()
                }
                _ => {
                    let why = "the only parameter is `file`, the figures file's name";
                    return error_response(StatusCode::BAD_REQUEST, "BAD_REQUEST", why);
                }
            },
            Err(e) => {
                let why = format!("the query string cannot be read: {e}");
                return error_response(StatusCode::BAD_REQUEST, "BAD_REQUEST", &why);
            }
        };
    let parts = match ProgrammeParts::read(&headers, body, state.submission_max_bytes).await {
        Ok(parts) => parts,
        Err(PartsError::TooLarge) => {
            return too_large_for(&state, &caller, (PROGRAMMES, file)).await;
        }
        Err(PartsError::Unreadable(why)) => {
            return error_response(StatusCode::BAD_REQUEST, "BAD_REQUEST", &why);
        }
    };
    let Some((figures_name, figures)) = parts.figures else {
        let why = "the body holds no figures: send them as the body (CSV), or as a multipart part named `figures`";
        return error_response(StatusCode::BAD_REQUEST, "BAD_REQUEST", why);
    };
    let figures_name = figures_name.unwrap_or(file);
    let outcome = crate::import::programmes::import_as(
        &state.db,
        Input {
            name: figures_name.clone(),
            reader: &figures[..],
        },
        parts.programmes.as_ref().map(|(name, bytes)| Input {
            name: name.clone().unwrap_or_else(|| "programmes.csv".to_owned()),
            reader: &bytes[..],
        }),
        Ending::Commit,
    )
    .await;
    let event = |outcome: String, rows: Option<usize>, detail: Option<serde_json::Value>| Event {
        rows: rows.map(|r| r as i64),
        detail,
        ..auth::event_of(&caller, PROGRAMMES, Some(figures_name.clone()), outcome)
    };
    match outcome {
        Ok(summary) => {
            auth::serve_what_was_written(&state).await;
            let written: usize = summary.figures.values().sum();
            let body = serde_json::json!({
                "status": "accepted",
                "programmes": summary.programmes,
                "figures": summary.figures,
            });
            audit(
                &state,
                event("accepted".to_owned(), Some(written), Some(body.clone())),
            )
            .await;
            json(StatusCode::CREATED.as_u16(), body.to_string())
        }
        Err(ImportError::Invalid(problems) | ImportError::Forbidden(problems)) => {
            let why = format!(
                "{} problem(s) in the files; nothing was written",
                problems.len()
            );
            let event = event(String::new(), None, None);
            let answer = (StatusCode::UNPROCESSABLE_ENTITY, "INVALID_FILE");
            refused_and_recorded(&state, event, answer, &why, &problems).await
        }
        Err(ImportError::Store(e)) => {
            audit(&state, event(format!("failed: {e}"), None, None)).await;
            unavailable(&e)
        }
    }
}

/// A file read whole: its name, when the upload gives one, and its bytes.
type WholeFile = (Option<String>, Vec<u8>);

/// The files of a programme submission.
#[derive(Default)]
struct ProgrammeParts {
    figures: Option<WholeFile>,
    programmes: Option<WholeFile>,
}

/// Why a programme submission's body cannot be used.
enum PartsError {
    /// More than the cap.
    TooLarge,
    /// Not a body of the expected shape.
    Unreadable(String),
}

impl ProgrammeParts {
    async fn read(
        headers: &HeaderMap,
        body: Body,
        max_bytes: u64,
    ) -> Result<ProgrammeParts, PartsError> {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("text/csv");
        let stream = body.into_data_stream().map_err(std::io::Error::other);
        let mut read = 0u64;
        let mut parts = ProgrammeParts::default();
        if !content_type.starts_with("multipart/form-data") {
            parts.figures = Some((None, whole(stream, &mut read, max_bytes).await?));
            return Ok(parts);
        }
        let boundary = multer::parse_boundary(content_type).map_err(|e| {
            PartsError::Unreadable(format!("the multipart body has no boundary: {e}"))
        })?;
        let mut multipart = multer::Multipart::new(stream, boundary);
        while let Some(part) = multipart.next_field().await.map_err(|e| {
            PartsError::Unreadable(format!("the multipart body cannot be read: {e}"))
        })? {
            let name = part.name().map(str::to_owned);
            let file_name = part.file_name().map(str::to_owned);
            let bytes = whole(part.map_err(std::io::Error::other), &mut read, max_bytes).await?;
            let slot = match name.as_deref() {
                Some("figures") => &mut parts.figures,
                Some("programmes") => &mut parts.programmes,
                other => {
                    return Err(PartsError::Unreadable(format!(
                        "unknown part `{}`: send `figures` and, optionally, `programmes`",
                        other.unwrap_or("")
                    )));
                }
            };
            *slot = Some((file_name, bytes));
        }
        Ok(parts)
    }
}

/// Every byte of `stream`, counting into `read`, refused once past `max_bytes`.
async fn whole(
    stream: impl Stream<Item = std::io::Result<Bytes>>,
    read: &mut u64,
    max_bytes: u64,
) -> Result<Vec<u8>, PartsError> {
    let mut stream = std::pin::pin!(stream);
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| PartsError::Unreadable(format!("the body could not be read: {e}")))?;
        *read += chunk.len() as u64;
        if *read > max_bytes {
            return Err(PartsError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}
