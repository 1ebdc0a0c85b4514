//! Starting the real server on an ephemeral port, on a fresh SQLite file or a fresh
//! PostgreSQL database, and talking to it over HTTP.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use mobility_explorer::app::App;
use mobility_explorer::config::Config;
use mobility_explorer::store::Live;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// Which store a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Store {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

fn postgres_required() -> bool {
    std::env::var("REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

static NEXT_DB: AtomicU64 = AtomicU64::new(0);

/// A store of its own for one test: a SQLite file in a temporary directory, or a new
/// PostgreSQL database dropped when the test ends, even when it ends in a panic.
pub struct TestStore {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(DatabaseConnection, DropGuard)>,
}

/// Drops a test's PostgreSQL database when dropped itself, unless [`TestStore::drop_store`]
/// already did: a test that panics unwinds through this and leaves no database behind.
struct DropGuard {
    admin_url: String,
    name: String,
    dropped: bool,
}

impl DropGuard {
    fn statement(&self) -> String {
        format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name)
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        // Drop cannot await, and the thread running it may be inside a runtime (where
        // another cannot be started), so the statement runs on a thread of its own with a
        // small runtime of its own; this waits for it. Nothing here may panic: this also runs
        // while a failed test unwinds.
        let url = self.admin_url.clone();
        let statement = self.statement();
        let name = self.name.clone();
        let outcome = std::thread::Builder::new()
            .name(format!("drop {name}"))
            .spawn(move || -> Result<(), String> {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())?;
                runtime.block_on(async {
                    let admin = Database::connect(url.as_str())
                        .await
                        .map_err(|e| e.to_string())?;
                    let dropped = admin.execute_unprepared(&statement).await;
                    admin.close().await.ok();
                    dropped.map(|_| ()).map_err(|e| e.to_string())
                })
            })
            .map_err(|e| e.to_string())
            .and_then(|thread| {
                thread
                    .join()
                    .unwrap_or_else(|_| Err("the thread panicked".to_owned()))
            });
        if let Err(e) = outcome {
            eprintln!("could not drop test database {name}: {e}");
        }
    }
}

impl TestStore {
    /// `None` when PostgreSQL is unreachable and not required (the reason is printed).
    pub async fn new(store: Store) -> Option<TestStore> {
        match store {
            Store::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}/explorer.db?mode=rwc", dir.path().display());
                Some(TestStore {
                    url,
                    _dir: Some(dir),
                    postgres: None,
                })
            }
            Store::Postgres => {
                let admin_url = postgres_admin_url();
                let admin = match Database::connect(admin_url.as_str()).await {
                    Ok(db) => db,
                    Err(e) => {
                        if postgres_required() {
                            panic!(
                                "PostgreSQL required (REQUIRE_POSTGRES=1) but unreachable at {admin_url}: {e}"
                            );
                        }
                        eprintln!(
                            "skipped: PostgreSQL unreachable at {admin_url} ({e}); set TEST_POSTGRES_URL to run PostgreSQL tests"
                        );
                        return None;
                    }
                };
                let name = format!(
                    "mx_test_{}_{}_{}",
                    std::process::id(),
                    NEXT_DB.fetch_add(1, Ordering::Relaxed),
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.subsec_nanos())
                        .unwrap_or(0)
                );
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(base, _)| base.to_owned())
                    .expect("database URL has a path");
                let guard = DropGuard {
                    admin_url,
                    name: name.clone(),
                    dropped: false,
                };
                Some(TestStore {
                    url: format!("{base}/{name}"),
                    _dir: None,
                    postgres: Some((admin, guard)),
                })
            }
        }
    }

    /// The PostgreSQL database's name (`None` on SQLite).
    pub fn postgres_name(&self) -> Option<&str> {
        self.postgres.as_ref().map(|(_, guard)| guard.name.as_str())
    }

    /// Drops the PostgreSQL database (SQLite files go with their directory). A store dropped
    /// without this (a test that panicked) drops its database all the same, synchronously.
    pub async fn drop_store(mut self) {
        if let Some((admin, guard)) = self.postgres.as_mut() {
            if admin.execute_unprepared(&guard.statement()).await.is_ok() {
                guard.dropped = true;
            }
            admin.clone().close().await.ok();
        }
    }
}

/// A running server.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    live: Live,
    statements: Arc<AtomicU64>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    store: Option<TestStore>,
    /// The URL the server was started on.
    url: String,
}

impl TestApp {
    /// Starts the server with default settings on a fresh store.
    pub async fn spawn(store: Store) -> Option<TestApp> {
        Self::spawn_with(store, |_| {}).await
    }

    /// Starts the server with settings adjusted by `adjust`.
    pub async fn spawn_with(store: Store, adjust: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let store = TestStore::new(store).await?;
        let mut app = Self::spawn_on(&store.url, adjust).await;
        app.store = Some(store);
        Some(app)
    }

