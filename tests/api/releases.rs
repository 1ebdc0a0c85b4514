//! Releases over real HTTP: an employer's submission is a draft seen only with its own key
//! (and admin keys), an admin publishes it, the public then reads it; a correction is a new
//! release, and the earlier one can still be read by number.

use mobility_explorer::domain::workforce::PersonKey;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Store, TestApp, error_code};
use crate::on_both_stores;
use crate::submissions::{cli, csv, new_key, stored, submit};

/// The figures a workforce question about `employer` gives, read as `key` (none: the
/// public), of release `release` if given.
const FIGURES: &str = "query($employers: [String!], $release: String) {
    workforce(filter: { employers: $employers }, release: $release) {
        headcount includesDrafts release { number corrects notes }
        employers { code snapshots { year release source } }
    }
}";

/// Asks `query` over GET (so the public's answers go through the shared response cache) as
/// `key`.
async fn ask(app: &TestApp, key: Option<&str>, query: &str, variables: Value) -> Value {
    let mut request = app.client.get(app.url("/graphql")).query(&[
        ("query", query.to_owned()),
        ("variables", variables.to_string()),
    ]);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    request
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json")
}

/// The workforce figures of `employer` read by `key`, of `release` if given.
async fn figures(app: &TestApp, key: Option<&str>, employer: &str, release: Option<&str>) -> Value {
    let variables = json!({ "employers": [employer], "release": release });
    ask(app, key, FIGURES, variables).await
}

/// The employer codes listed to `key`.
async fn listed(app: &TestApp, key: Option<&str>) -> Vec<String> {
    let body = ask(app, key, "{ employers { code } }", json!({})).await;
    body["data"]["employers"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|e| e["code"].as_str().expect("code").to_owned())
        .collect()
}

