//! The command line: every command and flag, each flag with its environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};

use super::limits::Limits;
use crate::domain::ptable::Ptable;
use crate::domain::workforce::{MIN_KEY_BYTES, PersonKey};
use crate::store::{Engine, redact_url};

/// The disclosure threshold unless configured.
const DEFAULT_MIN_COUNT: u64 = 10;

/// A configuration value that cannot work.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {reason}")]
pub struct ConfigError {
    /// The flag or variable at fault.
    pub name: &'static str,
    /// Why.
    pub reason: String,
}

/// The data API behind the social mobility data explorer.
///
/// With no command it serves, as `serve` does.
#[derive(Debug, Parser)]
#[command(
    name = "mobility-explorer",
    version,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,

    /// How log lines are written to standard error, whatever the command.
    #[arg(
        long,
        env = "LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text,
        global = true
    )]
    pub log_format: LogFormat,

    /// Options of `serve`, accepted without the command name too.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One line of text per event, for people reading a terminal.
    Text,
    /// One JSON object per line, with the fields of the event and of its spans, for log
    /// collectors.
    Json,
}

/// The commands of the binary.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations, load the bundled reference data if the store has none, and
    /// serve the API.
    Serve(ServeArgs),
    /// Apply, revert or list schema migrations.
    // Global within `migrate`, so the store may also follow the action
    // (`migrate status --database-url ...`).
    #[command(mut_arg("database_url", |arg| arg.global(true)))]
    Migrate {
        /// Which way.
        #[command(subcommand)]
        action: MigrateAction,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// (Re)load the bundled reference data (geography, reference populations, the Commission's
    /// indicators and published programme figures) in one transaction; idempotent.
    LoadReference {
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Create, list or revoke API keys (admin, employer or partner).
    Keys {
        /// What to do.
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Publish the drafts as a numbered release, or list the releases.
    Release {
        /// What to do.
        #[command(subcommand)]
        action: ReleaseAction,
    },
    /// Show the audit log: submissions, releases, keys created and revoked, and refusals,
    /// newest first.
    Audit {
        /// How many events to show.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List or delete the workforce snapshots (one per employer and year).
    Snapshots {
        /// What to do.
        #[command(subcommand)]
        action: SnapshotsAction,
    },
    /// Put right an employer a mistake created: give it another code, or delete it once it
    /// has no snapshot.
    Employers {
        /// What to do.
        #[command(subcommand)]
        action: EmployersAction,
    },
    /// Import data from a CSV file, all or nothing.
    Import {
        /// What the file holds.
        #[command(subcommand)]
        kind: ImportKind,
    },
    /// Write synthetic (clearly labelled, seeded, deterministic) demo data in the import
    /// formats: a workforce CSV, or local-authority indicators.
    DemoData {
        /// What to write: `workforce` (staff records), `indicators` (definitions and values
        /// for every English local authority) or `programmes` (activity by local authority).
        #[arg(long, value_enum, default_value_t = DemoKind::Workforce)]
        kind: DemoKind,
        /// Where to write. Workforce: a file, `-` for standard output. Indicators: a directory,
        /// which receives `indicators.csv` (definitions) and `values.csv`. Programmes: a
        /// directory, which receives `programmes.csv` and `figures.csv`.
        #[arg(long, default_value = "-")]
        out: PathBuf,
        /// How many staff records in all (over every employer and year).
        #[arg(long, default_value_t = crate::demo::DEFAULT_RECORDS)]
        records: u64,
        /// The random seed: the same seed writes the same file.
        #[arg(long, default_value_t = crate::demo::DEFAULT_SEED)]
        seed: u64,
    },
    /// Write the perturbation table in use (the bundled default, or `--ptable`) in the ONS
    /// format: `pcv,ckey,pvalue`, every pcv from 1 to 750 and ckey from 0 to 255.
    Ptable {
        /// Where to write: a file, `-` for standard output.
        #[arg(long, default_value = "-")]
        out: PathBuf,
        /// The table.
        #[command(flatten)]
        ptable: PtableArgs,
    },
    /// Write the GraphQL schema (SDL) to a file, or check that the file is up to date.
    ExportSchema {
        /// Compare instead of writing: exit non-zero with a diff summary when they differ.
        #[arg(long)]
        check: bool,
        /// The file.
        #[arg(long, default_value = "schema.graphql")]
        path: PathBuf,
    },
}

/// Kinds of demo data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoKind {
    /// Staff records of invented employers.
    Workforce,
    /// Local-authority indicators.
    Indicators,
    /// Programme activity by local authority.
    Programmes,
}

/// What `keys` does.
#[derive(Debug, Subcommand)]
pub enum KeysAction {
    /// Create a key and print it, once: only a salted hash of it is stored.
    Create {
        /// What it may do: `admin` (everything), `employer` (submit its employer's returns,
        /// see its drafts) or `partner` (read published figures under its name).
        #[arg(long)]
        role: String,
        /// The employer of an `employer` key (its code).
        #[arg(long)]
        employer: Option<String>,
        /// Who holds it, in words.
        #[arg(long)]
        name: String,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Every key: id, role, employer, holder, created, revoked.
    List {
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke a key: every request with it is refused from then on.
    Revoke {
        /// The key's id (`keys list`).
        id: i32,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// What `release` does.
#[derive(Debug, Subcommand)]
pub enum ReleaseAction {
    /// Publish every draft (the employers' submissions not yet released) as a new release:
    /// public answers come from it from then on.
    Publish {
        /// What the release publishes, in words (shown with it).
        #[arg(long)]
        notes: String,
        /// The earlier release this one corrects, by number.
        #[arg(long)]
        corrects: Option<i32>,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Every release: number, when, what it corrects, notes.
    List {
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// What `snapshots` does.
#[derive(Debug, Subcommand)]
pub enum SnapshotsAction {
    /// Every snapshot: employer, year, records, the file it came from and when.
    List {
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Delete one snapshot with its staff records and figures, in one transaction. The
    /// employer, its business units and grades stay.
    Delete {
        /// The employer's code (case is ignored when it names one employer).
        #[arg(long)]
        employer: String,
        /// The year.
        #[arg(long)]
        year: i32,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// What `employers` does.
#[derive(Debug, Subcommand)]
pub enum EmployersAction {
    /// Give an employer another code (its name, units, grades and snapshots stay with it),
    /// in one transaction; refused when the new code names another stored employer, ignoring
    /// case.
    Rename {
        /// The employer's code (case is ignored when it names one employer).
        #[arg(long)]
        employer: String,
        /// Its new code.
        #[arg(long)]
        to: String,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Delete an employer with its business units and grades, in one transaction; refused
    /// while it has snapshots (`snapshots delete` takes them out first, each said).
    Delete {
        /// The employer's code (case is ignored when it names one employer).
        #[arg(long)]
        employer: String,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Kinds of import.
#[derive(Debug, Subcommand)]
pub enum ImportKind {
    /// Staff records (one row per member of staff per employer and year). Each (employer,
    /// year) in the file replaces that snapshot whole; any invalid row means nothing is
    /// written.
    Workforce {
        /// The CSV file.
        file: PathBuf,
        /// Check the file against the store and say what the import would write, then write
        /// nothing.
        #[arg(long)]
        dry_run: bool,
        /// An employer the file may create (repeat the option, or separate codes by commas):
        /// a row naming an employer the store does not hold, and not named here, is refused,
        /// so that a mistyped code cannot create one.
        #[arg(long = "new-employer", value_name = "CODE", value_delimiter = ',')]
        new_employer: Vec<String>,
        /// Let the file create any employer it names (a first import of demo data, say).
        #[arg(long, conflicts_with = "new_employer")]
        new_employers: bool,
        /// Leave what is imported as drafts, seen only by admin keys and the employer's own
        /// keys, until `release publish` publishes them; without it, the import is published
        /// at once, as a release of its own.
        #[arg(long)]
        draft: bool,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
        /// The pseudonymisation key.
        #[command(flatten)]
        key: PersonKeyArgs,
    },
    /// Programme figures (columns `programme,metric,unit,period,kind,value,area_code,note`,
    /// optionally `metric_name`, `numerator`, `denominator`, `caveat`). A figure replaces the
    /// stored one with the same programme, metric, period, kind and area; any invalid row
    /// means nothing is written.
    Programmes {
        /// The CSV file of figures.
        file: PathBuf,
        /// Programme descriptions (`code,name,description,stage,owner,owner_name`, optionally
        /// `synthetic`, `source`, `licence`). Default: `programmes.csv` beside FILE, when
        /// there is one.
        #[arg(long)]
        programmes: Option<PathBuf>,
        /// Check the files against the store and say what the import would write, then write
        /// nothing.
        #[arg(long)]
        dry_run: bool,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Indicator values per area and period (columns
    /// `indicator,area_code,period,value,lower,upper`, optionally `sample_size`, `breakdown`,
    /// `note`, `published_group`). A value replaces the stored one with the same indicator,
    /// area, period and breakdown; any invalid row means nothing is written.
    Indicators {
        /// The CSV file of values.
        file: PathBuf,
        /// Indicator definitions (`code,name,description,unit,domain,higher_is_better,source,licence`,
        /// optionally `synthetic`). Default: `indicators.csv` beside FILE, when there is one.
        #[arg(long)]
        definitions: Option<PathBuf>,
        /// Check the files against the store and say what the import would write, then write
        /// nothing.
        #[arg(long)]
        dry_run: bool,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// The perturbation table of disclosure control.
#[derive(Debug, Clone, Args)]
pub struct PtableArgs {
    /// A perturbation table (CSV `pcv,ckey,pvalue`, as the ONS `cell-key-perturbation`
    /// package reads) to use instead of the bundled default.
    #[arg(long = "ptable", env = "PTABLE")]
    pub ptable: Option<PathBuf>,
}

impl PtableArgs {
    /// The table named, read and checked; the bundled default when none is named.
    pub fn load(&self) -> Result<Ptable, ConfigError> {
        let Some(path) = &self.ptable else {
            return Ok(Ptable::default());
        };
        let name = "PTABLE (--ptable)";
        let file = std::fs::File::open(path).map_err(|e| ConfigError {
            name,
            reason: format!("{}: {e}", path.display()),
        })?;
        let label = path.file_name().map_or_else(
            || path.display().to_string(),
            |f| f.to_string_lossy().into_owned(),
        );
        Ptable::read_csv(&label, std::io::BufReader::new(file)).map_err(|e| ConfigError {
            name,
            reason: e.to_string(),
        })
    }
}

/// The secret person references are pseudonymised with.
#[derive(Clone, Args)]
pub struct PersonKeyArgs {
    /// Secret key (at least 16 bytes) for the keyed hash that replaces person references;
    /// raw references are never stored. Use the same key for every import, so the same
    /// person keeps the same pseudonym.
    #[arg(long, env = "PERSON_KEY", hide_env_values = true)]
    pub person_key: Option<String>,
}

// By hand, so that printing the parsed command line never shows a secret.
impl std::fmt::Debug for PersonKeyArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonKeyArgs")
            .field("person_key", &self.person_key.as_ref().map(|_| "***"))
            .finish()
    }
}

impl PersonKeyArgs {
    /// The checked key; required.
    pub fn key(&self) -> Result<PersonKey, ConfigError> {
        let secret = self.person_key.as_deref().ok_or_else(|| ConfigError {
            name: "PERSON_KEY (--person-key)",
            reason: format!(
                "required to import staff records: a secret of at least {MIN_KEY_BYTES} bytes, the same for every import"
            ),
        })?;
        PersonKey::new(secret.as_bytes()).ok_or_else(|| ConfigError {
            name: "PERSON_KEY (--person-key)",
            reason: format!("must be at least {MIN_KEY_BYTES} bytes long"),
        })
    }
}

/// Migration directions.
#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Revert the last applied migration (or `--steps N`).
    Down {
        /// How many migrations to revert.
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether each is applied.
    Status,
}

/// Where the data lives.
#[derive(Clone, Args)]
pub struct StoreArgs {
    /// The store: a `sqlite:` URL (embedded, the default) or a `postgres://` URL.
    // The variable's value is hidden from `--help`: it may hold a password.
    #[arg(
        long,
        env = "DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite://data/explorer.db?mode=rwc"
    )]
    pub database_url: String,
}

/// Options of the server.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The store.
    #[command(flatten)]
    pub store: StoreArgs,

    /// The address to listen on.
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Deepest nesting a query may have.
    #[arg(long, env = "MAX_QUERY_DEPTH", default_value_t = Limits::default().max_depth)]
    pub max_query_depth: usize,

    /// Highest complexity a query may have (a list field costs its `first` times its items).
    #[arg(long, env = "MAX_QUERY_COMPLEXITY", default_value_t = Limits::default().max_complexity)]
    pub max_query_complexity: usize,

    /// Most root fields one operation may select.
    #[arg(long, env = "MAX_ROOT_FIELDS", default_value_t = Limits::default().max_root_fields)]
    pub max_root_fields: usize,

    /// Most aliases one query may use.
    #[arg(long, env = "MAX_ALIASES", default_value_t = Limits::default().max_aliases)]
    pub max_aliases: usize,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1_048_576)]
    pub max_body_bytes: usize,

    /// Longest a request may take, in seconds, before it is answered 503 and its work
    /// (including its database statements) is stopped.
    #[arg(long, env = "REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Largest file a submission (`POST /submissions/...`) may send, in bytes.
    #[arg(long, env = "SUBMISSION_MAX_BYTES", default_value_t = 536_870_912)]
    pub submission_max_bytes: u64,

    /// Longest a submission may take, in seconds (it streams and imports a whole file).
    #[arg(long, env = "SUBMISSION_TIMEOUT_SECS", default_value_t = 600)]
    pub submission_timeout_secs: u64,

    /// Longest a client may take to send a request's headers, in seconds, before the
    /// connection is closed.
    #[arg(long, env = "HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    pub header_read_timeout_secs: u64,

    /// Most GraphQL requests served at once; beyond it a request is answered 503 at once.
    #[arg(long, env = "MAX_CONCURRENT_REQUESTS", default_value_t = 64)]
    pub max_concurrent_requests: usize,

    /// Most database connections the server opens.
    #[arg(long, env = "DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,

    /// Longest a request waits for a database connection, in milliseconds, before it is
    /// answered 503 `UNAVAILABLE` (the store is down, or every connection stays busy).
    #[arg(long, env = "DB_ACQUIRE_TIMEOUT_MS", default_value_t = 500)]
    pub db_acquire_timeout_ms: u64,

    /// Whether the schema can be introspected (GraphiQL's documentation and autocomplete,
    /// code generators).
    #[arg(long, env = "INTROSPECTION", default_value_t = true, action = ArgAction::Set)]
    pub introspection: bool,

    /// How long, in milliseconds, related look-ups (parents, children, containing areas) are
    /// gathered into one SQL statement.
    #[arg(long, env = "BATCH_WINDOW_MS", default_value_t = 10)]
    pub batch_window_ms: u64,

    /// How often, in milliseconds, the server checks the store's data version and loads new
    /// data: an import (through any server or command on the same store) is served within
    /// this.
    #[arg(long, env = "DATA_POLL_MS", default_value_t = 250)]
    pub data_poll_ms: u64,

    /// How long, in seconds, clients and caches may reuse a GET answer without asking again
    /// (`Cache-Control: max-age`); after that they revalidate with its `ETag`. 0: always
    /// revalidate.
    #[arg(long, env = "CACHE_MAX_AGE_SECS", default_value_t = 60)]
    pub cache_max_age_secs: u64,

    /// Memory, in megabytes, for complete answers kept per data version: a repeated question
    /// is answered from memory until an import changes the data. 0: keep none.
    #[arg(long, env = "RESPONSE_CACHE_MB", default_value_t = 64)]
    pub response_cache_mb: usize,

    /// Disclosure threshold k: a count below k after perturbation is withheld, as are groups
    /// whose headcount or respondents are below k and means over fewer than k people.
    #[arg(long, env = "DISCLOSURE_MIN_COUNT", default_value_t = DEFAULT_MIN_COUNT)]
    pub disclosure_min_count: u64,

    /// The perturbation table of disclosure control.
    #[command(flatten)]
    pub ptable: PtableArgs,

    /// Load the synthetic demo workforce when the store has no staff records.
    #[arg(long, env = "DEMO_DATA", default_value_t = true, action = ArgAction::Set)]
    pub demo_data: bool,

    /// Serve GraphiQL to browsers at `/graphql` (its files under `/graphiql/`).
    #[arg(long, env = "GRAPHIQL", default_value_t = true, action = ArgAction::Set)]
    pub graphiql: bool,

    /// Serve the reference explorer (map, area, workforce and programme pages) at `/` (its
    /// files under `/explorer/`).
    #[arg(long, env = "EXPLORER", default_value_t = true, action = ArgAction::Set)]
    pub explorer: bool,

    /// A directory of `.graphql` files, each a persisted query named by its file name (and
    /// described by its leading `#` lines), served beside the shipped ones at `/q/{name}`.
    #[arg(long, env = "PERSISTED_QUERIES_DIR")]
    pub persisted_queries_dir: Option<PathBuf>,

    /// Answer only persisted queries: any other GraphQL document sent to `/graphql` is
    /// refused (GraphiQL's own queries included).
    #[arg(long, env = "TRUSTED_DOCUMENTS_ONLY", default_value_t = false, action = ArgAction::Set)]
    pub trusted_documents_only: bool,

    /// Requests a minute each client address may make to `/graphql` and `/q` (an IPv6
    /// client counts by its /64); 0: no limit.
    #[arg(long, env = "RATE_LIMIT_PER_MINUTE", default_value_t = 600)]
    pub rate_limit_per_minute: u32,

    /// Requests a minute each API key may make; 0: no limit.
    #[arg(long, env = "RATE_LIMIT_KEY_PER_MINUTE", default_value_t = 6000)]
    pub rate_limit_key_per_minute: u32,

    /// API keys partners send in `x-api-key` to be limited by key instead of by address:
    /// `name=secret` pairs joined by `,`, each secret 16 characters or more.
    #[arg(long, env = "API_KEYS", hide_env_values = true)]
    pub api_keys: Option<ApiKeys>,

    /// Limit a client by the last address in `X-Forwarded-For` (the one the proxy in front
    /// appended) instead of the connection's: only behind a proxy that sets it.
    #[arg(long, env = "TRUST_FORWARDED_FOR", default_value_t = false, action = ArgAction::Set)]
    pub trust_forwarded_for: bool,

    /// Serve the Prometheus metrics at `/metrics`.
    #[arg(long, env = "METRICS", default_value_t = true, action = ArgAction::Set)]
    pub metrics: bool,

    /// The pseudonymisation key (only used here for the demo workforce).
    #[command(flatten)]
    pub key: PersonKeyArgs,
}

/// API keys as given on the command line; never printed.
#[derive(Clone)]
pub struct ApiKeys(String);

impl std::str::FromStr for ApiKeys {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(ApiKeys(s.to_owned()))
    }
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKeys(..)")
    }
}

/// Shortest API key secret accepted: a guessable key would let anyone take a partner's quota.
const MIN_API_KEY_CHARS: usize = 16;

impl ApiKeys {
    /// The keys as `(name, secret)`, checked.
    pub fn parse(&self) -> Result<Vec<(std::sync::Arc<str>, String)>, ConfigError> {
        let fail = |reason: String| ConfigError {
            name: "API_KEYS (--api-keys)",
            reason,
        };
        let mut keys: Vec<(std::sync::Arc<str>, String)> = Vec::new();
        for (i, entry) in self.0.split(',').map(str::trim).enumerate() {
            if entry.is_empty() {
                continue;
            }
            let Some((name, secret)) = entry.split_once('=') else {
                return Err(fail(format!("entry {} is not `name=secret`", i + 1)));
            };
            let (name, secret) = (name.trim(), secret.trim());
            if name.is_empty() {
                return Err(fail(format!("entry {} has no name", i + 1)));
            }
            if secret.chars().count() < MIN_API_KEY_CHARS {
                return Err(fail(format!(
                    "the secret of `{name}` is shorter than {MIN_API_KEY_CHARS} characters"
                )));
            }
            if keys.iter().any(|(n, s)| &**n == name || s == secret) {
                return Err(fail(format!("`{name}` repeats a name or a secret")));
            }
            keys.push((name.into(), secret.to_owned()));
        }
        Ok(keys)
    }
}

// By hand, so that printing the parsed command line never shows a password.
impl std::fmt::Debug for StoreArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreArgs")
            .field("database_url", &redact_url(&self.database_url))
            .finish()
    }
}

impl StoreArgs {
    /// The checked store URL.
    pub fn database_url(&self) -> Result<String, ConfigError> {
        match Engine::of_url(&self.database_url) {
            Some(_) => Ok(self.database_url.clone()),
            None => Err(ConfigError {
                name: "DATABASE_URL (--database-url)",
                reason: format!(
                    "`{}` is neither a `sqlite:` nor a `postgres://` URL",
                    redact_url(&self.database_url)
                ),
            }),
        }
    }
}
