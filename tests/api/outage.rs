//! The store going away and coming back, seen from a client: a 503 `UNAVAILABLE` while it is
//! gone, readiness failing, and answers again once it is back, with no restart; an import cut
//! off from its store in the middle of a file fails (its reading thread and its writes do
//! not wait on each other) and writes nothing.
//!
//! The server reaches PostgreSQL through a TCP relay the test owns: taking the relay down cuts
//! every open connection and refuses new ones, as a stopped or unreachable server does.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::helpers::{Store, TestApp, TestStore, error_code};

/// A relay from a local port to PostgreSQL that can be cut and restored, or stalled (bytes
/// held, connections kept open: a store that hangs).
struct Relay {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    stalled: Arc<AtomicBool>,
    cut: watch::Sender<u64>,
}

/// Copies `from` to `to`, holding the bytes while `stalled` is set.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    stalled: Arc<AtomicBool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        while stalled.load(Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

impl Relay {
    async fn start(target: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("relay bound");
        let addr = listener.local_addr().expect("relay address");
        let up = Arc::new(AtomicBool::new(true));
        let stalled = Arc::new(AtomicBool::new(false));
        let (cut, _) = watch::channel(0u64);
        let (accept_up, accept_cut, accept_stalled) = (up.clone(), cut.clone(), stalled.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if !accept_up.load(Ordering::SeqCst) {
                    // Down: close at once, as a refused connection would.
                    drop(client);
                    continue;
                }
                let mut cut = accept_cut.subscribe();
                let stalled = accept_stalled.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(target).await else {
                        return;
                    };
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    tokio::select! {
                        () = pump(client_read, server_write, stalled.clone()) => {}
                        () = pump(server_read, client_write, stalled) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Relay {
            addr,
            up,
            stalled,
            cut,
        }
    }

    fn stall(&self, on: bool) {
        self.stalled.store(on, Ordering::SeqCst);
    }

    fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    fn up(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

fn postgres_target(url: &str) -> SocketAddr {
    let host = url
        .split_once('@')
        .map(|(_, rest)| rest)
        .and_then(|rest| rest.split('/').next())
        .expect("a host in the PostgreSQL URL");
    let host = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    };
    std::net::ToSocketAddrs::to_socket_addrs(&host)
        .expect("resolvable")
        .next()
        .expect("an address")
}

async fn answer(app: &TestApp) -> (u16, Value) {
    // A question never asked before (its alias is new), so it is run against the store and
    // not replayed from the answers kept in memory.
    static ASKED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = ASKED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let query = format!(r#"{{ area(code: "E12000007") {{ name }} question{n}: __typename }}"#);
    ask(app, &query).await
}

/// The answer to `query`, as status and body.
async fn ask(app: &TestApp, query: &str) -> (u16, Value) {
    let response = app.post(&serde_json::json!({ "query": query })).await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

/// The store's URL, through `relay`.
fn via(relay: &Relay, url: &str) -> String {
    let (base, name) = url.rsplit_once('/').expect("a database name");
    format!(
        "postgres://{}@{}/{name}",
        base.trim_start_matches("postgres://")
            .split('@')
            .next()
            .unwrap_or("postgres"),
        relay.addr
    )
}

/// Asks until the API answers again (bounded, so a loaded machine only makes it slower).
async fn answers_again(app: &TestApp) -> bool {
    for _ in 0..200 {
        let (status, body) = answer(app).await;
        if status == 200 && body["data"]["area"]["name"] == "London" {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_the_timeout_gets_503_and_the_server_goes_on() {
    let Some(store) = TestStore::new(Store::Postgres).await else {
        return;
    };
    let relay = Relay::start(postgres_target(&store.url)).await;
    let app = TestApp::spawn_on(&via(&relay, &store.url), |c| {
        c.request_timeout = std::time::Duration::from_secs(1);
        // Longer than the request may take, so the request's own deadline is what ends it
        // (a shorter wait would answer UNAVAILABLE first, as the other test checks).
        c.pool.acquire_timeout = std::time::Duration::from_secs(30);
    })
    .await;
    let (status, _) = answer(&app).await;
    assert_eq!(status, 200);
    // The store hangs: the connection the pool holds stays open but nothing comes back.
    relay.stall(true);
    let (status, body) = answer(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(error_code(&body), "TIMEOUT");
    relay.stall(false);
    assert!(
        answers_again(&app).await,
        "the API answers once the store does"
    );
    app.stop().await;
    store.drop_store().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_goes_away_gives_503_unavailable_and_the_api_recovers_by_itself() {
    let Some(store) = TestStore::new(Store::Postgres).await else {
        return;
    };
    let relay = Relay::start(postgres_target(&store.url)).await;
    let app = TestApp::spawn_on(&via(&relay, &store.url), |_| {}).await;

    let (status, body) = answer(&app).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["area"]["name"], "London");
    let asked = r#"{ area(code: "E12000007") { name code } }"#;
    let (status, before) = ask(&app, asked).await;
    assert_eq!(status, 200, "{before}");

    relay.down();
    // A complete answer the server holds for this data version is still given from memory.
    assert_eq!(ask(&app, asked).await, (200, before));
    let (status, body) = answer(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(error_code(&body), "UNAVAILABLE");
    assert!(
        !body.to_string().contains("127.0.0.1"),
        "no connection detail reaches the client: {body}"
    );
    assert_eq!(app.get("/readyz").await.status(), 503);
    assert_eq!(app.get("/healthz").await.status(), 200);
    // A table is never made of a failed answer: a partner's CSV gets the 503 too.
    let table = app
        .get("/q/indicator-values.csv?indicator=smc23_childhood_poverty")
        .await;
    assert_eq!(table.status(), 503);
    assert!(table.headers().contains_key("retry-after"));
    let body: Value = table.json().await.expect("a JSON error");
    assert_eq!(error_code(&body), "UNAVAILABLE", "{body}");

    relay.up();
    // The pool reconnects on its own.
    assert!(
        answers_again(&app).await,
        "the API answers again once the store is back"
    );
    assert_eq!(app.get("/readyz").await.status(), 200);
    app.stop().await;
    store.drop_store().await;
}

/// The bytes of `data`, read until `pause_after` bytes have gone: then it says so on `paused`
/// and waits for `resume` before giving the rest, as a slow upload would.
struct PausingReader {
    data: std::io::Cursor<Vec<u8>>,
    pause_after: u64,
    paused: Option<std::sync::mpsc::Sender<()>>,
    resume: std::sync::mpsc::Receiver<()>,
}

impl std::io::Read for PausingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(paused) = &self.paused {
            let left = self.pause_after.saturating_sub(self.data.position()) as usize;
            if left > 0 {
                let n = buf.len().min(left);
                return self.data.read(&mut buf[..n]);
            }
            let _ = paused.send(());
            self.paused = None;
            let _ = self.resume.recv();
        }
        self.data.read(buf)
    }
}

/// An import of 60,000 demo rows into `db`, started and paused half way through its file
/// (past its first batches, so it has staged rows): its task, and the sender that resumes
/// its reader.
async fn paused_import(
    db: sea_orm::DatabaseConnection,
    name: &'static str,
) -> (
    tokio::task::JoinHandle<
        Result<
            mobility_explorer::import::workforce::Summary,
            mobility_explorer::import::ImportError,
        >,
    >,
    std::sync::mpsc::Sender<()>,
) {
    let mut csv = Vec::new();
    mobility_explorer::demo::write_csv(&mut csv, 60_000, 7).expect("the demo file is written");
    let (paused_tx, paused) = std::sync::mpsc::channel();
    let (resume, resume_rx) = std::sync::mpsc::channel();
    let reader = PausingReader {
        pause_after: (csv.len() / 2) as u64,
        data: std::io::Cursor::new(csv),
        paused: Some(paused_tx),
        resume: resume_rx,
    };
    let key = mobility_explorer::domain::workforce::PersonKey::new(
        b"a test key of more than sixteen bytes",
    )
    .expect("long enough");
    let import = tokio::spawn(async move {
        mobility_explorer::import::workforce::import(&db, name, reader, &key).await
    });
    tokio::task::spawn_blocking(move || paused.recv())
        .await
        .expect("joined")
        .expect("the reader pauses half way");
    (import, resume)
}

/// What the import writes: the rows of each table it fills, and the data version.
async fn written(db: &sea_orm::DatabaseConnection) -> Vec<i64> {
    use sea_orm::ConnectionTrait;
    let mut figures = Vec::new();
    for sql in [
        "SELECT COUNT(*) AS n FROM staff_record",
        "SELECT COUNT(*) AS n FROM workforce_snapshot",
        "SELECT COUNT(*) AS n FROM workforce_cell",
        "SELECT COUNT(*) AS n FROM employer",
        "SELECT version AS n FROM data_version",
    ] {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                sql,
            ))
            .await
            .expect("counted")
            .expect("a row");
        figures.push(row.try_get::<i64>("", "n").expect("n"));
    }
    figures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_cut_off_from_its_store_in_mid_file_fails_and_writes_nothing() {
    let Some(store) = TestStore::new(Store::Postgres).await else {
        return;
    };
    let relay = Relay::start(postgres_target(&store.url)).await;
    let app = TestApp::spawn_on(&via(&relay, &store.url), |_| {}).await;
    let before = written(&app.db).await;
    let (import, resume) = paused_import(app.db.clone(), "cut.csv").await;
    relay.down();
    resume.send(()).expect("the reader resumes");
    // A hang here (the reading thread or the import waiting on each other) is the failure.
    let result = tokio::time::timeout(std::time::Duration::from_secs(120), import)
        .await
        .expect("the import ends once its store is gone")
        .expect("joined");
    let error = result.expect_err("an import without its store fails");
    assert!(
        matches!(error, mobility_explorer::import::ImportError::Store(_)),
        "{error}"
    );

    relay.up();
    let direct = mobility_explorer::store::connect(&store.url)
        .await
        .expect("connected");
    assert_eq!(written(&direct).await, before, "nothing written");
    direct.close().await.expect("closed");
    app.stop().await;
    store.drop_store().await;
}

/// Connections to database `name` idle inside a transaction, as an import's is while it
/// waits for its file. (The server's own statements run in transactions of their own, never
/// idle.)
async fn open_transactions(db: &sea_orm::DatabaseConnection, name: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    db.query_one_raw(sea_orm::Statement::from_sql_and_values(
        db.get_database_backend(),
        "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = $1 \
           AND state LIKE 'idle in transaction%'",
        [name.into()],
    ))
    .await
    .expect("asked")
    .expect("a row")
    .try_get::<i64>("", "n")
    .expect("n")
}

/// Asks how many transactions are open on database `name` until `wanted` holds of the count
/// (for 30 seconds at most, so a loaded machine only makes it slower); the last count.
async fn open_transactions_until(
    db: &sea_orm::DatabaseConnection,
    name: &str,
    wanted: impl Fn(i64) -> bool,
) -> i64 {
    let mut open = open_transactions(db, name).await;
    for _ in 0..600 {
        if wanted(open) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        open = open_transactions(db, name).await;
    }
    open
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_cancelled_in_mid_file_writes_nothing_and_leaves_no_transaction_open() {
    let Some(store) = TestStore::new(Store::Postgres).await else {
        return;
    };
    let name = store.postgres_name().expect("a database").to_owned();
    let app = TestApp::spawn_on(&store.url, |_| {}).await;
    let before = written(&app.db).await;
    let (import, resume) = paused_import(app.db.clone(), "cancelled.csv").await;
    // Half the file is staged by now: the import's transaction is open.
    let direct = mobility_explorer::store::connect(&store.url)
        .await
        .expect("connected");
    let open = open_transactions_until(&direct, &name, |n| n > 0).await;
    assert_eq!(open, 1, "the import's transaction is open while it reads");

    // A client that goes away drops the import's task, as a server does with its request.
    import.abort();
    assert!(import.await.expect_err("aborted").is_cancelled());
    drop(resume);
    let open = open_transactions_until(&direct, &name, |n| n == 0).await;
    assert_eq!(open, 0, "the cancelled import's transaction ended");
    assert_eq!(written(&direct).await, before, "nothing written");
    direct.close().await.expect("closed");
    app.stop().await;
    store.drop_store().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_cut_off_from_its_store_in_mid_upload_gets_503_and_writes_nothing() {
    let Some(store) = TestStore::new(Store::Postgres).await else {
        return;
    };
    let name = store.postgres_name().expect("a database").to_owned();
    let relay = Relay::start(postgres_target(&store.url)).await;
    let app = TestApp::spawn_on(&via(&relay, &store.url), |c| {
        c.person_key =
            mobility_explorer::domain::workforce::PersonKey::new(b"the outage test person key");
    })
    .await;
    let employer = crate::submissions::new_key(&app, "employer", Some("EMP-O"));
    let people: Vec<String> = (0..60_000).map(|i| format!("P{i}")).collect();
    let people: Vec<&str> = people.iter().map(String::as_str).collect();
    let csv = crate::submissions::csv("EMP-O", &people).into_bytes();
    let (first, rest) = csv.split_at(csv.len() / 2);
    let (rest, direct) = (
        rest.to_vec(),
        mobility_explorer::store::connect(&store.url)
            .await
            .expect("connected"),
    );
    let before = written(&direct).await;

    // The upload's first half goes, and the rest waits until the store is gone.
    let (send, receive) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    let body = reqwest::Body::wrap_stream(tokio_stream_of(receive));
    let request = app
        .client
        .post(app.url("/submissions/workforce?file=cut.csv"))
        .bearer_auth(&employer)
        .header("content-type", "text/csv")
        .header("idempotency-key", "cut-upload")
        .body(body)
        .send();
    let response = tokio::spawn(request);
    send.send(Ok(first.to_vec()))
        .await
        .expect("first half sent");
    let open = open_transactions_until(&direct, &name, |n| n > 0).await;
    assert_eq!(open, 1, "the submission's import is under way");
    relay.down();
    // The server may answer as soon as its store fails, before it has read the rest.
    let _ = send.send(Ok(rest)).await;
    drop(send);
    let response = tokio::time::timeout(std::time::Duration::from_secs(120), response)
        .await
        .expect("the submission ends once its store is gone")
        .expect("joined")
        .expect("answered");
    assert_eq!(response.status().as_u16(), 503);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(error_code(&body), "UNAVAILABLE", "{body}");

    relay.up();
    assert_eq!(written(&direct).await, before, "nothing written");
    let kept: i64 = {
        use sea_orm::ConnectionTrait;
        direct
            .query_one_raw(sea_orm::Statement::from_string(
                direct.get_database_backend(),
                "SELECT COUNT(*) AS n FROM submission",
            ))
            .await
            .expect("counted")
            .expect("a row")
            .try_get("", "n")
            .expect("n")
    };
    assert_eq!(kept, 0, "no answer is kept for a retry to replay");
    direct.close().await.expect("closed");
    app.stop().await;
    store.drop_store().await;
}

/// The chunks `receive` gets, as a stream (for a request body sent piece by piece).
fn tokio_stream_of<T>(
    mut receive: tokio::sync::mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> {
    futures_util::stream::poll_fn(move |cx| receive.poll_recv(cx))
}
