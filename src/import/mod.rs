//! Loading data into the store: reference data shipped with the binary, and the CSV files
//! users import. Every load is validated in full before anything is written, and written in one
//! transaction, so a bad file or a crash leaves the store as it was.

pub mod indicators;
pub mod programmes;
pub mod reference;
pub mod smc;
pub mod workforce;

use std::collections::HashMap;
use std::fmt;
use std::io::Read;

use crate::store::StoreError;

/// One thing wrong with an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file (or bundled data set) the problem is in.
    pub file: String,
    /// 1-based line number, counting the header as line 1; `None` for the file as a whole.
    pub line: Option<u64>,
    /// The column, when one is at fault.
    pub column: Option<String>,
    /// The offending value, when there is one.
    pub value: Option<String>,
    /// Why it is wrong.
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, " line {line}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ", column {column}")?;
        }
        if let Some(value) = &self.value {
            write!(f, ", value {value:?}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

impl Problem {
    /// A problem with one field of one line.
    pub fn at(
        file: &str,
        line: u64,
        column: &str,
        value: &str,
        reason: impl Into<String>,
    ) -> Problem {
        Problem {
            file: file.to_owned(),
            line: Some(line),
            column: Some(column.to_owned()),
            value: Some(value.to_owned()),
            reason: reason.into(),
        }
    }

    /// A problem with a file (or data set) as a whole.
    pub fn whole(file: &str, reason: impl Into<String>) -> Problem {
        Problem {
            file: file.to_owned(),
            line: None,
            column: None,
            value: None,
            reason: reason.into(),
        }
    }
}

/// A file (or generated data) to read: its name for problems, and its content.
pub struct Input<R> {
    /// The name problems refer to.
    pub name: String,
    /// The content.
    pub reader: R,
}

/// Demo data as generated, or why generating it failed (as a problem of the demo source).
pub(crate) fn generated<T>(result: Result<T, csv::Error>) -> Result<T, ImportError> {
    result
        .map_err(|e| ImportError::Invalid(vec![Problem::whole(crate::demo::SOURCE, e.to_string())]))
}

/// How many problems an error lists before it only counts the rest.
pub const PROBLEMS_SHOWN: usize = 100;

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input is invalid; nothing was written.
    #[error("{}", summarise(.0))]
    Invalid(Vec<Problem>),
    /// The store failed; the transaction was rolled back.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for ImportError {
    fn from(e: sea_orm::DbErr) -> Self {
        ImportError::Store(StoreError::Db(e))
    }
}

fn summarise(problems: &[Problem]) -> String {
    let mut text = format!("{} problem(s), nothing was written:", problems.len());
    for p in problems.iter().take(PROBLEMS_SHOWN) {
        text.push_str("\n  ");
        text.push_str(&p.to_string());
    }
    if problems.len() > PROBLEMS_SHOWN {
        text.push_str(&format!(
            "\n  ... and {} more",
            problems.len() - PROBLEMS_SHOWN
        ));
    }
    text
}

/// Checks a CSV header: every required column present, nothing unknown or repeated. Returns
/// each column's position, or `None` after adding a problem per fault.
pub(crate) fn header_positions(
    file: &str,
    header: &csv::StringRecord,
    required: &[&str],
    optional: &[&str],
    problems: &mut Vec<Problem>,
) -> Option<HashMap<String, usize>> {
    let before = problems.len();
    let mut problem = |column: &str, reason: String| {
        problems.push(Problem {
            file: file.to_owned(),
            line: Some(1),
            column: Some(column.to_owned()),
            value: None,
            reason,
        })
    };
    let mut positions = HashMap::new();
    for (i, h) in header.iter().map(str::trim).enumerate() {
        if !required.contains(&h) && !optional.contains(&h) {
            problem(
                h,
                format!(
                    "unknown column; expected {} (and optionally {})",
                    required.join(","),
                    optional.join(",")
                ),
            );
        } else if positions.insert(h.to_owned(), i).is_some() {
            problem(h, "column appears twice".to_owned());
        }
    }
    for name in required {
        if !positions.contains_key(*name) {
            problem(name, "required column missing from the header".to_owned());
        }
    }
    (problems.len() == before).then_some(positions)
}

/// Reads every record of a CSV file whose header passes [`header_positions`], calling `row`
/// with each record's line and the column positions; malformed records become problems and
/// reading goes on (an I/O error ends it).
pub(crate) fn read_records(
    file: &str,
    input: impl Read,
    (required, optional): (&[&str], &[&str]),
    problems: &mut Vec<Problem>,
    mut row: impl FnMut(u64, &HashMap<String, usize>, &csv::StringRecord, &mut Vec<Problem>),
) {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
    let columns = match reader.headers() {
        Ok(h) => match header_positions(file, h, required, optional, problems) {
            Some(columns) => columns,
            None => return,
        },
        Err(e) => {
            problems.push(csv_problem(file, &e));
            return;
        }
    };
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map(|p| p.line()).unwrap_or(0);
                row(line, &columns, &record, problems);
            }
            Err(e) => {
                problems.push(csv_problem(file, &e));
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
            }
        }
    }
}

/// A field of a record by column name, trimmed; empty when the column is absent.
pub(crate) fn field<'r>(
    columns: &HashMap<String, usize>,
    record: &'r csv::StringRecord,
    name: &str,
) -> &'r str {
    columns
        .get(name)
        .and_then(|i| record.get(*i))
        .unwrap_or("")
        .trim()
}

/// A CSV reading error as a problem.
pub(crate) fn csv_problem(file: &str, e: &csv::Error) -> Problem {
    Problem {
        file: file.to_owned(),
        line: e.position().map(|p| p.line()),
        column: None,
        value: None,
        reason: match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("{len} fields where the header has {expected_len}"),
            csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_owned(),
            _ => e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(line: u64) -> Problem {
        Problem {
            file: "f.csv".into(),
            line: Some(line),
            column: Some("code".into()),
            value: Some("X".into()),
            reason: "unknown".into(),
        }
    }

    #[test]
    fn a_problem_names_file_line_column_value_and_reason() {
        assert_eq!(
            problem(3).to_string(),
            "f.csv line 3, column code, value \"X\": unknown"
        );
    }

    #[test]
    fn past_the_first_hundred_problems_only_a_count_is_shown() {
        let err = ImportError::Invalid((1..=130).map(problem).collect());
        let text = err.to_string();
        assert!(text.starts_with("130 problem(s), nothing was written:"));
        assert!(text.contains("line 100,"));
        assert!(!text.contains("line 101,"));
        assert!(text.ends_with("... and 30 more"));
    }
}
