//! The one pipeline every load goes through: read a CSV whose columns are located by name,
//! validate each record into a typed row, collect every problem (file, line, column, value,
//! reason) without stopping, and only when there is none write in one transaction.
//!
//! Nothing is dropped silently: a record either becomes a row or leaves at least one problem
//! (a loader may leave out values the publisher marks as not available, and says so).

use std::collections::HashMap;
use std::fmt;
use std::io::Read;

use sea_orm::{DatabaseConnection, TransactionSession, TransactionTrait};

use crate::store::bulk::BulkSession;
use crate::store::{self, StoreError};

/// A file of the reference data bundled with the binary (`data/reference/`): its name (the
/// path below that folder, as problems cite it) and its text.
macro_rules! bundled {
    ($path:expr) => {
        (
            $path,
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/data/reference/",
                $path
            )),
        )
    };
}
pub(crate) use bundled;

/// One thing wrong with an input file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
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

    /// A CSV reading error (a malformed record, bad UTF-8, a failed read) as a problem.
    pub fn csv(file: &str, e: &csv::Error) -> Problem {
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
}

/// How many problems an error lists before it only counts the rest.
pub const PROBLEMS_SHOWN: usize = 100;

/// Why a load wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input is invalid; nothing was written.
    #[error("{}", summarise(.0))]
    Invalid(Vec<Problem>),
    /// The input names what its submitter may not write (another employer's rows), among
    /// other problems perhaps; nothing was written.
    #[error("{}", summarise(.0))]
    Forbidden(Vec<Problem>),
    /// The store failed; the transaction was rolled back.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for ImportError {
    fn from(e: sea_orm::DbErr) -> Self {
        ImportError::Store(StoreError::Db(e))
    }
}

impl ImportError {
    /// A row written moments ago that the store cannot find: the store is not consistent.
    pub fn missing(what: &str, name: &str) -> ImportError {
        ImportError::Store(StoreError::Corrupt(format!(
            "{what} {name} was not found after being written"
        )))
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

/// A file (or generated or bundled data) to read: its name for problems, and its content.
pub struct Input<R> {
    /// The name problems refer to.
    pub name: String,
    /// The content.
    pub reader: R,
}

impl<'a> Input<&'a [u8]> {
    /// Bundled or generated text under its name.
    pub fn text(name: &str, text: &'a (impl AsRef<[u8]> + ?Sized)) -> Self {
        Input {
            name: name.to_owned(),
            reader: text.as_ref(),
        }
    }
}

/// The columns a file must and may have.
#[derive(Debug, Clone, Copy)]
pub struct Format<'a> {
    /// Columns every file has, in any order.
    pub required: &'a [&'a str],
    /// Columns a file may add.
    pub optional: &'a [&'a str],
    /// Whether other columns are refused (files users import) or ignored (published files,
    /// bundled as published, carry columns we do not use).
    pub strict: bool,
}

impl<'a> Format<'a> {
    /// A format users write to: any other column is a mistake.
    pub const fn strict(required: &'a [&'a str], optional: &'a [&'a str]) -> Self {
        Format {
            required,
            optional,
            strict: true,
        }
    }

    /// A published file's format: the columns used, others ignored.
    pub const fn published(required: &'a [&'a str]) -> Self {
        Format {
            required,
            optional: &[],
            strict: false,
        }
    }
}

/// Where each column of a header is.
#[derive(Debug, Default)]
pub struct Columns(HashMap<String, usize>);

impl Columns {
    /// Locates the columns of `header` (names trimmed, a byte-order mark ignored): every
    /// required column present, none repeated, nothing unknown in a strict format. `None`
    /// after adding a problem per fault.
    pub fn locate(
        file: &str,
        header: &csv::StringRecord,
        format: &Format<'_>,
        problems: &mut Vec<Problem>,
    ) -> Option<Columns> {
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
        for (i, h) in header.iter().enumerate() {
            let h = h.trim_start_matches('\u{feff}').trim();
            let known = format.required.contains(&h) || format.optional.contains(&h);
            if format.strict && !known {
                problem(
                    h,
                    format!(
                        "unknown column; expected {} (and optionally {})",
                        format.required.join(","),
                        format.optional.join(",")
                    ),
                );
            } else if positions.insert(h.to_owned(), i).is_some() && known {
                problem(h, "column appears twice".to_owned());
            }
        }
        for name in format.required {
            if !positions.contains_key(*name) {
                problem(name, "required column missing from the header".to_owned());
            }
        }
        (problems.len() == before).then_some(Columns(positions))
    }

