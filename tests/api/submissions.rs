//! Employers' submissions over real HTTP: keys made by the command line, every refusal with
//! its status and nothing written, an idempotent retry, and the audit log of all of it.

use std::process::Command;

use mobility_explorer::domain::workforce::PersonKey;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::Value;

use crate::helpers::{Store, TestApp, error_code};
use crate::on_both_stores;
use crate::staff::HEADER_WITHOUT_KEYS as HEADER;

/// Runs the binary on the app's store; its standard output, when it succeeds.
pub(crate) fn cli(app: &TestApp, args: &[&str]) -> Result<String, String> {
    let output = Command::new(env!("CARGO_BIN_EXE_mobility-explorer"))
        .args(args)
        .env("DATABASE_URL", app.store_url())
        .env("PERSON_KEY", "the command line's person key")
        .env("RUST_LOG", "error")
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if output.status.success() {
        Ok(stdout)
    } else {
        Err(stderr)
    }
}

/// A new key of `role`, as printed (once) by `keys create`.
pub(crate) fn new_key(app: &TestApp, role: &str, employer: Option<&str>) -> String {
    let mut args = vec!["keys", "create", "--role", role, "--name", "test holder"];
    if let Some(code) = employer {
        args.extend(["--employer", code]);
    }
    let out = cli(app, &args).expect("keys create");
    let key = out.lines().next().expect("the key").trim().to_owned();
    assert!(key.starts_with("mx_"), "{out}");
    key
}

/// Staff rows of `employer` in 2024, one per person.
pub(crate) fn csv(employer: &str, people: &[&str]) -> String {
    let mut text = format!("{HEADER}\n");
    for p in people {
        text.push_str(&format!(
            "{p},{employer},2024,Ops,AO,1,E08000025,2020,routine,,,,,\n"
        ));
    }
    text
}

