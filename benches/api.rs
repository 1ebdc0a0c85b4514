//! API benchmark against the real server over HTTP, on SQLite and PostgreSQL:
//!
//! - `workforce`: generates synthetic staff records, imports them, then times the explorer's
//!   distribution queries;
//! - `index`: loads the synthetic local-authority indicators and times the social mobility
//!   index for every authority, alone and as a map with names and indicator values.
//!
//! ```text
//! cargo bench --bench api                             # both suites, 1,000,000 records
//! cargo bench --bench api -- --suite index --store sqlite --runs 100
//! ```
//!
//! PostgreSQL is reached at `TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`);
//! the benchmark creates a database of its own there and drops it at the end.

use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use mobility_explorer::app::App;
use mobility_explorer::config::Config;
use mobility_explorer::domain::workforce::PersonKey;
use mobility_explorer::{demo, import};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

#[derive(Parser)]
#[command(about = "Import and query-latency benchmark of the API")]
struct Args {
    /// Which suite to run.
    #[arg(long, value_enum, default_value_t = Suite::All)]
    suite: Suite,
    /// Staff records to generate and import.
    #[arg(long, default_value_t = 1_000_000)]
    records: u64,
    /// Timed runs of each query (after warm-up runs).
    #[arg(long, default_value_t = 50)]
    runs: usize,
    /// Which store to measure.
    #[arg(long, value_enum, default_value_t = StoreChoice::Both)]
    store: StoreChoice,
    /// Accepted and ignored: `cargo bench` passes it to every harness.
    #[arg(long, hide = true)]
    bench: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Suite {
    Workforce,
    Index,
    All,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StoreChoice {
    Sqlite,
    Postgres,
    Both,
}

/// The index queries timed: every English authority at once.
const INDEX_QUERIES: [(&str, &str); 2] = [
    (
        "socialMobilityIndex, every authority (QUINTILES)",
        r#"{ socialMobilityIndex(level: LOCAL_AUTHORITY, period: "2017", first: 500) {
            totalCount method { areasScored }
            nodes { areaCode score rank quintile classification domainScores { domain score } } } }"#,
    ),
    (
        "map: every authority with name, classification and its 8 indicator values",
        r#"{ socialMobilityIndex(level: LOCAL_AUTHORITY, period: "2017", first: 500) {
            nodes { classification area { code name indicators(period: "2017") { indicator { code } value } } } } }"#,
    ),
];

/// The workforce queries timed, by name: the two the targets name, then a dashboard's worth.
const QUERIES: [(&str, &str); 4] = [
    (
        "distribution by GRADE_LEVEL, one employer-year",
        r#"{ workforce(filter: { employers: ["DEMO-JUS"], years: [2024] }) {
            headcount
            distribution(by: [GRADE_LEVEL], benchmark: "UK") {
              key { gradeLevel } headcount respondents declarationRate
              categories { category count share benchmarkShare suppressed } } } }"#,
    ),
    (
        "distribution by REGION, all employers, latest year",
        r#"{ workforce {
            distribution(by: [REGION]) {
              key { region regionName } headcount respondents declarationRate
              categories { category count share suppressed } } } }"#,
    ),
    (
        "distribution by REGION, all employers, all 5 years",
        r#"{ workforce(filter: { years: [2020, 2021, 2022, 2023, 2024] }) {
            distribution(by: [REGION, YEAR]) {
              key { region year } headcount respondents
              categories { category count share suppressed } } } }"#,
    ),
    (
        "dashboard: headcount, whoGetsOn, progressionRatio, engagementGap, one employer-year",
        r#"{ workforce(filter: { employers: ["DEMO-JUS"], years: [2024] }) {
            headcount
            whoGetsOn { key { gradeLevel } lowerShare gap suppressed }
            progressionRatio { value suppressed }
            engagementGap { value suppressed } } }"#,
    ),
];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let mut csv = Vec::new();
    if args.suite != Suite::Index {
        println!(
            "Generating {} synthetic staff records (seed {})...",
            args.records,
            demo::DEFAULT_SEED
        );
        let started = Instant::now();
        demo::write_csv(&mut csv, args.records, demo::DEFAULT_SEED)?;
        println!(
            "  {:.1} MB of CSV in {:.1} s",
            csv.len() as f64 / 1e6,
            started.elapsed().as_secs_f64()
        );
    }

    if args.store != StoreChoice::Postgres {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}/bench.db?mode=rwc", dir.path().display());
        measure("SQLite", &url, &csv, &args).await?;
    }
    if args.store != StoreChoice::Sqlite {
        let admin_url = std::env::var("TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let admin = Database::connect(admin_url.as_str()).await?;
        let name = format!("mx_bench_{}", std::process::id());
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\""))
            .await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        let base = admin_url
            .rsplit_once('/')
            .map(|(base, _)| base.to_owned())
            .ok_or("TEST_POSTGRES_URL has no database name")?;
        let result = measure("PostgreSQL", &format!("{base}/{name}"), &csv, &args).await;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await?;
        result?;
    }
    Ok(())
}