    /// The position of a column, when the header has it.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.0.get(name).copied()
    }
}

/// One boolean parser for every file: `true`/`false`, `yes`/`no` or `1`/`0`, in any case.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// One record of a file, its fields by column name.
pub struct Record<'r> {
    file: &'r str,
    line: u64,
    columns: &'r Columns,
    fields: &'r csv::StringRecord,
}

impl<'r> Record<'r> {
    /// The file the record is in.
    pub fn file(&self) -> &'r str {
        self.file
    }

    /// Its line (the header is line 1).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The header's columns.
    pub fn columns(&self) -> &'r Columns {
        self.columns
    }

    /// A field by column position, trimmed; empty when there is none.
    pub fn at(&self, position: Option<usize>) -> &'r str {
        position
            .and_then(|i| self.fields.get(i))
            .unwrap_or("")
            .trim()
    }

    /// A field by column name, trimmed; empty when the file lacks the column.
    pub fn get(&self, name: &str) -> &'r str {
        self.at(self.columns.position(name))
    }

    /// Whether every field is empty (a spacer row some published files carry).
    pub fn is_blank(&self) -> bool {
        self.fields.iter().all(|f| f.trim().is_empty())
    }

    /// A problem with one field of this record.
    pub fn problem(&self, column: &str, value: &str, reason: impl Into<String>) -> Problem {
        Problem::at(self.file, self.line, column, value, reason)
    }

    /// A field that must not be empty.
    pub fn required(&self, name: &str, problems: &mut Vec<Problem>) -> Option<&'r str> {
        let text = self.get(name);
        if text.is_empty() {
            problems.push(self.problem(name, "", "required"));
            None
        } else {
            Some(text)
        }
    }

    /// A boolean field; an empty one is `empty` when given, a problem otherwise.
    pub fn boolean(
        &self,
        name: &str,
        empty: Option<bool>,
        problems: &mut Vec<Problem>,
    ) -> Option<bool> {
        let text = self.get(name);
        let value = if text.is_empty() {
            empty
        } else {
            parse_bool(text)
        };
        if value.is_none() {
            problems.push(self.problem(name, text, "expected true or false"));
        }
        value
    }

    /// The optional `synthetic` flag: empty is real data.
    pub fn synthetic(&self, problems: &mut Vec<Problem>) -> Option<bool> {
        self.boolean("synthetic", Some(false), problems)
    }

    /// A number that must be there.
    pub fn required_number(&self, name: &str, problems: &mut Vec<Problem>) -> Option<f64> {
        self.required(name, problems)?;
        self.number(name, &[], problems)
    }

    /// An optional number: `None` when empty or a marker in `absent` (in any case), and when
    /// unreadable or not finite, which is a problem.
    pub fn number(&self, name: &str, absent: &[&str], problems: &mut Vec<Problem>) -> Option<f64> {
        let text = self.get(name);
        if text.is_empty() || absent.iter().any(|a| a.eq_ignore_ascii_case(text)) {
            return None;
        }
        match text.parse::<f64>() {
            Ok(x) if x.is_finite() => Some(x),
            _ => {
                problems.push(self.problem(name, text, "not a number"));
                None
            }
        }
    }
}

/// The records of an input read a batch at a time, so a file of any size is checked and
/// written in constant memory: each record checked against [`Columns::locate`]d columns.
/// Malformed records are problems and reading goes on; an I/O error ends it.
pub struct Rows<R: Read> {
    file: String,
    reader: csv::Reader<LineBreaks<R>>,
    columns: Option<Columns>,
    fields: csv::StringRecord,
}