/// POSTs `body` to the workforce submissions with `key` and extra headers.
pub(crate) async fn submit(
    app: &TestApp,
    key: Option<&str>,
    headers: &[(&str, &str)],
    body: impl Into<reqwest::Body>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut request = app
        .client
        .post(app.url("/submissions/workforce"))
        .header("content-type", "text/csv")
        .body(body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("sent");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

/// How many staff records and snapshots the store holds.
pub(crate) async fn stored(app: &TestApp) -> (i64, i64) {
    let count = |table: &str| {
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        async move {
            app.db
                .query_one_raw(Statement::from_string(app.db.get_database_backend(), sql))
                .await
                .expect("counted")
                .expect("a row")
                .try_get::<i64>("", "n")
                .expect("a number")
        }
    };
    (
        count("staff_record").await,
        count("workforce_snapshot").await,
    )
}

async fn employers_submit_over_http_with_keys_and_every_refusal_is_recorded(store: Store) {
    let Some(app) = TestApp::spawn_with(store, |c| {
        c.person_key = PersonKey::new(b"the submissions test person key");
        c.submission_max_bytes = 2_000;
    })
    .await
    else {
        return;
    };
    let admin = new_key(&app, "admin", None);
    let employer = new_key(&app, "employer", Some("EMP-S"));
    let partner = new_key(&app, "partner", None);
    let good = csv("EMP-S", &["P1", "P2"]);
    let problems = |body: &Value| body["errors"][0]["extensions"]["problems"].clone();

    // No key, a partner's key, a forged key.
    let (status, headers, body) = submit(&app, None, &[], good.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    assert_eq!(headers["www-authenticate"], "Bearer");
    let (status, _, body) = submit(&app, Some(&partner), &[], good.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "FORBIDDEN");
    let forged = format!("{}0", &employer[..employer.len() - 1]);
    let forged = if forged == employer {
        format!("{}1", &employer[..employer.len() - 1])
    } else {
        forged
    };
    let (status, _, body) = submit(&app, Some(&forged), &[], good.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    // Another employer's rows, a bad file, a file over the cap.
    let theirs = csv("EMP-T", &["P1"]);
    let (status, _, body) = submit(&app, Some(&employer), &[], theirs).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(problems(&body)[0]["line"], 2);
    assert_eq!(problems(&body)[0]["column"], "employer");
    assert_eq!(problems(&body)[0]["value"], "EMP-T");
    let bad = good.replace("E08000025", "X99999999");
    let (status, _, body) = submit(&app, Some(&employer), &[], bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_code(&body), "INVALID_FILE");
    let listed: Vec<(u64, String)> = problems(&body)
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            (
                p["line"].as_u64().expect("line"),
                p["value"].as_str().expect("value").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [(2, "X99999999".to_owned()), (3, "X99999999".to_owned())]
    );
    let people: Vec<String> = (0..40).map(|i| format!("P{i}")).collect();
    let people: Vec<&str> = people.iter().map(String::as_str).collect();
    let (status, _, body) = submit(&app, Some(&employer), &[], csv("EMP-S", &people)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    // Streamed without a length, the cap holds as the bytes arrive.
    let chunks: Vec<Result<String, std::io::Error>> = csv("EMP-S", &people)
        .lines()
        .map(|l| Ok(format!("{l}\n")))
        .collect();
    let streamed = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let (status, _, body) = submit(&app, Some(&employer), &[], streamed).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(stored(&app).await, (0, 0), "nothing was written");

    // Accepted, as a multipart upload, then retried: the same answer, nothing imported twice.
    let boundary = "x-boundary-1";
    let multipart = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"emp-s-2024.csv\"\r\nContent-Type: text/csv\r\n\r\n{good}\r\n--{boundary}--\r\n"
    );
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let send = |body: String| {
        app.client
            .post(app.url("/submissions/workforce"))
            .bearer_auth(&employer)
            .header("content-type", &content_type)
            .header("idempotency-key", "emp-s-2024-first")
            .body(body)
            .send()
    };
    let first = send(multipart.clone()).await.expect("sent");
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.expect("json");
    assert_eq!(first["rows"], 2);
    assert_eq!(first["snapshots"][0]["employer"], "EMP-S");
    assert_eq!(stored(&app).await, (2, 1));
    let again = send(multipart.clone()).await.expect("sent");
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.expect("json"), first);
    assert_eq!(stored(&app).await, (2, 1), "the retry imported nothing");
    let other = send(multipart.replace("P2", "P3")).await.expect("sent");
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_code(&other.json().await.expect("json")),
        "IDEMPOTENCY_KEY_REUSED"
    );
    let snapshots = cli(&app, &["snapshots", "list"]).expect("listed");
    assert!(
        snapshots.contains("EMP-S\t2024\tdraft\t2\temp-s-2024.csv"),
        "{snapshots}"
    );

    // An admin may submit for any employer it names; a revoked key is refused.
    let (status, _, body) = submit(&app, Some(&admin), &[], csv("EMP-T", &["Q1"])).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a new employer must be named: {body}"
    );
    let response = app
        .client
        .post(app.url("/submissions/workforce?new_employer=EMP-T&file=t.csv"))
        .bearer_auth(&admin)
        .body(csv("EMP-T", &["Q1"]))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::CREATED);
    let id = employer.split('_').nth(1).expect("id");
    cli(&app, &["keys", "revoke", id]).expect("revoked");
    let (status, _, body) = submit(&app, Some(&employer), &[], good.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("revoked")
    );
    let keys = cli(&app, &["keys", "list"]).expect("listed");
    assert!(!keys.contains("mx_"), "no secret is listed: {keys}");

    // The audit log holds all of it, oldest last.
    let log = cli(&app, &["audit"]).expect("the audit log");
    let mut lines: Vec<&str> = log.lines().skip(1).collect();
    lines.reverse();
    let outcomes: Vec<(String, String)> = lines
        .into_iter()
        .map(|l| {
            let fields: Vec<&str> = l.split('\t').collect();
            let outcome = fields[5].split(':').next().expect("outcome").to_owned();
            (fields[3].to_owned(), outcome)
        })
        .collect();
    let expected = [
        ("key.create", "created"),
        ("key.create", "created"),
        ("key.create", "created"),
        ("submission.workforce", "refused (401)"),
        ("submission.workforce", "refused (403)"),
        ("authenticate", "refused (401)"),
        ("submission.workforce", "refused (403)"),
        ("submission.workforce", "refused (422)"),
        ("submission.workforce", "refused (413)"),
        ("submission.workforce", "refused (413)"),
        ("submission.workforce", "accepted"),
        ("submission.workforce", "replayed"),
        ("submission.workforce", "refused (422)"),
        ("submission.workforce", "refused (422)"),
        ("submission.workforce", "accepted"),
        ("key.revoke", "revoked"),
        ("authenticate", "refused (401)"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, o)| (a.to_string(), o.to_string()))
        .collect();
    assert_eq!(outcomes, expected, "{log}");
    let accepted_rows: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("\tsubmission.workforce\t") && l.contains("\taccepted\t"))
        .map(|l| l.rsplit('\t').next().expect("rows"))
        .collect();
    assert_eq!(
        accepted_rows,
        ["1", "2"],
        "accepted rows are recorded: {log}"
    );

    // Over GraphQL, for admin keys only, and never from or into the shared cache.
    let query = "{ auditLog(first: 3) { action outcome rows keyId } }";
    let ask = |key: Option<&str>| {
        let mut request = app
            .client
            .get(app.url("/graphql"))
            .query(&[("query", query)]);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        request.send()
    };
    let answer = ask(Some(&admin)).await.expect("sent");
    assert_eq!(answer.headers()["cache-control"], "private, no-store");
    assert!(answer.headers().get("etag").is_none());
    let body: Value = answer.json().await.expect("json");
    let newest = &body["data"]["auditLog"];
    assert_eq!(newest.as_array().map(Vec::len), Some(3), "{body}");
    assert_eq!(newest[0]["action"], "authenticate");
    assert_eq!(newest[1]["action"], "key.revoke");
    assert_eq!(newest[2]["outcome"], "accepted");
    assert_eq!(newest[2]["rows"], 1);
    for (key, code) in [
        (None, "UNAUTHENTICATED"),
        (Some(partner.as_str()), "FORBIDDEN"),
    ] {
        let body: Value = ask(key).await.expect("sent").json().await.expect("json");
        assert_eq!(error_code(&body), code, "{body}");
        assert!(body["data"].is_null(), "{body}");
    }
    let posted: Value = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({ "query": query }))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(posted["data"]["auditLog"][0]["action"], "authenticate");
    let forged_query = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "{ __typename }")])
        .bearer_auth(&forged)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        forged_query.status(),
        StatusCode::UNAUTHORIZED,
        "a bad key is never taken for the public"
    );
    app.stop().await;
}