    /// Starts the server on a store the caller owns (and drops).
    pub async fn spawn_on(url: &str, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = Config::new(url.to_owned(), "127.0.0.1:0".parse().expect("addr"));
        adjust(&mut config);
        let app = App::build(config).await.expect("the server starts");
        let addr = app.local_addr().expect("bound");
        let db = app.db().clone();
        let live = app.live();
        let statements = app.statement_counter();
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            app.run_until(async {
                let _ = rx.await;
            })
            .await
            .expect("the server runs");
        });
        TestApp {
            addr,
            client: reqwest::Client::new(),
            db,
            live,
            statements,
            shutdown: Some(tx),
            server: Some(server),
            store: None,
            url: url.to_owned(),
        }
    }

    /// The URL of the store the app was started on.
    pub fn store_url(&self) -> &str {
        &self.url
    }

    /// The PostgreSQL database's name, when the server runs on one this app owns.
    pub fn postgres_name(&self) -> Option<&str> {
        self.store.as_ref().and_then(TestStore::postgres_name)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Has the server serve what the store holds now, as its next poll would: tests that
    /// import beside the server call it (through the query helpers) so no answer depends on
    /// the poll's timing. A busy store may refuse a connection for a while; it is asked
    /// again until it answers.
    pub async fn sync(&self) {
        let mut failures = 0;
        while let Err(e) = self.live.refresh(&self.db).await {
            failures += 1;
            assert!(failures < 300, "the store never answered: {e}");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// The data the server answers from.
    pub fn live(&self) -> &Live {
        &self.live
    }

    /// Opens a raw connection to the server and sends `bytes`.
    pub async fn raw(&self, bytes: &[u8]) -> tokio::net::TcpStream {
        use tokio::io::AsyncWriteExt;
        let mut stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .expect("connected");
        stream.write_all(bytes).await.expect("sent");
        stream
    }

    /// Starts a GraphQL request whose body never finishes: while its connection stays open,
    /// it holds a slot of the concurrency cap.
    pub async fn held_request(&self) -> tokio::net::TcpStream {
        self.raw(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"query\":")
            .await
    }

    /// GETs a path.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// POSTs `body` as JSON to `/graphql`, as it is (no sync first).
    pub async fn post(&self, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url("/graphql"))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// POSTs a query and returns the JSON answer (whatever the status).
    pub async fn query(&self, query: &str) -> Value {
        self.query_with(query, json!({})).await
    }

    /// POSTs a query with variables and returns the JSON answer.
    pub async fn query_with(&self, query: &str, variables: Value) -> Value {
        self.sync().await;
        self.client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request sent")
            .json()
            .await
            .expect("JSON answer")
    }

    /// POSTs a query and returns its data, failing the test on any error.
    pub async fn data(&self, query: &str) -> Value {
        let answer = self.query(query).await;
        assert!(
            answer.get("errors").is_none(),
            "unexpected errors: {answer}"
        );
        answer["data"].clone()
    }

    /// SQL statements run on the store so far.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::SeqCst)
    }

    /// Stops the server and drops its store.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.db.clone().close().await.ok();
        if let Some(store) = self.store.take() {
            store.drop_store().await;
        }
    }
}

/// The first error's `extensions.code`.
pub fn error_code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {answer}"))
}

/// The first error's `extensions.limit` and `extensions.limitValue`.
pub fn limit_of(answer: &Value) -> (&str, u64) {
    let ext = &answer["errors"][0]["extensions"];
    (
        ext["limit"]
            .as_str()
            .unwrap_or_else(|| panic!("no limit in {answer}")),
        ext["limitValue"]
            .as_u64()
            .unwrap_or_else(|| panic!("no value in {answer}")),
    )
}

/// The first error's message.
pub fn error_message(answer: &Value) -> &str {
    answer["errors"][0]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no error message in {answer}"))
}

/// Generates one `#[tokio::test]` per store for each `async fn name(store: Store)`.
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_sqlite() {
                    super::$name($crate::helpers::Store::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_postgres() {
                    super::$name($crate::helpers::Store::Postgres).await
                }
            }
        )*
    };
}

/// The problems an import refused its input for; panics when it did anything else.
pub fn import_problems<T: std::fmt::Debug>(
    result: Result<T, mobility_explorer::import::ImportError>,
) -> Vec<mobility_explorer::import::Problem> {
    match result {
        Err(mobility_explorer::import::ImportError::Invalid(problems)) => problems,
        other => panic!("expected problems, got {other:?}"),
    }
}

/// Asserts that `problems` is one problem, at `file`, `line` and `column`, whose reason says
/// `reason`.
pub fn assert_one_problem(
    problems: &[mobility_explorer::import::Problem],
    (file, line, column): (&str, u64, &str),
    reason: &str,
) {
    assert_eq!(problems.len(), 1, "{problems:#?}");
    let p = &problems[0];
    assert_eq!(
        (p.file.as_str(), p.line, p.column.as_deref()),
        (file, Some(line), Some(column)),
        "{problems:#?}"
    );
    assert!(p.reason.contains(reason), "{problems:#?}");
}

/// Every row of a bundled reference file (a path under `data/reference`), as a map from
/// column to value: the data-truth tests read the files on their own terms.
pub fn bundled_csv(file: &str) -> Vec<std::collections::HashMap<String, String>> {
    let path = format!("{}/data/reference/{file}", env!("CARGO_MANIFEST_DIR"));
    let mut reader = csv::Reader::from_path(&path).expect("bundled file");
    let header = reader.headers().expect("header").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            header
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}