/// `inner` with every line break read as `\n`: `\r\n` and a lone `\r` alike (also inside a
/// quoted field). The CSV reader counts lines by `\n` alone, and a record after `\r\n` starts
/// at the `\n`, before it is counted: in a file saved on Windows every line number after the
/// header came out one too low.
pub struct LineBreaks<R> {
    inner: R,
    after_cr: bool,
}

impl<R> LineBreaks<R> {
    /// Reads `inner`.
    pub fn new(inner: R) -> LineBreaks<R> {
        LineBreaks {
            inner,
            after_cr: false,
        }
    }
}

impl<R: Read> Read for LineBreaks<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            if n == 0 {
                return Ok(0);
            }
            if !self.after_cr && !buf[..n].contains(&b'\r') {
                return Ok(n);
            }
            let mut kept = 0;
            for i in 0..n {
                let byte = buf[i];
                if byte == b'\n' && self.after_cr {
                    // The second half of `\r\n`, whose `\r` became the `\n`.
                    self.after_cr = false;
                    continue;
                }
                self.after_cr = byte == b'\r';
                buf[kept] = if self.after_cr { b'\n' } else { byte };
                kept += 1;
            }
            // Nothing kept: the read held only the `\n` of a `\r\n` split across reads.
            if kept > 0 {
                return Ok(kept);
            }
        }
    }
}

impl<R: Read> Rows<R> {
    /// Opens `input` and checks its header against `format` (a bad header is a problem, and
    /// the file then yields no rows).
    pub fn open(input: Input<R>, format: &Format<'_>, problems: &mut Vec<Problem>) -> Rows<R> {
        let file = input.name;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(LineBreaks::new(input.reader));
        let columns = match reader.headers() {
            Ok(h) => Columns::locate(&file, h, format, problems),
            Err(e) => {
                problems.push(Problem::csv(&file, &e));
                None
            }
        };
        Rows {
            file,
            reader,
            columns,
            fields: csv::StringRecord::new(),
        }
    }

    /// Whether every record has been read.
    pub fn finished(&self) -> bool {
        self.columns.is_none()
    }

    /// Reads up to `max` records, turning each into a row with `validate` (which adds a
    /// problem for whatever it refuses); fewer only at the end of the input.
    pub fn next_batch<T>(
        &mut self,
        max: usize,
        problems: &mut Vec<Problem>,
        mut validate: impl FnMut(&Record<'_>, &mut Vec<Problem>) -> Option<T>,
    ) -> Vec<T> {
        let mut rows = Vec::new();
        let Some(columns) = &self.columns else {
            return rows;
        };
        let mut read = 0;
        while read < max {
            match self.reader.read_record(&mut self.fields) {
                Ok(false) => {
                    self.columns = None;
                    break;
                }
                Ok(true) => {
                    read += 1;
                    let record = Record {
                        file: &self.file,
                        line: self.fields.position().map(|p| p.line()).unwrap_or(0),
                        columns,
                        fields: &self.fields,
                    };
                    rows.extend(validate(&record, problems));
                }
                Err(e) => {
                    read += 1;
                    problems.push(Problem::csv(&self.file, &e));
                    if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                        self.columns = None;
                        break;
                    }
                }
            }
        }
        rows
    }
}