async fn command_line_imports_are_in_the_audit_log(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let good = dir.path().join("good.csv");
    std::fs::write(&good, csv("EMP-C", &["P1", "P2", "P3"])).expect("written");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, csv("EMP-C", &["P1", "P1"])).expect("written");
    let path = |p: &std::path::Path| p.to_str().expect("utf-8").to_owned();
    let args =
        |file: &str| ["import", "workforce", "--new-employer", "EMP-C", file].map(str::to_owned);
    let run = |file: &str| cli(&app, &args(file).each_ref().map(String::as_str));
    run(&path(&good)).expect("imported");
    assert!(run(&path(&bad)).is_err(), "a person twice is refused");
    let dry = cli(&app, &["import", "workforce", "--dry-run", &path(&good)]);
    assert!(dry.is_ok(), "{dry:?}");

    let log = cli(&app, &["audit"]).expect("the audit log");
    let events: Vec<Vec<&str>> = log
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect())
        .collect();
    // Newest first; the dry run wrote nothing and is not an event.
    assert_eq!(events.len(), 2, "{log}");
    assert_eq!(
        events[1][2..5],
        ["command line", "import.workforce", "good.csv"]
    );
    assert_eq!(events[1][5], "accepted");
    assert_eq!(events[1][6], "3");
    assert_eq!(events[0][4], "bad.csv");
    assert!(events[0][5].starts_with("refused: 1 problem(s)"), "{log}");
    app.stop().await;
}

