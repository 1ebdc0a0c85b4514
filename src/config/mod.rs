//! Configuration in one place: command-line flags, each with an environment fallback
//! ([`cli`]), checked into the settings the server runs with ([`Config`]), including the
//! query limits ([`limits`]).

mod cli;
mod limits;
mod settings;

pub use cli::*;
pub use limits::{InputBounds, Limits};
pub use settings::{Config, RateLimitSettings};

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
    fn demo_data_graphiql_explorer_and_metrics_are_on_by_default_and_can_be_turned_off() {
        type Switch = fn(&Config) -> bool;
        let switches: [(&str, Switch); 4] = [
            ("--demo-data", |c| c.demo_data),
            ("--graphiql", |c| c.graphiql),
            ("--explorer", |c| c.explorer),
            ("--metrics", |c| c.metrics),
        ];
        for (flag, value) in switches {
            let on = parse(["mobility-explorer"]).expect("parses");
            assert!(
                value(&Config::try_from(&on.serve).expect("valid")),
                "{flag}"
            );
            let off = parse(["mobility-explorer", flag, "false"]).expect("parses");
            assert!(
                !value(&Config::try_from(&off.serve).expect("valid")),
                "{flag}"
            );
        }
    }

    #[test]
    fn the_log_format_is_text_unless_json_is_asked_for_with_any_command() {
        let cli = parse(["mobility-explorer"]).expect("parses");
        assert_eq!(cli.log_format, LogFormat::Text);
        for args in [
            &["mobility-explorer", "--log-format", "json"][..],
            &["mobility-explorer", "serve", "--log-format", "json"],
            &[
                "mobility-explorer",
                "migrate",
                "status",
                "--log-format",
                "json",
            ],
        ] {
            let cli = parse(args).expect("parses");
            assert_eq!(cli.log_format, LogFormat::Json, "{args:?}");
        }
        assert!(parse(["mobility-explorer", "--log-format", "xml"]).is_err());
    }

    #[test]
    fn a_zero_limit_is_refused() {
        let cli = parse(["mobility-explorer", "--max-query-depth", "0"]).expect("parses");
        let err = Config::try_from(&cli.serve).expect_err("refused");
        assert_eq!(err.name, "MAX_QUERY_DEPTH");
    }
}