async fn measure(
    store: &str,
    url: &str,
    csv: &[u8],
    args: &Args,
) -> Result<(), Box<dyn std::error::Error>> {
    println!("\n== {store}");
    let config = Config::new(url.to_owned(), "127.0.0.1:0".parse()?);
    let app = App::build(config).await?;
    let db = app.db().clone();
    let addr = app.local_addr()?;

    if args.suite != Suite::Index {
        let key = PersonKey::new(b"benchmark key, not a secret: the data is synthetic")
            .ok_or("key too short")?;
        let started = Instant::now();
        let summary =
            import::workforce::import(&db, "bench.csv", std::io::Cursor::new(csv.to_vec()), &key)
                .await?;
        // As `import workforce` does after every import.
        mobility_explorer::store::workforce::refresh_statistics(&db).await?;
        let import_time = started.elapsed();
        println!(
            "import: {} records in {} snapshots in {:.1} s ({:.0} records/s)",
            summary.rows,
            summary.snapshots.len(),
            import_time.as_secs_f64(),
            summary.rows as f64 / import_time.as_secs_f64()
        );
    }
    if args.suite != Suite::Workforce {
        let started = Instant::now();
        let summary = import::demo::indicators(&db).await?;
        println!(
            "import: {} synthetic indicator values in {:.2} s",
            summary.values.values().sum::<usize>(),
            started.elapsed().as_secs_f64()
        );
    }

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let endpoint = format!("http://{addr}/graphql");

    println!(
        "{:<84} {:>8} {:>8} {:>8}",
        "query (latency over HTTP, ms)", "p50", "p95", "max"
    );
    let queries: Vec<(&str, &str)> = match args.suite {
        Suite::Workforce => QUERIES.to_vec(),
        Suite::Index => INDEX_QUERIES.to_vec(),
        Suite::All => QUERIES
            .iter()
            .chain(INDEX_QUERIES.iter())
            .copied()
            .collect(),
    };
    for (name, query) in queries {
        // Warm-up: the first runs fill the store's caches and prepare statements.
        for _ in 0..3 {
            post(&client, &endpoint, query).await?;
        }
        let mut times = Vec::with_capacity(args.runs);
        for _ in 0..args.runs {
            let started = Instant::now();
            post(&client, &endpoint, query).await?;
            times.push(started.elapsed());
        }
        times.sort();
        println!(
            "{name:<84} {:>8.1} {:>8.1} {:>8.1}",
            ms(percentile(&times, 0.50)),
            ms(percentile(&times, 0.95)),
            ms(*times.last().unwrap_or(&Duration::ZERO)),
        );
    }

    let _ = stop.send(());
    server.await??;
    db.close().await?;
    Ok(())
}

/// Posts a query and fails on any GraphQL error, so a broken query is never timed as fast.
async fn post(
    client: &reqwest::Client,
    endpoint: &str,
    query: &str,
) -> Result<Value, Box<dyn std::error::Error>> {
    let answer: Value = client
        .post(endpoint)
        .json(&json!({ "query": query }))
        .send()
        .await?
        .json()
        .await?;
    if let Some(errors) = answer.get("errors") {
        return Err(format!("query failed: {errors}").into());
    }
    Ok(answer)
}

/// The nearest-rank percentile of sorted durations.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
