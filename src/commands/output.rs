//! How commands report: errors, reports of work done, their product on standard output, and
//! notes on standard error.

use std::io::{self, Write};

use crate::app::AppError;
use crate::config::ConfigError;
use crate::import::ImportError;
use crate::store::StoreError;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// A setting is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The server failed to start or stopped with an error.
    #[error(transparent)]
    App(#[from] AppError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A load failed; nothing was written.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// The command cannot do what was asked (the reason says why).
    #[error("{0}")]
    Refused(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The command's output could not all be written to standard output.
    #[error("{what} was not all written: {}", stdout_problem(.source))]
    Output {
        /// What was being written.
        what: &'static str,
        /// The cause.
        source: std::io::Error,
    },
}

/// Why writing to standard output failed, in words.
fn stdout_problem(e: &io::Error) -> String {
    if e.kind() == io::ErrorKind::BrokenPipe {
        "standard output was closed".to_owned()
    } else {
        format!("cannot write to standard output: {e}")
    }
}

/// Writes a report of work already done to standard output. When it cannot be written (the
/// reader went away), says so once on standard error and carries on: `done` says what was
/// done all the same.
pub(super) fn report(done: &str, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) {
    let mut out = io::BufWriter::new(io::stdout().lock());
    if let Err(e) = write(&mut out).and_then(|()| out.flush()) {
        note(&format!(
            "note: {done}, but the report was not written: {}",
            stdout_problem(&e)
        ));
    }
}

/// Writes output that is the command's product (`what`) to standard output; failing to write
/// all of it fails the command.
pub(super) fn data(
    what: &'static str,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), CommandError> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    write(&mut out)
        .and_then(|()| out.flush())
        .map_err(|source| CommandError::Output { what, source })
}

/// Writes a line to standard error. Errors are ignored: there is nowhere left to report them,
/// and the exit code still says how the command went.
pub fn note(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

/// A time stored as seconds since 1970 (UTC), as an HTTP date.
pub(super) fn date(seconds: i64) -> String {
    let at =
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(seconds).unwrap_or(0));
    httpdate::fmt_http_date(at)
}