/// POSTs a release as `key`.
async fn publish(app: &TestApp, key: Option<&str>, body: &str) -> (StatusCode, Value) {
    let mut request = app
        .client
        .post(app.url("/releases"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.expect("sent");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn people(n: usize, prefix: &str) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

async fn drafts_are_seen_only_with_their_key_until_an_admin_publishes_them(store: Store) {
    let Some(app) = TestApp::spawn_with(store, |c| {
        c.person_key = PersonKey::new(b"the releases test person key");
        // No poll in time: what the server writes itself it must serve at once, and what the
        // command line writes is loaded by `sync`.
        c.data_poll = std::time::Duration::from_secs(3_600);
    })
    .await
    else {
        return;
    };
    let admin = new_key(&app, "admin", None);
    let employer = new_key(&app, "employer", Some("EMP-R"));
    let other = new_key(&app, "employer", Some("EMP-Q"));
    let partner = new_key(&app, "partner", None);
    let first = people(40, "A");
    let first: Vec<&str> = first.iter().map(String::as_str).collect();
    let (status, _, body) = submit(&app, Some(&employer), &[], csv("EMP-R", &first)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["published"], false, "{body}");

    // The draft: its employer's key sees it, under disclosure control; no one else does.
    let own = figures(&app, Some(&employer), "EMP-R", None).await;
    let draft = &own["data"]["workforce"];
    assert_eq!(draft["includesDrafts"], true, "{own}");
    assert!(draft["release"].is_null(), "no release yet: {own}");
    assert_eq!(
        draft["employers"][0]["snapshots"][0]["release"],
        Value::Null
    );
    let draft_headcount = draft["headcount"].as_u64().expect("a headcount");
    assert!(
        draft_headcount.abs_diff(40) <= 5,
        "perturbed, never exact by design: {draft_headcount}"
    );
    let admin_sees = figures(&app, Some(&admin), "EMP-R", None).await;
    assert_eq!(
        admin_sees["data"]["workforce"]["headcount"], draft_headcount,
        "the same cells, the same perturbation"
    );
    for (key, who) in [
        (None, "the public"),
        (Some(partner.as_str()), "a partner"),
        (Some(other.as_str()), "another employer"),
    ] {
        let answer = figures(&app, key, "EMP-R", None).await;
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{who}: {answer}");
        assert!(answer["data"].is_null(), "{who}: {answer}");
        assert!(
            !listed(&app, key).await.contains(&"EMP-R".to_owned()),
            "{who}"
        );
    }
    assert!(
        listed(&app, Some(&employer))
            .await
            .contains(&"EMP-R".to_owned())
    );
    let latest_only = figures(&app, Some(&employer), "EMP-R", Some("latest")).await;
    assert_eq!(error_code(&latest_only), "BAD_USER_INPUT", "{latest_only}");
    let asked_drafts = figures(&app, None, "EMP-R", Some("draft")).await;
    assert_eq!(
        error_code(&asked_drafts),
        "UNAUTHENTICATED",
        "{asked_drafts}"
    );
    let asked_drafts = figures(&app, Some(&partner), "EMP-R", Some("draft")).await;
    assert_eq!(error_code(&asked_drafts), "FORBIDDEN", "{asked_drafts}");
    let no_such = figures(&app, None, "EMP-R", Some("7")).await;
    assert_eq!(error_code(&no_such), "BAD_USER_INPUT", "{no_such}");

    // Publishing: admin keys only, with notes, of drafts there are; refusals write nothing.
    let notes = r#"{"notes": "2024 returns"}"#;
    let (status, body) = publish(&app, None, notes).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED")
    );
    let (status, body) = publish(&app, Some(&employer), notes).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "FORBIDDEN")
    );
    let (status, _) = publish(&app, Some(&admin), "notes: 2024").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = publish(&app, Some(&admin), r#"{"notes": "  "}"#).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = publish(&app, Some(&admin), r#"{"notes": "x", "corrects": 9}"#).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        cli(&app, &["release", "list"])
            .expect("listed")
            .lines()
            .count()
            == 1
    );
    let (status, body) = publish(&app, Some(&admin), notes).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["release"]["number"], 1, "{body}");
    assert_eq!(
        body["snapshots"],
        json!([{ "employer": "EMP-R", "year": 2024, "replacesRelease": null }])
    );
    let (status, body) = publish(&app, Some(&admin), notes).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "NOTHING_TO_PUBLISH")
    );

    // Published: the public reads what the employer saw, and the release it comes from.
    let public = figures(&app, None, "EMP-R", None).await;
    let published = &public["data"]["workforce"];
    assert_eq!(published["headcount"], draft_headcount, "{public}");
    assert_eq!(published["includesDrafts"], false);
    assert_eq!(published["release"]["number"], 1);
    assert_eq!(published["release"]["notes"], "2024 returns");
    assert_eq!(published["employers"][0]["snapshots"][0]["release"], 1);
    assert!(listed(&app, None).await.contains(&"EMP-R".to_owned()));

    // A correction: a new draft the public does not see until it is released, by the
    // command line this time, saying what it corrects.
    let second = people(80, "B");
    let second: Vec<&str> = second.iter().map(String::as_str).collect();
    let (status, _, body) = submit(&app, Some(&employer), &[], csv("EMP-R", &second)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["snapshots"][0]["replaced"], true, "{body}");
    let corrected = figures(&app, Some(&employer), "EMP-R", None).await;
    let corrected_headcount = corrected["data"]["workforce"]["headcount"]
        .as_u64()
        .expect("a headcount");
    assert!(corrected_headcount.abs_diff(80) <= 5, "{corrected}");
    let public = figures(&app, None, "EMP-R", None).await;
    assert_eq!(
        public["data"]["workforce"]["headcount"], draft_headcount,
        "the public still reads release 1"
    );
    let out = cli(
        &app,
        &[
            "release",
            "publish",
            "--notes",
            "2024 corrected",
            "--corrects",
            "1",
        ],
    )
    .expect("published");
    assert!(
        out.contains("Published release 2: 1 snapshot(s), 80 staff records."),
        "{out}"
    );
    assert!(
        out.contains("EMP-R 2024: corrects release 1's figures"),
        "{out}"
    );
    assert!(cli(&app, &["release", "publish", "--notes", "again"]).is_err());
    app.sync().await;
    let public = figures(&app, None, "EMP-R", None).await;
    let now = &public["data"]["workforce"];
    assert_eq!(now["headcount"], corrected_headcount, "{public}");
    assert_eq!(now["release"]["number"], 2);
    assert_eq!(now["release"]["corrects"], 1);
    let earlier = figures(&app, None, "EMP-R", Some("1")).await;
    let then = &earlier["data"]["workforce"];
    assert_eq!(
        then["headcount"], draft_headcount,
        "release 1 is still read: {earlier}"
    );
    assert_eq!(then["release"]["number"], 1);
    assert_eq!(then["employers"][0]["snapshots"][0]["release"], 1);
    let releases = ask(
        &app,
        None,
        "{ releases { number corrects notes snapshots { employer year replacesRelease } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        releases["data"]["releases"],
        json!([
            {
                "number": 2, "corrects": 1, "notes": "2024 corrected",
                "snapshots": [{ "employer": "EMP-R", "year": 2024, "replacesRelease": 1 }],
            },
            {
                "number": 1, "corrects": null, "notes": "2024 returns",
                "snapshots": [{ "employer": "EMP-R", "year": 2024, "replacesRelease": null }],
            },
        ])
    );
    let said = ask(
        &app,
        None,
        "{ workforce(release: \"1\") { release { number snapshots { employer replacesRelease } } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        said["data"]["workforce"]["release"],
        json!({ "number": 1, "snapshots": [{ "employer": "EMP-R", "replacesRelease": null }] })
    );
    // Odd release names are refused, quoted back cut short.
    let long = "7".repeat(5_000);
    for odd in [
        "-1",
        "0",
        "2.0",
        " ",
        "9999999999999",
        "\u{0}",
        long.as_str(),
    ] {
        let answer = figures(&app, None, "EMP-R", Some(odd)).await;
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{odd:?}: {answer}");
        let message = answer["errors"][0]["message"].as_str().expect("a message");
        assert!(message.len() < 400, "{message}");
    }
    assert_eq!(stored(&app).await, (120, 2), "both versions are kept");
    let snapshots = cli(&app, &["snapshots", "list"]).expect("listed");
    assert!(snapshots.contains("EMP-R\t2024\t1\t40\t"), "{snapshots}");
    assert!(snapshots.contains("EMP-R\t2024\t2\t80\t"), "{snapshots}");

    // The audit log has every publication and every refusal of one.
    let log = cli(&app, &["audit"]).expect("the audit log");
    let mut publications: Vec<(String, String)> = log
        .lines()
        .filter(|l| l.contains("\trelease.publish\t"))
        .map(|l| {
            let fields: Vec<&str> = l.split('\t').collect();
            let outcome = fields[5].split(':').next().expect("outcome").to_owned();
            (fields[2].to_owned(), outcome)
        })
        .collect();
    publications.reverse();
    let actors: Vec<&str> = publications.iter().map(|(a, _)| a.as_str()).collect();
    let outcomes: Vec<&str> = publications.iter().map(|(_, o)| o.as_str()).collect();
    assert_eq!(
        outcomes,
        [
            "refused (401)",
            "refused (403)",
            "refused (422)",
            "refused (422)",
            "published",
            "refused (409)",
            "published"
        ],
        "{log}"
    );
    assert!(actors[4].contains("admin"), "{log}");
    assert_eq!(actors[6], "command line", "{log}");
    app.stop().await;
}