/// Reads every record of `input` at once (see [`Rows`]): for files whose rows are few.
pub fn read<T>(
    input: Input<impl Read>,
    format: &Format<'_>,
    problems: &mut Vec<Problem>,
    validate: impl FnMut(&Record<'_>, &mut Vec<Problem>) -> Option<T>,
) -> Vec<T> {
    Rows::open(input, format, problems).next_batch(usize::MAX, problems, validate)
}

/// The one rule for the synthetic flag: what a row names (an employer, an indicator, a
/// programme) is synthetic or real for good, so a row of `file` (line, code, flag) giving the
/// other flag than the store holds (`stored`) is refused, never overwritten or ignored.
pub fn synthetic_conflicts<'a>(
    file: &str,
    what: &str,
    rows: impl IntoIterator<Item = (u64, &'a str, bool)>,
    stored: impl Fn(&str) -> Option<bool>,
) -> Vec<Problem> {
    rows.into_iter()
        .filter_map(|(line, code, given)| {
            let stored = stored(code).filter(|s| *s != given)?;
            Some(Problem::at(
                file,
                line,
                "synthetic",
                &given.to_string(),
                format!(
                    "{what} {code} is stored as {} data; synthetic and real data never mix",
                    if stored { "synthetic" } else { "real" }
                ),
            ))
        })
        .collect()
}

/// Reads a companion file (definitions, programme descriptions) with `read` when there is
/// one, refusing each row whose flag differs from the store's (see [`synthetic_conflicts`]).
pub fn companion<T, R: Read>(
    input: Option<Input<R>>,
    read: impl FnOnce(Input<R>, &mut Vec<Problem>) -> Vec<(u64, T)>,
    (what, flag): (&str, impl Fn(&T) -> (&str, bool)),
    stored: impl Fn(&str) -> Option<bool>,
    problems: &mut Vec<Problem>,
) -> Vec<T> {
    let Some(input) = input else {
        return Vec::new();
    };
    let file = input.name.clone();
    let rows = read(input, problems);
    let flags = rows.iter().map(|(line, row)| {
        let (code, synthetic) = flag(row);
        (*line, code, synthetic)
    });
    problems.extend(synthetic_conflicts(&file, what, flags, stored));
    rows.into_iter().map(|(_, row)| row).collect()
}

/// Writes in one transaction what `write` writes, with a new data version, only when no
/// problem was found: nothing is written otherwise, nor when `write` fails (its transaction
/// is rolled back).
pub async fn write<C, T>(
    db: &C,
    problems: Vec<Problem>,
    write: impl AsyncFnOnce(&C::Transaction) -> Result<T, ImportError>,
) -> Result<T, ImportError>
where
    C: TransactionTrait,
{
    write_as(db, problems, Ending::Commit, write).await
}

/// [`write`], ended as `ending` says (a dry run writes, then rolls back).
pub async fn write_as<C, T>(
    db: &C,
    problems: Vec<Problem>,
    ending: Ending,
    write: impl AsyncFnOnce(&C::Transaction) -> Result<T, ImportError>,
) -> Result<T, ImportError>
where
    C: TransactionTrait,
{
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }
    transaction(db, ending, write).await
}

/// What a transaction does with what its work wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Commit it, with a new data version.
    Commit,
    /// Roll it back: a dry run, which checks everything and writes nothing.
    RollBack,
}

/// Runs `work` in one write transaction and ends it as `ending` says; an error from `work`
/// (problems it found included) rolls everything back.
pub async fn transaction<C, T>(
    db: &C,
    ending: Ending,
    work: impl AsyncFnOnce(&C::Transaction) -> Result<T, ImportError>,
) -> Result<T, ImportError>
where
    C: TransactionTrait,
{
    let txn = store::begin_write(db).await?;
    let done = work(&txn).await?;
    if ending == Ending::RollBack {
        txn.rollback().await?;
        return Ok(done);
    }
    // Servers reload what they hold in memory when the version moves.
    store::version::bump(&txn).await?;
    txn.commit().await?;
    Ok(done)
}