async fn admins_submit_programme_figures_over_http(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let admin = new_key(&app, "admin", None);
    let employer = new_key(&app, "employer", Some("EMP-P"));
    let programmes = "code,name,description,stage,owner,owner_name,source,licence\n\
        club,Club,After-school club,outreach,ACME,Acme,Acme annual report 2024,CC BY 4.0\n";
    let figures = "programme,metric,unit,period,kind,value,area_code,note\n\
        club,visits,events,2023,actual,5,E08000026,\n\
        club,visits,events,2024,actual,7,E08000026,\n";
    let boundary = "programme-parts";
    let multipart = |figures: &str| {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"programmes\"; filename=\"club.csv\"\r\n\r\n{programmes}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"figures\"; filename=\"club-figures.csv\"\r\n\r\n{figures}\r\n\
             --{boundary}--\r\n"
        )
    };
    let send = |key: Option<&str>, body: String| {
        let mut request = app
            .client
            .post(app.url("/submissions/programmes"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        request.send()
    };
    let club = || {
        app.data(r#"{ programme(code: "club") { series(metric: "visits") { period actual } } }"#)
    };

    let refused = send(None, multipart(figures)).await.expect("sent");
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let refused = send(Some(&employer), multipart(figures))
        .await
        .expect("sent");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let bad = figures.replace(",5,", ",-5,");
    let refused = send(Some(&admin), multipart(&bad)).await.expect("sent");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = refused.json().await.expect("json");
    let problems = &body["errors"][0]["extensions"]["problems"];
    assert_eq!(problems[0]["file"], "club-figures.csv", "{body}");
    assert_eq!(problems[0]["line"], 2, "{body}");
    assert!(club().await["programme"].is_null(), "nothing was written");

    let accepted = send(Some(&admin), multipart(figures)).await.expect("sent");
    assert_eq!(accepted.status(), StatusCode::CREATED);
    let body: Value = accepted.json().await.expect("json");
    assert_eq!(body["programmes"], 1);
    assert_eq!(body["figures"]["club"], 2);
    let series = club().await;
    assert_eq!(
        series["programme"]["series"],
        serde_json::json!([{ "period": "2023", "actual": 5.0 }, { "period": "2024", "actual": 7.0 }])
    );

    let log = cli(&app, &["audit"]).expect("the audit log");
    let outcomes: Vec<String> = log
        .lines()
        .filter(|l| l.contains("\tsubmission.programmes\t"))
        .map(|l| {
            l.split('\t')
                .nth(5)
                .expect("outcome")
                .split(':')
                .next()
                .expect("x")
                .to_owned()
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            "accepted",
            "refused (422)",
            "refused (403)",
            "refused (401)"
        ],
        "{log}"
    );
    app.stop().await;
}

/// Attacks on the key header and the upload: each is refused with a clean status and writes
/// nothing; a good key is counted against its own rate limit.
async fn odd_keys_and_uploads_are_refused_cleanly(store: Store) {
    let Some(app) = TestApp::spawn_with(store, |c| {
        c.person_key = PersonKey::new(b"the submissions test person key");
        c.rate_limits.per_minute = 100;
        c.rate_limits.key_per_minute = 1000;
    })
    .await
    else {
        return;
    };
    let admin = new_key(&app, "admin", None);
    let partner = new_key(&app, "partner", None);
    let secret = &admin[admin.rfind('_').expect("secret") + 1..];
    let odd: Vec<reqwest::header::HeaderValue> = vec![
        reqwest::header::HeaderValue::from_str(&format!("Bearer {}", "x".repeat(8_000)))
            .expect("value"),
        reqwest::header::HeaderValue::from_bytes(b"Bearer \xff\xfe").expect("value"),
        reqwest::header::HeaderValue::from_str(&format!("Bearer mx_99999999999_{secret}"))
            .expect("value"),
        reqwest::header::HeaderValue::from_str(&format!("Bearer mx_1_{secret}{secret}"))
            .expect("value"),
        reqwest::header::HeaderValue::from_static("Basic dXNlcjpwYXNz"),
    ];
    for value in odd {
        for (method, path) in [
            ("POST", "/graphql"),
            ("GET", "/graphql?query=%7B__typename%7D&format=csv"),
            ("GET", "/graphql?query=%7B__typename%7D"),
            ("POST", "/submissions/workforce"),
        ] {
            let request = match method {
                "POST" => app
                    .client
                    .post(app.url(path))
                    .json(&serde_json::json!({ "query": "{ __typename }" })),
                _ => app.client.get(app.url(path)),
            };
            let response = request
                .header("authorization", value.clone())
                .send()
                .await
                .expect("sent");
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{method} {path}"
            );
            let body: Value = response.json().await.expect("json");
            assert_eq!(error_code(&body), "UNAUTHENTICATED");
        }
    }

    let long = "k".repeat(300);
    for key in [long.as_str(), ""] {
        let (status, _, _) = submit(&app, Some(&admin), &[("idempotency-key", key)], "x").await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "key of {} bytes",
            key.len()
        );
    }
    let multipart = |body: &'static str, content_type: &'static str| {
        app.client
            .post(app.url("/submissions/workforce"))
            .bearer_auth(&admin)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let no_file = "--b\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--b--\r\n";
    for (body, content_type) in [
        (no_file, "multipart/form-data; boundary=b"),
        ("garbage", "multipart/form-data; boundary=b"),
        ("garbage", "multipart/form-data"),
    ] {
        let response = multipart(body, content_type).await.expect("sent");
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{content_type}: {body}"
        );
    }
    let (status, _, body) = submit(&app, Some(&admin), &[], "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_code(&body), "INVALID_FILE");
    assert_eq!(stored(&app).await, (0, 0), "nothing was written");

    // A key is limited as a key, the public by its address.
    let limit = |key: Option<&str>| {
        let mut request = app.client.get(app.url("/graphql?query=%7B__typename%7D"));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        async move {
            let response = request.send().await.expect("sent");
            assert_eq!(response.status(), StatusCode::OK);
            response.headers()["ratelimit-limit"]
                .to_str()
                .expect("text")
                .to_owned()
        }
    };
    assert_eq!(limit(None).await, "100");
    assert_eq!(limit(Some(&partner)).await, "1000");
    app.stop().await;
}

async fn the_same_upload_twice_at_once_imports_once(store: Store) {
    let Some(app) = TestApp::spawn_with(store, |c| {
        c.person_key = PersonKey::new(b"the submissions test person key");
    })
    .await
    else {
        return;
    };
    let employer = new_key(&app, "employer", Some("EMP-D"));
    let people: Vec<String> = (0..5_000).map(|i| format!("P{i}")).collect();
    let people: Vec<&str> = people.iter().map(String::as_str).collect();
    let body = csv("EMP-D", &people);
    // A client that retried before the first answer came: both in flight together, however
    // the server interleaves them.
    let headers = [("idempotency-key", "emp-d-2024")];
    let (one, two) = tokio::join!(
        submit(&app, Some(&employer), &headers, body.clone()),
        submit(&app, Some(&employer), &headers, body.clone()),
    );
    let (first, second) = if one.1.get("idempotent-replayed").is_none() {
        (one, two)
    } else {
        (two, one)
    };
    assert_eq!(first.0, StatusCode::CREATED, "{}", first.2);
    assert_eq!(first.2["rows"], 5_000);
    // The second either found the first's answer, or was stopped before it had read its
    // body (so cannot know it is the same file) and is asked to send it again.
    let second = if second.0 == StatusCode::CONFLICT {
        assert_eq!(
            error_code(&second.2),
            "IDEMPOTENCY_KEY_IN_USE",
            "{}",
            second.2
        );
        submit(&app, Some(&employer), &headers, body.clone()).await
    } else {
        second
    };
    assert_eq!(second.0, StatusCode::CREATED, "{}", second.2);
    assert_eq!(second.1["idempotent-replayed"], "true");
    assert_eq!(second.2, first.2, "the same answer to both");
    assert_eq!(stored(&app).await, (5_000, 1), "imported once");
    app.stop().await;
}

on_both_stores!(
    the_same_upload_twice_at_once_imports_once,
    employers_submit_over_http_with_keys_and_every_refusal_is_recorded,
    command_line_imports_are_in_the_audit_log,
    admins_submit_programme_figures_over_http,
    odd_keys_and_uploads_are_refused_cleanly,
);
