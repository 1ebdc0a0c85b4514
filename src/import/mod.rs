//! Loading data into the store: reference data shipped with the binary, and the CSV files
//! users import. Every load is validated in full before anything is written, and written in one
//! transaction, so a bad file or a crash leaves the store as it was.

pub mod reference;
pub mod workforce;

use std::fmt;

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