/// [`transaction`] on PostgreSQL's [`BulkSession`] over `db`, whose rows may also go in by
/// `COPY`: rolled back on any error, else ended as `ending` says.
pub async fn bulk_transaction<T>(
    db: &DatabaseConnection,
    ending: Ending,
    work: impl AsyncFnOnce(&BulkSession) -> Result<T, ImportError>,
) -> Result<T, ImportError> {
    let session = BulkSession::begin(db).await?;
    let done = match work(&session).await {
        Ok(done) if ending == Ending::RollBack => {
            session.rollback().await;
            return Ok(done);
        }
        Ok(done) => store::version::bump(session.db())
            .await
            .map(|()| done)
            .map_err(ImportError::from),
        Err(e) => Err(e),
    };
    match done {
        Ok(done) => {
            session.commit().await?;
            Ok(done)
        }
        Err(e) => {
            session.rollback().await;
            Err(e)
        }
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

    #[test]
    fn one_boolean_parser_reads_every_spelling() {
        for (text, value) in [("true", true), ("Yes", true), ("1", true), ("FALSE", false)] {
            assert_eq!(parse_bool(text), Some(value), "{text}");
            assert_eq!(parse_bool(&format!(" {text} ")), Some(value), "{text}");
        }
        assert_eq!(parse_bool(""), None);
        assert_eq!(parse_bool("maybe"), None);
    }

    #[test]
    fn every_bad_record_is_a_problem_and_reading_goes_on() {
        let text = "a,b\n1,x\n2\n3,\n4,y\n";
        let mut problems = Vec::new();
        let rows = read(
            Input::text("t.csv", text),
            &Format::strict(&["a", "b"], &[]),
            &mut problems,
            |r, problems| Some((r.line(), r.required("b", problems)?.to_owned())),
        );
        assert_eq!(rows, [(2, "x".to_owned()), (5, "y".to_owned())]);
        let lines: Vec<Option<u64>> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [Some(3), Some(4)], "{problems:#?}");
    }

    #[test]
    fn line_numbers_are_the_same_whatever_ends_the_lines() {
        for ending in ["\n", "\r\n", "\r"] {
            let text = ["a,b", "1,x", "2", "3,", "4,y", ""].join(ending);
            let mut problems = Vec::new();
            let rows = read(
                Input::text("t.csv", &text),
                &Format::strict(&["a", "b"], &[]),
                &mut problems,
                |r, problems| Some((r.line(), r.required("b", problems)?.to_owned())),
            );
            assert_eq!(
                rows,
                [(2, "x".to_owned()), (5, "y".to_owned())],
                "{ending:?}"
            );
            let lines: Vec<Option<u64>> = problems.iter().map(|p| p.line).collect();
            assert_eq!(lines, [Some(3), Some(4)], "{ending:?}: {problems:#?}");
        }
    }

    #[test]
    fn line_breaks_read_as_newlines_across_any_split_of_the_input() {
        let text = b"a\r\nb\rc\n\r\n\"d\r\ne\"\r";
        let expected = b"a\nb\nc\n\n\"d\ne\"\n";
        // One byte per read splits every `\r\n`; whole reads split none.
        for chunk in [1, 2, 3, text.len()] {
            let mut read = Vec::new();
            let mut reader = LineBreaks::new(Chunked(text.chunks(chunk).collect()));
            reader.read_to_end(&mut read).expect("read");
            assert_eq!(read, expected, "reads of {chunk}");
        }
    }

    /// Gives its chunks one per read (or what of one fits).
    struct Chunked<'a>(std::collections::VecDeque<&'a [u8]>);

    impl Read for Chunked<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let Some(chunk) = self.0.pop_front() else {
                return Ok(0);
            };
            let n = chunk.len().min(buf.len());
            buf[..n].copy_from_slice(&chunk[..n]);
            if n < chunk.len() {
                self.0.push_front(&chunk[n..]);
            }
            Ok(n)
        }
    }

    #[test]
    fn a_header_is_checked_by_name() {
        let mut problems = Vec::new();
        let header = csv::StringRecord::from(vec!["\u{feff}b", "c", "b"]);
        assert!(
            Columns::locate(
                "t.csv",
                &header,
                &Format::strict(&["a", "b"], &[]),
                &mut problems
            )
            .is_none()
        );
        let reasons: Vec<&str> = problems.iter().map(|p| p.reason.as_str()).collect();
        assert_eq!(reasons.len(), 3, "{problems:#?}");
        let header = csv::StringRecord::from(vec!["\u{feff}b", "c"]);
        let published = Columns::locate(
            "t.csv",
            &header,
            &Format::published(&["b"]),
            &mut Vec::new(),
        );
        assert_eq!(published.and_then(|c| c.position("b")), Some(0));
    }
}