async fn command_line_imports_are_published_at_once_unless_drafted(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("emp-c.csv");
    let rows = people(30, "C");
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    std::fs::write(&file, csv("EMP-C", &rows)).expect("written");
    let path = file.to_str().expect("utf-8 path");
    let out = cli(
        &app,
        &["import", "workforce", "--new-employer", "EMP-C", path],
    )
    .expect("imported");
    assert!(!out.is_empty());
    app.sync().await;
    let public = figures(&app, None, "EMP-C", None).await;
    assert_eq!(
        public["data"]["workforce"]["release"]["number"], 1,
        "{public}"
    );
    std::fs::write(&file, csv("EMP-C", &rows[..20])).expect("written");
    cli(&app, &["import", "workforce", "--draft", path]).expect("imported as a draft");
    app.sync().await;
    let public = figures(&app, None, "EMP-C", None).await;
    let snapshots = &public["data"]["workforce"]["employers"][0]["snapshots"];
    assert_eq!(
        snapshots[0]["release"], 1,
        "the draft is not public: {public}"
    );
    let releases = cli(&app, &["release", "list"]).expect("listed");
    assert_eq!(releases.lines().count(), 2, "{releases}");
    assert!(
        releases.contains("\tcommand line\tImported from "),
        "{releases}"
    );
    let listed = cli(&app, &["snapshots", "list"]).expect("listed");
    assert!(listed.contains("EMP-C\t2024\tdraft\t20\t"), "{listed}");
    // Deleting the year takes every version of it.
    let out = cli(
        &app,
        &[
            "snapshots",
            "delete",
            "--employer",
            "EMP-C",
            "--year",
            "2024",
        ],
    )
    .expect("deleted");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert_eq!(stored(&app).await, (0, 0));
    app.stop().await;
}

on_both_stores!(
    drafts_are_seen_only_with_their_key_until_an_admin_publishes_them,
    command_line_imports_are_published_at_once_unless_drafted,
);
