//! The store going away and coming back, seen from a client: a 503 `UNAVAILABLE` while it is
//! gone, readiness failing, and answers again once it is back, with no restart.
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

/// A relay from a local port to PostgreSQL that can be cut and restored.
struct Relay {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    cut: watch::Sender<u64>,
}

impl Relay {
    async fn start(target: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("relay bound");
        let addr = listener.local_addr().expect("relay address");
        let up = Arc::new(AtomicBool::new(true));
        let (cut, _) = watch::channel(0u64);
        let (accept_up, accept_cut) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !accept_up.load(Ordering::SeqCst) {
                    // Down: close at once, as a refused connection would.
                    drop(client);
                    continue;
                }
                let mut cut = accept_cut.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Relay { addr, up, cut }
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
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&serde_json::json!({ "query": r#"{ area(code: "E12000007") { name } }"# }))
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_goes_away_gives_503_unavailable_and_the_api_recovers_by_itself() {
    let Some(store) = TestStore::new(Store::Postgres).await else {
        return;
    };
    let relay = Relay::start(postgres_target(&store.url)).await;
    let (base, name) = store.url.rsplit_once('/').expect("a database name");
    let via_relay = format!(
        "postgres://{}@{}/{name}",
        base.trim_start_matches("postgres://")
            .split('@')
            .next()
            .unwrap_or("postgres"),
        relay.addr
    );
    let app = TestApp::spawn_on(&via_relay, |_| {}).await;

    let (status, body) = answer(&app).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["area"]["name"], "London");

    relay.down();
    let (status, body) = answer(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(error_code(&body), "UNAVAILABLE");
    assert!(
        !body.to_string().contains("127.0.0.1"),
        "no connection detail reaches the client: {body}"
    );
    assert_eq!(app.get("/readyz").await.status(), 503);
    assert_eq!(app.get("/healthz").await.status(), 200);

    relay.up();
    // The pool reconnects on its own; ask until it has (bounded, so a loaded machine only
    // makes this slower).
    let mut recovered = false;
    for _ in 0..200 {
        let (status, body) = answer(&app).await;
        if status == 200 && body["data"]["area"]["name"] == "London" {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(recovered, "the API answers again once the store is back");
    assert_eq!(app.get("/readyz").await.status(), 200);
    app.stop().await;
    store.drop_store().await;
}
