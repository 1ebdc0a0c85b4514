//! Configuration in one place: command-line flags, each with an environment fallback.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand};

use std::sync::Arc;

use crate::domain::disclosure::Policy;
use crate::domain::ptable::Ptable;

/// The disclosure threshold unless configured.
const DEFAULT_MIN_COUNT: u64 = 10;
use crate::domain::workforce::{MIN_KEY_BYTES, PersonKey};
use crate::store::{Engine, PoolSettings, redact_url};

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

    /// Options of `serve`, accepted without the command name too.
    #[command(flatten)]
    pub serve: ServeArgs,
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
    /// (Re)load the bundled reference data (geography) in one transaction; idempotent.
    LoadReference {
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
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

/// Kinds of import.
#[derive(Debug, Subcommand)]
pub enum ImportKind {
    /// Staff records (one row per member of staff per employer and year). Each (employer,
    /// year) in the file replaces that snapshot whole; any invalid row means nothing is
    /// written.
    Workforce {
        /// The CSV file.
        file: PathBuf,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
        /// The pseudonymisation key.
        #[command(flatten)]
        key: PersonKeyArgs,
    },
    /// Programme figures (columns `programme,metric,unit,period,kind,value,area_code,note`,
    /// optionally `metric_name`, `numerator`, `denominator`). A figure replaces the stored one
    /// with the same programme, metric, period, kind and area; any invalid row means nothing
    /// is written.
    Programmes {
        /// The CSV file of figures.
        file: PathBuf,
        /// Programme descriptions (`code,name,description,stage,owner,owner_name`, optionally
        /// `synthetic`). Default: `programmes.csv` beside FILE, when there is one.
        #[arg(long)]
        programmes: Option<PathBuf>,
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

    /// The pseudonymisation key (only used here for the demo workforce).
    #[command(flatten)]
    pub key: PersonKeyArgs,
}

/// A configuration value that cannot work.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {reason}")]
pub struct ConfigError {
    /// The flag or variable at fault.
    pub name: &'static str,
    /// Why.
    pub reason: String,
}

/// Everything the server needs, checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// The store URL.
    pub database_url: String,
    /// The listening address.
    pub bind: SocketAddr,
    /// Query limits.
    pub limits: Limits,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Longest a request may take.
    pub request_timeout: Duration,
    /// Longest a client may take to send a request's headers.
    pub header_read_timeout: Duration,
    /// Most GraphQL requests served at once.
    pub max_concurrent_requests: usize,
    /// The server's connection pool.
    pub pool: PoolSettings,
    /// How long related look-ups are gathered into one statement.
    pub batch_window: Duration,
    /// Disclosure control of workforce figures.
    pub disclosure: Policy,
    /// Load the synthetic demo workforce into a store with no staff records.
    pub demo_data: bool,
    /// Serve GraphiQL to browsers.
    pub graphiql: bool,
    /// The pseudonymisation key, when configured.
    pub person_key: Option<PersonKey>,
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

fn positive(name: &'static str, value: usize) -> Result<usize, ConfigError> {
    if value == 0 {
        return Err(ConfigError {
            name,
            reason: "must be greater than 0".to_owned(),
        });
    }
    Ok(value)
}

fn seconds(name: &'static str, value: u64) -> Result<Duration, ConfigError> {
    if value == 0 {
        return Err(ConfigError {
            name,
            reason: "must be greater than 0".to_owned(),
        });
    }
    Ok(Duration::from_secs(value))
}

impl TryFrom<&ServeArgs> for Config {
    type Error = ConfigError;

    fn try_from(args: &ServeArgs) -> Result<Self, Self::Error> {
        Ok(Config {
            database_url: args.store.database_url()?,
            bind: args.bind,
            limits: Limits {
                max_depth: positive("MAX_QUERY_DEPTH", args.max_query_depth)?,
                max_complexity: positive("MAX_QUERY_COMPLEXITY", args.max_query_complexity)?,
                max_root_fields: positive("MAX_ROOT_FIELDS", args.max_root_fields)?,
                max_aliases: args.max_aliases,
                introspection: args.introspection,
                ..Limits::default()
            },
            max_body_bytes: positive("MAX_BODY_BYTES", args.max_body_bytes)?,
            request_timeout: seconds("REQUEST_TIMEOUT_SECS", args.request_timeout_secs)?,
            header_read_timeout: seconds(
                "HEADER_READ_TIMEOUT_SECS",
                args.header_read_timeout_secs,
            )?,
            max_concurrent_requests: positive(
                "MAX_CONCURRENT_REQUESTS",
                args.max_concurrent_requests,
            )?,
            pool: PoolSettings {
                max_connections: u32::try_from(positive(
                    "DB_MAX_CONNECTIONS",
                    usize::try_from(args.db_max_connections).unwrap_or(usize::MAX),
                )?)
                .unwrap_or(u32::MAX),
                acquire_timeout: Duration::from_millis(positive(
                    "DB_ACQUIRE_TIMEOUT_MS",
                    usize::try_from(args.db_acquire_timeout_ms).unwrap_or(usize::MAX),
                )? as u64),
                statement_timeout: Some(seconds(
                    "REQUEST_TIMEOUT_SECS",
                    args.request_timeout_secs,
                )?),
            },
            batch_window: Duration::from_millis(args.batch_window_ms),
            disclosure: Policy {
                min_count: positive(
                    "DISCLOSURE_MIN_COUNT",
                    usize::try_from(args.disclosure_min_count).unwrap_or(usize::MAX),
                )? as u64,
                ptable: Arc::new(args.ptable.load()?),
            },
            demo_data: args.demo_data,
            graphiql: args.graphiql,
            person_key: match args.key.person_key {
                Some(_) => Some(args.key.key()?),
                None => None,
            },
        })
    }
}

impl Config {
    /// The defaults, on the given store and address, without the demo workforce: what tests
    /// start the server with (a test that wants the demo data turns it on).
    pub fn new(database_url: impl Into<String>, bind: SocketAddr) -> Config {
        Config {
            database_url: database_url.into(),
            bind,
            limits: Limits::default(),
            max_body_bytes: 1_048_576,
            request_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(10),
            max_concurrent_requests: 64,
            pool: PoolSettings {
                max_connections: 10,
                acquire_timeout: Duration::from_millis(500),
                statement_timeout: Some(Duration::from_secs(30)),
            },
            batch_window: Duration::from_millis(10),
            disclosure: Policy::default(),
            demo_data: false,
            graphiql: true,
            person_key: None,
        }
    }
}

/// The limits a query is checked against. Each refusal names the limit and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of data fields (introspection has its own limits below).
    pub max_depth: usize,
    /// Highest total cost; a list field costs the items it can return times each item's
    /// cost (see `graphql::cost`).
    pub max_complexity: usize,
    /// Most fields selected at the root of one operation (aliases included).
    pub max_root_fields: usize,
    /// Most aliases in one document.
    pub max_aliases: usize,
    /// Most lexical tokens in the query text, counted before it is parsed.
    pub max_tokens: usize,
    /// Most fragment definitions in one document.
    pub max_fragments: usize,
    /// Most field selections once every fragment spread is expanded (counted without
    /// expanding).
    pub max_fields: u64,
    /// Deepest nesting inside `__schema` or `__type` (graphql-js' standard introspection
    /// query needs 14).
    pub max_introspection_depth: usize,
    /// Most introspection list fields (`types`, `fields`, `args`, ...) on one path: each level
    /// multiplies the answer by the size of the schema (the standard query needs 3).
    pub max_introspection_lists: usize,
    /// Most `__schema` and `__type` fields in one document, once expanded.
    pub max_introspection_roots: u64,
    /// Bounds on every argument and variable value.
    pub input: InputBounds,
    /// Whether the schema can be introspected (GraphiQL and code generators need it).
    pub introspection: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 12,
            max_complexity: 50_000,
            max_root_fields: 10,
            max_aliases: 30,
            max_tokens: 5_000,
            max_fragments: 50,
            max_fields: 1_000,
            max_introspection_depth: 16,
            max_introspection_lists: 3,
            max_introspection_roots: 2,
            input: InputBounds {
                max_string_chars: 100,
                max_list_items: 500,
            },
            introspection: true,
        }
    }
}

