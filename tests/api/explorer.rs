//! The reference explorer at `/`: its page and files over HTTP, and end to end in a real
//! browser. The browser tests (`tests/browser/explorer.mjs`) drive Debian's Chromium with
//! playwright-core; without them installed they print why they skipped, unless
//! `REQUIRE_BROWSER=1` (as in CI), when they fail instead.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
};
use sha2::{Digest, Sha384};

use crate::helpers::{Store, TestApp};
use crate::http::{assert_policy, page_assets};
use crate::on_both_stores;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_explorer_comes_whole_from_this_server_under_a_strict_policy() {
    let Some(app) = TestApp::spawn(Store::Sqlite).await else {
        return;
    };
    let response = browser_page_at(&app, "/").await;
    assert_eq!(response.status(), StatusCode::OK);
    let policy = assert_policy(
        &response,
        &[
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        ],
    );
    assert!(!policy.contains("unsafe"), "{policy}");
    let html = response.text().await.expect("text");
    assert!(
        html.contains("Open Government Licence v.3.0"),
        "the OGL attribution"
    );

    let assets = page_assets(&html);
    assert!(assets.len() >= 10, "{assets:?}");
    let mut scripts = Vec::new();
    for (url, integrity) in &assets {
        assert!(
            url.starts_with("/explorer/"),
            "loaded from elsewhere: {url}"
        );
        let response = app.get(url).await;
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        let media = response.headers()[CONTENT_TYPE].to_str().expect("ASCII");
        let expected = if url.ends_with(".js") {
            "text/javascript"
        } else {
            "text/css"
        };
        assert!(media.starts_with(expected), "{url}: {media}");
        assert!(response.headers().contains_key(CACHE_CONTROL), "{url}");
        let body = response.bytes().await.expect("body");
        let actual = format!("sha384-{}", STANDARD.encode(Sha384::digest(&body)));
        assert_eq!(&actual, integrity, "{url}: the page and the file disagree");
        if url.ends_with(".js") {
            scripts.push(String::from_utf8(body.to_vec()).expect("UTF-8"));
        }
    }
    // A revalidating browser gets a 304 for a file it has.
    let (url, _) = &assets[0];
    let tag = app.get(url).await.headers()[ETAG].clone();
    let again = app
        .client
        .get(app.url(url))
        .header(IF_NONE_MATCH, tag)
        .send()
        .await
        .expect("sent");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{url}");

    // The map's outlines, named in its script, are served as TopoJSON for good, gzipped.
    let map = scripts
        .iter()
        .find(|s| s.contains("boundaries/"))
        .expect("a script names the outlines");
    let outlines: Vec<&str> = map
        .match_indices("\"/explorer/boundaries/")
        .map(|(at, _)| {
            let rest = &map[at + 1..];
            &rest[..rest.find('"').expect("quoted")]
        })
        .collect();
    assert_eq!(outlines.len(), 3, "{outlines:?}");
    for url in outlines {
        let response = app.get(url).await;
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        assert!(
            response.headers()[CACHE_CONTROL]
                .to_str()
                .expect("ASCII")
                .contains("immutable"),
            "{url}"
        );
        let plain = response.bytes().await.expect("body");
        let topology: serde_json::Value = serde_json::from_slice(&plain).expect("JSON");
        assert_eq!(topology["type"], "Topology", "{url}");
        let raw = reqwest::Client::builder()
            .no_gzip()
            .build()
            .expect("client");
        let gzipped = raw
            .get(app.url(url))
            .header(ACCEPT_ENCODING, "gzip")
            .send()
            .await
            .expect("sent");
        assert_eq!(gzipped.headers()[CONTENT_ENCODING], "gzip", "{url}");
        let body = gzipped.bytes().await.expect("body");
        assert!(
            body.len() * 2 < plain.len(),
            "{url}: {} of {}",
            body.len(),
            plain.len()
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_explorer_off_nothing_is_served_at_the_root() {
    let Some(app) = TestApp::spawn_with(Store::Sqlite, |c| c.explorer = false).await else {
        return;
    };
    for path in [
        "/",
        "/explorer/app.js",
        "/explorer/boundaries/lad-2021-buc.json",
    ] {
        let response = browser_page_at(&app, path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    app.stop().await;
}

async fn browser_page_at(app: &TestApp, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("accept", "text/html")
        .send()
        .await
        .expect("sent")
}

/// What the browser tests need, or why they cannot run here.
struct Browser {
    node: PathBuf,
    chromium: PathBuf,
    script: PathBuf,
}

impl Browser {
    fn find() -> Result<Browser, String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let chromium = std::env::var_os("CHROMIUM")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
        if !chromium.exists() {
            return Err(format!(
                "no Chromium at {} (apt-get install -y chromium chromium-driver, or set CHROMIUM)",
                chromium.display()
            ));
        }
        let node = PathBuf::from("node");
        let works = Command::new(&node).arg("--version").output();
        if !works.is_ok_and(|o| o.status.success()) {
            return Err("no Node.js on the PATH".to_owned());
        }
        let browser_tests = root.join("tests/browser");
        if !browser_tests.join("node_modules/playwright-core").exists() {
            return Err(
                "playwright-core is not installed (npm ci --prefix tests/browser)".to_owned(),
            );
        }
        Ok(Browser {
            node,
            chromium,
            script: browser_tests.join("explorer.mjs"),
        })
    }

    /// The browser, or `None` after saying why not; with `REQUIRE_BROWSER=1`, a panic.
    fn required() -> Option<Browser> {
        match Browser::find() {
            Ok(browser) => Some(browser),
            Err(why) if std::env::var("REQUIRE_BROWSER").is_ok_and(|v| v == "1") => {
                panic!("REQUIRE_BROWSER=1 but the browser tests cannot run: {why}")
            }
            Err(why) => {
                eprintln!("skipped: {why}");
                None
            }
        }
    }
}

/// Where the screenshots go: `target/screenshots/{store}/`.
fn screenshots(store: Store) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let name = match store {
        Store::Sqlite => "sqlite",
        Store::Postgres => "postgres",
    };
    target.join("screenshots").join(name)
}

on_both_stores!(the_explorer_works_in_a_real_browser);
/// On a server that answers persisted queries only, the map draws every area of each level
/// with the class the API gives it, the keyboard reaches the areas, the workforce table shows `[c]` exactly where the API withholds, each
/// page loads only public persisted queries and logs no error; screenshots of every page.
async fn the_explorer_works_in_a_real_browser(store: Store) {
    let Some(browser) = Browser::required() else {
        return;
    };
    // Trusted documents only: the page works on persisted queries alone.
    let Some(app) = TestApp::spawn_with(store, |c| {
        c.demo_data = true;
        c.trusted_documents_only = true;
    })
    .await
    else {
        return;
    };
    let base = app.url("");
    let shots = screenshots(store);
    let output = tokio::task::spawn_blocking(move || {
        Command::new(&browser.node)
            .arg(&browser.script)
            .arg("--base")
            .arg(base)
            .arg("--screenshots")
            .arg(shots)
            .arg("--chromium")
            .arg(&browser.chromium)
            .output()
    })
    .await
    .expect("joined")
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser tests failed:\n{stderr}\n{stdout}"
    );
    println!("{stdout}");
    app.stop().await;
}