/// Bounds on every input value, whatever the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputBounds {
    /// Longest string, in characters.
    pub max_string_chars: usize,
    /// Most items in one list.
    pub max_list_items: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    use clap::builder::Resettable;
    use clap::{CommandFactory, FromArgMatches};

    /// The command line with no environment fallback on any flag, of any command.
    fn without_env(command: clap::Command) -> clap::Command {
        command
            .mut_args(|arg| arg.env(Resettable::Reset))
            .mut_subcommands(without_env)
    }

    /// Parses `args` as the binary does, except that no variable is read: what the shell
    /// running the tests exports (`DATABASE_URL`, `PERSON_KEY`, `PTABLE`...) cannot change
    /// the outcome. The fallbacks themselves are tested by running the binary in a cleared
    /// environment (the command-line integration tests).
    fn parse<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let mut matches = without_env(Cli::command()).try_get_matches_from(args)?;
        Cli::from_arg_matches_mut(&mut matches)
    }

    /// The variables of every flag of `command` and its subcommands, once built (so global
    /// flags are counted where they are propagated to).
    fn variables(command: &mut clap::Command) -> Vec<String> {
        command.build();
        fn walk(command: &clap::Command, out: &mut Vec<String>) {
            for arg in command.get_arguments() {
                if let Some(name) = arg.get_env() {
                    out.push(name.to_string_lossy().into_owned());
                }
            }
            for sub in command.get_subcommands() {
                walk(sub, out);
            }
        }
        let mut out = Vec::new();
        walk(command, &mut out);
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn the_tests_parse_without_reading_the_environment() {
        let real = variables(&mut Cli::command());
        for name in [
            "DATABASE_URL",
            "PERSON_KEY",
            "PTABLE",
            "DISCLOSURE_MIN_COUNT",
            "DEMO_DATA",
            "GRAPHIQL",
        ] {
            assert!(real.iter().any(|v| v == name), "{name} in {real:?}");
        }
        let left = variables(&mut without_env(Cli::command()));
        assert!(left.is_empty(), "still read from the environment: {left:?}");
    }

    #[test]
    fn a_bare_invocation_serves_on_the_embedded_store() {
        let cli = parse(["mobility-explorer"]).expect("parses");
        assert!(cli.command.is_none());
        let config = Config::try_from(&cli.serve).expect("valid");
        assert!(config.database_url.starts_with("sqlite://"));
    }

    #[test]
    fn an_unsupported_database_url_is_refused_by_name() {
        let cli = parse([
            "mobility-explorer",
            "serve",
            "--database-url",
            "mysql://x:pw@h/d",
        ])
        .expect("parses");
        let Some(Command::Serve(args)) = cli.command else {
            panic!("serve expected");
        };
        let err = Config::try_from(&args).expect_err("refused");
        assert!(err.to_string().starts_with("DATABASE_URL"));
        assert!(!err.to_string().contains("pw"));
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn the_database_url_is_accepted_before_or_after_a_subcommand() {
        for args in [
            &[
                "mobility-explorer",
                "migrate",
                "status",
                "--database-url",
                "sqlite://a.db",
            ][..],
            &[
                "mobility-explorer",
                "migrate",
                "--database-url",
                "sqlite://a.db",
                "status",
            ],
        ] {
            let cli = parse(args).expect("parses");
            let Some(Command::Migrate { store, .. }) = cli.command else {
                panic!("migrate expected");
            };
            assert_eq!(store.database_url, "sqlite://a.db", "{args:?}");
        }
        let cli = parse(["mobility-explorer", "--database-url", "sqlite://b.db"]).expect("parses");
        assert_eq!(cli.serve.store.database_url, "sqlite://b.db");
        let cli = parse([
            "mobility-explorer",
            "serve",
            "--database-url",
            "sqlite://c.db",
        ])
        .expect("parses");
        let Some(Command::Serve(args)) = cli.command else {
            panic!("serve expected");
        };
        assert_eq!(args.store.database_url, "sqlite://c.db");
    }

    #[test]
    fn the_parsed_command_line_prints_no_secret() {
        let cli = parse([
            "mobility-explorer",
            "--database-url",
            "postgres://u:s3cr3tpw@h/d",
            "--person-key",
            "a person key of enough bytes",
        ])
        .expect("parses");
        let printed = format!("{cli:?}");
        assert!(!printed.contains("s3cr3tpw"), "{printed}");
        assert!(!printed.contains("person key of"), "{printed}");
        assert!(printed.contains("postgres://u:***@h/d"), "{printed}");
    }

    #[test]
    fn a_short_person_key_is_refused_by_name() {
        let cli = parse(["mobility-explorer", "--person-key", "short"]).expect("parses");
        let err = Config::try_from(&cli.serve).expect_err("refused");
        assert!(err.name.starts_with("PERSON_KEY"));
    }

    #[test]
    fn demo_data_is_on_by_default_and_can_be_turned_off() {
        let on = parse(["mobility-explorer"]).expect("parses");
        assert!(Config::try_from(&on.serve).expect("valid").demo_data);
        let off = parse(["mobility-explorer", "--demo-data", "false"]).expect("parses");
        assert!(!Config::try_from(&off.serve).expect("valid").demo_data);
    }

    #[test]
    fn graphiql_is_on_by_default_and_can_be_turned_off() {
        let on = parse(["mobility-explorer"]).expect("parses");
        assert!(Config::try_from(&on.serve).expect("valid").graphiql);
        let off = parse(["mobility-explorer", "--graphiql", "false"]).expect("parses");
        assert!(!Config::try_from(&off.serve).expect("valid").graphiql);
    }

    #[test]
    fn a_zero_limit_is_refused() {
        let cli = parse(["mobility-explorer", "--max-query-depth", "0"]).expect("parses");
        let err = Config::try_from(&cli.serve).expect_err("refused");
        assert_eq!(err.name, "MAX_QUERY_DEPTH");
    }
}
