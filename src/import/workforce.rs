//! Importing staff records from CSV (`mobility-explorer import workforce FILE.csv`).
//!
//! The file is streamed: read, checked and written a batch at a time inside one
//! transaction, so memory does not grow with the file. A snapshot new to the store is written
//! straight into its records; one that replaces a stored snapshot is staged, to be checked
//! against it. Once every row is read, the checks that need all of them run in SQL; only a
//! file with no problem is committed. A bad row, a crash or a kill leaves the store as it
//! was.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, OnceLock};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, TransactionTrait};

use super::pipeline::{self, Ending, Format, ImportError, Input, Problem, Record};
pub use crate::domain::formats::workforce::{OPTIONAL_COLUMNS, REQUIRED_COLUMNS};
use crate::domain::seb::Measure;
use crate::domain::tally::{Tally, TallyRecord};
use crate::domain::workforce::{PersonKey, derived_record_key, employer_named};
use crate::store::bulk::BulkSession;
use crate::store::workforce::stage::{self, StagedRecord, Target};
use crate::store::{self, workforce::NewRecord};

mod repeats;

use repeats::RepeatSieve;

/// Earliest and latest years accepted.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

/// What an import wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Staff records written.
    pub rows: u64,
    /// Each snapshot written: employer code, year, records, whether an earlier version of it
    /// was stored (its draft is then replaced, a published version kept as its release's).
    pub snapshots: Vec<(String, i32, u64, bool)>,
    /// Per measure (in [`Measure::ALL`] order): records whose background group is known.
    pub declared: [u64; 5],
    /// The release that published what was written; `None`: it was left as drafts.
    pub release: Option<i32>,
    /// The snapshot ids written (the drafts a release publishes), in `snapshots` order.
    pub written: Vec<i32>,
}

impl Summary {
    /// Declared records over all records, per measure.
    pub fn declaration_rates(&self) -> Vec<(Measure, f64)> {
        Measure::ALL
            .iter()
            .zip(self.declared)
            .map(|(m, d)| {
                let rate = if self.rows == 0 {
                    0.0
                } else {
                    d as f64 / self.rows as f64
                };
                (*m, rate)
            })
            .collect()
    }
}

/// One checked row, compact: names are indices into the import's tables.
struct Row {
    line: u64,
    pseudonym: String,
    /// The key the file gives, if it has the column.
    record_key: Option<u8>,
    employer: usize,
    year: i32,
    unit: usize,
    grade: usize,
    grade_level: i32,
    area: usize,
    joined_year: Option<i32>,
    answers: [Option<&'static str>; 5],
    engagement: Option<f64>,
}

/// An employer as the file describes it.
#[derive(Clone)]
struct FileEmployer {
    code: String,
    name: Option<String>,
    sector: Option<String>,
    synthetic: bool,
    first_line: u64,
}

impl FileEmployer {
    /// The stored employer, created when new, with the name and sector the file gave so far.
    async fn ensure(
        &self,
        txn: &impl ConnectionTrait,
    ) -> Result<store::workforce::Employer, ImportError> {
        Ok(store::workforce::ensure_employer(
            txn,
            &self.code,
            self.name.as_deref(),
            self.sector.as_deref(),
            self.synthetic,
        )
        .await?)
    }
}

/// Interns names so 1,000,000 rows hold small indices, not strings.
#[derive(Default)]
struct Names<K: std::hash::Hash + Eq + Clone> {
    index: foldhash::HashMap<K, usize>,
    items: Vec<K>,
}

impl<K: std::hash::Hash + Eq + Clone> Names<K> {
    fn intern(&mut self, key: K) -> usize {
        if let Some(i) = self.index.get(&key) {
            return *i;
        }
        self.items.push(key.clone());
        self.index.insert(key, self.items.len() - 1);
        self.items.len() - 1
    }
}

/// Interns names within a scope (an employer's business units or grades): looked up by
/// `&str`, so a name met before costs no allocation (one per row was measurable at 10M rows).
#[derive(Default)]
struct ScopedNames {
    index: Vec<foldhash::HashMap<String, usize>>,
    items: Vec<(usize, String)>,
}

impl ScopedNames {
    fn intern(&mut self, scope: usize, name: &str) -> usize {
        if self.index.len() <= scope {
            self.index.resize_with(scope + 1, Default::default);
        }
        if let Some(i) = self.index[scope].get(name) {
            return *i;
        }
        self.items.push((scope, name.to_owned()));
        self.index[scope].insert(name.to_owned(), self.items.len() - 1);
        self.items.len() - 1
    }
}

/// Checks the rows of a file; every problem is collected, none stops the reading.
struct Checker {
    key: PersonKey,
    authorities: Vec<(String, String)>,
    // Looked up for every row: foldhash, as SipHash costs more than the look-up.
    authority_index: foldhash::HashMap<String, usize>,
    employers: Vec<FileEmployer>,
    employer_index: foldhash::HashMap<String, usize>,
    units: ScopedNames,
    grades: ScopedNames,
    /// Each grade's level and the line that first gave it, by the grade's number.
    grade_levels: Vec<(i32, u64)>,
    /// Fingerprints of every (snapshot, person) read.
    repeats: RepeatSieve,
    /// Employers already stored: synthetic or not.
    stored: HashMap<String, bool>,
    /// The file's employers by their codes' upper case.
    employer_folded: HashMap<String, usize>,
    /// The codes (upper case) of the employers the file may create; `None`: any.
    new_employers: Option<Vec<String>>,
    /// The one employer (upper case) the file may name, for a submission by its key.
    only_employer: Option<String>,
    /// Whether a row named another employer than `only_employer`.
    foreign: bool,
}

impl Checker {
    /// The file's employer a row's code names, ignoring case, or for one not met yet the
    /// code it goes by (the stored spelling when the store holds it); refused when it names
    /// two stored employers whose codes differ only in case (stored before codes were
    /// matched so), and not exactly either.
    fn employer(&mut self, code: &str) -> Result<Named, String> {
        // Most rows repeat a spelling already met.
        if let Some(i) = self.employer_index.get(code) {
            return Ok(Named::Met(*i));
        }
        if let Some(&i) = self.employer_folded.get(&code.to_uppercase()) {
            self.employer_index.insert(code.to_owned(), i);
            return Ok(Named::Met(i));
        }
        let stored = self.stored_codes();
        match employer_named(&stored, code) {
            Ok(i) => Ok(Named::First(stored[i].to_owned())),
            Err(several) if several.len() > 1 => Err(format!(
                "employer codes ignore case, and this one names {}; give one of them exactly",
                several.join(" and ")
            )),
            Err(_) => Ok(Named::First(code.to_owned())),
        }
    }

    /// The stored employers' codes, in order.
    fn stored_codes(&self) -> Vec<&str> {
        let mut codes: Vec<&str> = self.stored.keys().map(String::as_str).collect();
        codes.sort_unstable();
        codes
    }

    /// Why the file may not create employer `code`, if it is new and not allowed: with the
    /// stored codes nearest to it, which a mistyped code usually meant.
    fn refused_as_new(&self, code: &str) -> Option<String> {
        let allowed = self.new_employers.as_ref()?;
        let folded = code.to_uppercase();
        if self.stored.contains_key(code) || allowed.contains(&folded) {
            return None;
        }
        let mut near: Vec<(f64, &String)> = self
            .stored
            .keys()
            .map(|c| {
                (
                    strsim::normalized_levenshtein(&c.to_uppercase(), &folded),
                    c,
                )
            })
            .filter(|(likeness, _)| *likeness >= 0.5)
            .collect();
        near.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        let hint = match near.as_slice() {
            [] => String::new(),
            near => format!(
                "; the nearest stored codes: {}",
                near.iter()
                    .take(3)
                    .map(|(_, c)| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Some(format!(
            "no stored employer has this code; to create it, pass --new-employer {code}{hint}"
        ))
    }
}

/// The file's employer a row names.
enum Named {
    /// One met on an earlier row, by the file's numbering.
    Met(usize),
    /// One first met on this row, by the code it goes by.
    First(String),
}

/// A whole number in `range`, or a problem.
fn integer(
    r: &Record<'_>,
    column: &str,
    range: std::ops::RangeInclusive<i32>,
    problems: &mut Vec<Problem>,
) -> Option<i32> {
    let value = r.get(column);
    let reason = match value.parse::<i32>() {
        Ok(n) if range.contains(&n) => return Some(n),
        Ok(_) => format!("must be between {} and {}", range.start(), range.end()),
        Err(_) => "not a whole number".to_owned(),
    };
    problems.push(r.problem(column, value, reason));
    None
}

impl Checker {
    fn check_row(&mut self, r: &Record<'_>, problems: &mut Vec<Problem>) -> Option<Row> {
        let line = r.line();
        let before = problems.len();

        let person_ref = r.required("person_ref", problems);
        let employer_code = r.required("employer", problems);
        let year = integer(r, "year", YEARS, problems);
        let unit = r.required("business_unit", problems);
        let grade = r.required("grade", problems);
        let grade_level = integer(r, "grade_level", 1..=100, problems);

        let area_text = r.get("work_area");
        // Codes are upper case; only a lower-case one pays for the copy.
        let area = self.authority_index.get(area_text).copied().or_else(|| {
            self.authority_index
                .get(&area_text.to_ascii_uppercase())
                .copied()
        });
        if area.is_none() {
            let reason = if area_text.is_empty() {
                "required"
            } else {
                "not a known local authority code (2020 boundaries, or a unitary authority created since; for example E09000033)"
            };
            problems.push(r.problem("work_area", area_text, reason));
        }

        let joined_text = r.get("joined_year");
        let joined_year = if joined_text.is_empty() {
            None
        } else {
            integer(r, "joined_year", YEARS, problems)
        };
        if let (Some(joined), Some(year)) = (joined_year, year)
            && joined > year
        {
            let reason = format!("later than the snapshot year {year}");
            problems.push(r.problem("joined_year", joined_text, reason));
        }

        let mut answers = [None; 5];
        for (slot, measure) in answers.iter_mut().zip(Measure::ALL) {
            let text = r.get(measure.column());
            match measure.parse_answer(text) {
                Ok(answer) => *slot = answer,
                Err(reason) => problems.push(r.problem(measure.column(), text, reason)),
            }
        }

        let engagement_text = r.get("engagement");
        let engagement = match engagement_text.parse::<f64>() {
            _ if engagement_text.is_empty() => None,
            Ok(x) if (0.0..=100.0).contains(&x) => Some(x),
            Ok(_) => {
                problems.push(r.problem("engagement", engagement_text, "must be from 0 to 100"));
                None
            }
            Err(_) => {
                problems.push(r.problem("engagement", engagement_text, "not a number"));
                None
            }
        };

        let record_key = match r
            .columns()
            .position("record_key")
            .map(|_| r.get("record_key"))
        {
            None => None,
            Some(text) => match text.parse::<u8>() {
                Ok(key) => Some(key),
                Err(_) => {
                    let reason = if text.is_empty() {
                        "required when the file has the column: a whole number from 0 to 255"
                    } else {
                        "must be a whole number from 0 to 255"
                    };
                    problems.push(r.problem("record_key", text, reason));
                    None
                }
            },
        };

        let synthetic = r.synthetic(problems).unwrap_or(false);

        let (person_ref, employer_code, year, unit, grade, grade_level, area) = (
            person_ref?,
            employer_code?,
            year?,
            unit?,
            grade?,
            grade_level?,
            area?,
        );

        let employer = match self.employer(employer_code) {
            Err(reason) => {
                problems.push(r.problem("employer", employer_code, reason));
                return None;
            }
            Ok(Named::Met(i)) => {
                if self.employers[i].synthetic != synthetic {
                    let first = self.employers[i].first_line;
                    problems.push(r.problem(
                        "synthetic",
                        if synthetic { "true" } else { "false" },
                        format!(
                            "employer {employer_code} is {} on line {first}; synthetic and real rows never mix",
                            if synthetic { "real" } else { "synthetic" }
                        ),
                    ));
                }
                i
            }
            Ok(Named::First(code)) => {
                if let Some(only) = self.only_employer.as_deref()
                    && code.to_uppercase() != only
                {
                    self.foreign = true;
                    problems.push(r.problem(
                        "employer",
                        employer_code,
                        format!("this submission may hold {only}'s rows only"),
                    ));
                } else if let Some(reason) = self.refused_as_new(&code) {
                    problems.push(r.problem("employer", employer_code, reason));
                }
                self.employers.push(FileEmployer {
                    code: code.clone(),
                    name: None,
                    sector: None,
                    synthetic,
                    first_line: line,
                });
                let i = self.employers.len() - 1;
                self.employer_index.insert(employer_code.to_owned(), i);
                self.employer_folded.insert(code.to_uppercase(), i);
                i
            }
        };
        if let Some(name) = Some(r.get("employer_name")).filter(|n| !n.is_empty()) {
            self.employers[employer].name = Some(name.to_owned());
        }
        if let Some(sector) = Some(r.get("employer_sector")).filter(|s| !s.is_empty()) {
            self.employers[employer].sector = Some(sector.to_owned());
        }

        let grade_index = self.grades.intern(employer, grade);
        match self.grade_levels.get(grade_index) {
            Some((level, first)) if *level != grade_level => {
                let reason = format!("grade {grade} has level {level} on line {first}");
                problems.push(r.problem("grade_level", &grade_level.to_string(), reason));
            }
            Some(_) => {}
            None => self.grade_levels.push((grade_level, line)),
        }

        let pseudonym = self.key.pseudonym(person_ref);

        if problems.len() > before {
            return None;
        }
        let unit = self.units.intern(employer, unit);
        self.repeats.add((employer, year), &pseudonym);
        Some(Row {
            line,
            pseudonym,
            record_key,
            employer,
            year,
            unit,
            grade: grade_index,
            grade_level,
            area,
            joined_year,
            answers,
            engagement,
        })
    }
}

/// Rows read, checked and written at a time.
const BATCH_ROWS: usize = 20_000;

/// The stored ids of the employers, business units and grades a file names (by the file's
/// numbering), each created when first seen.
#[derive(Default)]
struct Ids {
    employers: Vec<i32>,
    units: Vec<i32>,
    grades: Vec<i32>,
}

/// The employers, business units and grades (with their levels) the checker has met, in the
/// file's numbering: what needs a stored id.
#[derive(Default)]
struct Seen {
    employers: Vec<FileEmployer>,
    units: Vec<(usize, String)>,
    grades: Vec<(usize, String)>,
    grade_levels: Vec<Option<i32>>,
}

/// How many employers, business units and grades of the checker's a reader has reported.
#[derive(Default)]
struct Reported {
    employers: usize,
    units: usize,
    grades: usize,
}

impl Seen {
    /// What `checker` has met beyond what was `reported`, which it then counts as reported.
    fn news(checker: &Checker, reported: &mut Reported) -> Seen {
        let grades = reported.grades..checker.grades.items.len();
        let news = Seen {
            employers: checker.employers[reported.employers..].to_vec(),
            units: checker.units.items[reported.units..].to_vec(),
            grades: checker.grades.items[grades.clone()].to_vec(),
            grade_levels: grades
                .map(|i| checker.grade_levels.get(i).map(|(level, _)| *level))
                .collect(),
        };
        *reported = Reported {
            employers: checker.employers.len(),
            units: checker.units.items.len(),
            grades: checker.grades.items.len(),
        };
        news
    }

    fn extend(&mut self, news: Seen) {
        self.employers.extend(news.employers);
        self.units.extend(news.units);
        self.grades.extend(news.grades);
        self.grade_levels.extend(news.grade_levels);
    }
}

/// A batch of checked rows, with what the checker met while reading them.
struct Batch {
    rows: Vec<Row>,
    news: Seen,
}

impl Ids {
    /// Creates what was seen since the last call and records the ids.
    async fn resolve(
        &mut self,
        txn: &impl ConnectionTrait,
        seen: &Seen,
    ) -> Result<(), ImportError> {
        for e in &seen.employers[self.employers.len()..] {
            self.employers.push(e.ensure(txn).await?.id);
        }
        let new_units = &seen.units[self.units.len()..];
        let mut found = HashMap::new();
        for (employer, _) in new_units {
            if found.contains_key(employer) {
                continue;
            }
            let names: Vec<&str> = new_units
                .iter()
                .filter(|(e, _)| e == employer)
                .map(|(_, name)| name.as_str())
                .collect();
            let ids =
                store::workforce::ensure_business_units(txn, self.employers[*employer], &names)
                    .await?;
            found.insert(*employer, ids);
        }
        for (employer, name) in new_units {
            let id = found[employer].get(name).copied();
            self.units
                .push(id.ok_or_else(|| ImportError::missing("business unit", name))?);
        }
        let first_new = self.grades.len();
        let new_grades = &seen.grades[first_new..];
        let mut found = HashMap::new();
        for (employer, _) in new_grades {
            if found.contains_key(employer) {
                continue;
            }
            let grades: Vec<(&str, i32)> = new_grades
                .iter()
                .enumerate()
                .filter(|(_, (e, _))| e == employer)
                .filter_map(|(i, (_, label))| {
                    let level = seen.grade_levels.get(first_new + i).copied().flatten()?;
                    Some((label.as_str(), level))
                })
                .collect();
            let ids =
                store::workforce::ensure_grades(txn, self.employers[*employer], &grades).await?;
            found.insert(*employer, ids);
        }
        for (employer, label) in new_grades {
            let id = found[employer].get(label).copied();
            self.grades
                .push(id.ok_or_else(|| ImportError::missing("grade", label))?);
        }
        Ok(())
    }
}

/// What the file holds of one snapshot.
#[derive(Default)]
struct SnapshotTally {
    records: u64,
    declared: [u64; 5],
}

/// Imports a workforce file read from `input` (named `file` in problems and as the
/// snapshots' source) in one transaction; nothing is written when anything is wrong.
///
/// On PostgreSQL the rows go in through `COPY`, on a connection of the import's own.
pub async fn import(
    db: &DatabaseConnection,
    file: &str,
    input: impl Read + Send + 'static,
    key: &PersonKey,
) -> Result<Summary, ImportError> {
    let mode = Mode {
        ending: Ending::Commit,
        new_employers: NewEmployers::Any,
        only_employer: None,
        idempotency: None,
        publish: Some(Publisher::Import),
    };
    import_as(db, file, input, key, &mode).await
}

/// Which employers a file may create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewEmployers {
    /// Any (the library's default: tests, benchmarks, the demo data).
    Any,
    /// Only these codes (matched ignoring case): a row naming an employer the store does not
    /// hold, and not listed, is refused with the nearest stored codes. What the command line
    /// does, so that a mistyped code cannot create an employer by accident.
    Only(Vec<String>),
}

/// How an import goes: committed or a dry run, and which employers it may create.
#[derive(Debug, Clone)]
pub struct Mode {
    /// [`Ending::RollBack`] is a dry run, which checks everything an import checks and says
    /// what it would write, and writes nothing.
    pub ending: Ending,
    /// Which employers the file may create.
    pub new_employers: NewEmployers,
    /// The one employer the file may name (an employer's own submission): a row naming
    /// another makes the import [`ImportError::Forbidden`].
    pub only_employer: Option<String>,
    /// Keep an answer to the submission, in the import's own transaction.
    pub idempotency: Option<Idempotency>,
    /// Publish what is written at once, as a release of its own; `None`: leave it as
    /// drafts (what a submission does), for a later `release publish`.
    pub publish: Option<Publisher>,
}

/// Who publishes an import's snapshots at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Publisher {
    /// The library's default (tests, benchmarks, the demo data).
    Import,
    /// The command line's `import workforce`.
    CommandLine,
}

impl Publisher {
    fn name(&self) -> &'static str {
        match self {
            Publisher::Import => "import",
            Publisher::CommandLine => "command line",
        }
    }
}

/// The answer to keep for a submission made with an idempotency key: kept in the import's
/// own transaction, so exactly when its data is, and a retry finds it.
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// The submitting key.
    pub key_id: i32,
    /// The client's idempotency key.
    pub key: String,
    /// The body's SHA-256, hex, set by the body's reader once it has read the whole body.
    pub body_sha256: Arc<OnceLock<String>>,
    /// The status and JSON answer to keep for what was written.
    pub answer: fn(&Summary) -> (u16, String),
}

/// [`import`] as `mode` says.
pub async fn import_as(
    db: &DatabaseConnection,
    file: &str,
    input: impl Read + Send + 'static,
    key: &PersonKey,
    mode: &Mode,
) -> Result<Summary, ImportError> {
    let ending = mode.ending;
    let mut checker = Checker::for_store(db, key, &mode.new_employers).await?;
    checker.only_employer = mode.only_employer.as_deref().map(str::to_uppercase);
    if db.get_database_backend() != DbBackend::Postgres {
        return pipeline::transaction(db, ending, async |txn| {
            let summary = streamed(txn, None, file, input, checker).await?;
            let summary = published(txn, file, mode.publish.as_ref(), summary).await?;
            kept(txn, mode.idempotency.as_ref(), summary).await
        })
        .await;
    }
    pipeline::bulk_transaction(db, ending, async |session| {
        let summary = streamed(session.db(), Some(session), file, input, checker).await?;
        let summary = published(session.db(), file, mode.publish.as_ref(), summary).await?;
        kept(session.db(), mode.idempotency.as_ref(), summary).await
    })
    .await
}

/// Publishes the snapshots of `summary` as a release of their own when `publisher` is
/// given, in the transaction `txn` that wrote them.
async fn published(
    txn: &impl ConnectionTrait,
    file: &str,
    publisher: Option<&Publisher>,
    mut summary: Summary,
) -> Result<Summary, ImportError> {
    let Some(publisher) = publisher else {
        return Ok(summary);
    };
    let notes = format!("Imported from {file}");
    let release = store::releases::NewRelease {
        notes: &notes,
        corrects: None,
        published_by: publisher.name(),
    };
    let made = store::releases::publish(txn, Some(&summary.written), &release).await?;
    summary.release = made.map(|(r, _)| r.number);
    Ok(summary)
}

/// Keeps the answer to the submission `idempotency` describes, if any, in the transaction
/// `txn` that wrote `summary`.
async fn kept(
    txn: &impl ConnectionTrait,
    idempotency: Option<&Idempotency>,
    summary: Summary,
) -> Result<Summary, ImportError> {
    let Some(i) = idempotency else {
        return Ok(summary);
    };
    let body_sha256 =
        i.body_sha256.get().cloned().ok_or_else(|| {
            store::StoreError::Corrupt("the body was not read to its end".to_owned())
        })?;
    let (status, answer) = (i.answer)(&summary);
    let kept = store::access::KeptAnswer {
        body_sha256,
        status,
        answer,
    };
    store::access::keep_answer(txn, i.key_id, &i.key, &kept).await?;
    Ok(summary)
}

/// [`import`] in a transaction of `db`, which may be one itself (the demo data loaded at
/// start-up): rows are written by statements.
pub async fn import_in<C>(
    db: &C,
    file: &str,
    input: impl Read + Send + 'static,
    key: &PersonKey,
) -> Result<Summary, ImportError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let checker = Checker::for_store(db, key, &NewEmployers::Any).await?;
    pipeline::transaction(db, Ending::Commit, async |txn| {
        let summary = streamed(txn, None, file, input, checker).await?;
        published(txn, file, Some(&Publisher::Import), summary).await
    })
    .await
}

impl Checker {
    /// A checker of files against what `db` holds: its authorities and employers.
    async fn for_store(
        db: &impl ConnectionTrait,
        key: &PersonKey,
        new_employers: &NewEmployers,
    ) -> Result<Checker, ImportError> {
        let mut authorities: Vec<(String, String)> = store::areas::authority_regions(db)
            .await?
            .into_iter()
            .collect();
        authorities.sort();
        let authority_index = authorities
            .iter()
            .enumerate()
            .map(|(i, (code, _))| (code.clone(), i))
            .collect();
        let stored: HashMap<String, bool> = store::workforce::employers(db)
            .await?
            .into_iter()
            .map(|e| (e.code, e.synthetic))
            .collect();
        Ok(Checker {
            key: key.clone(),
            authorities,
            authority_index,
            employers: Vec::new(),
            employer_index: Default::default(),
            units: ScopedNames::default(),
            grades: ScopedNames::default(),
            grade_levels: Vec::new(),
            repeats: RepeatSieve::default(),
            stored,
            employer_folded: HashMap::new(),
            only_employer: None,
            foreign: false,
            new_employers: match new_employers {
                NewEmployers::Any => None,
                NewEmployers::Only(codes) => {
                    Some(codes.iter().map(|c| c.trim().to_uppercase()).collect())
                }
            },
        })
    }
}

/// Reads, checks and writes the file in the transaction `txn` (which is `bulk` when it takes
/// `COPY`), then checks the rows written and completes every snapshot when nothing is wrong.
async fn streamed(
    txn: &impl ConnectionTrait,
    bulk: Option<&BulkSession>,
    file: &str,
    input: impl Read + Send + 'static,
    mut checker: Checker,
) -> Result<Summary, ImportError> {
    let input = Input {
        name: file.to_owned(),
        reader: input,
    };
    // Staged rows name the places of work the checker knows.
    let places = checker.authorities.clone();
    let started = std::time::Instant::now();
    stage::create(txn).await?;
    // A thread reads and checks the file while this task writes what it has read: each
    // takes about half the time on a large file. Two batches wait at most, so memory
    // stays bounded; if writing fails, the reader stops at its next batch.
    let (batches, mut received) = tokio::sync::mpsc::channel::<Batch>(2);
    let reading = tokio::task::spawn_blocking(move || {
        let mut problems = Vec::new();
        let format = Format::strict(&REQUIRED_COLUMNS, &OPTIONAL_COLUMNS);
        let mut rows = pipeline::Rows::open(input, &format, &mut problems);
        let mut reported = Reported::default();
        while !rows.finished() {
            let rows = rows.next_batch(BATCH_ROWS, &mut problems, |r, problems| {
                checker.check_row(r, problems)
            });
            let news = Seen::news(&checker, &mut reported);
            if batches.blocking_send(Batch { rows, news }).is_err() {
                break;
            }
        }
        let may_repeat = std::mem::take(&mut checker.repeats).may_repeat();
        (checker, problems, may_repeat)
    });
    let imported_at = store::clock::now();
    let mut ids = Ids::default();
    let mut seen = Seen::default();
    let mut snapshots: Names<(usize, i32)> = Names::default();
    let mut targets: Vec<Place> = Vec::new();
    let mut tallies: Vec<SnapshotTally> = Vec::new();
    let mut cells = Tally::default();
    while let Some(batch) = received.recv().await {
        seen.extend(batch.news);
        ids.resolve(txn, &seen).await?;
        let mut staged = Vec::new();
        let mut direct = Vec::with_capacity(batch.rows.len());
        for r in &batch.rows {
            let snapshot = snapshots.intern((r.employer, r.year));
            let employer_id = ids.employers[r.employer];
            if snapshot == tallies.len() {
                tallies.push(SnapshotTally::default());
                targets.push(Place::of(txn, [employer_id, r.year], (file, imported_at)).await?);
            }
            let tally = &mut tallies[snapshot];
            tally.records += 1;
            for ((declared, measure), answer) in
                tally.declared.iter_mut().zip(Measure::ALL).zip(r.answers)
            {
                *declared += u64::from(measure.is_declared(answer));
            }
            let (area, region) = &places[r.area];
            let record_key = r
                .record_key
                .unwrap_or_else(|| derived_record_key(&r.pseudonym));
            let business_unit_id = ids.units[r.unit];
            cells.add(
                &TallyRecord {
                    snapshot,
                    business_unit: business_unit_id,
                    grade_level: r.grade_level,
                    area: r.area,
                    joiner: r.joined_year == Some(r.year),
                    answers: r.answers,
                    engagement: r.engagement,
                },
                record_key,
            );
            let (rows, snapshot) = match targets[snapshot] {
                Place::Replaces(..) => (&mut staged, snapshot as i32),
                Place::New(id) => (&mut direct, id),
            };
            rows.push(StagedRecord {
                line: r.line,
                snapshot,
                key_given: r.record_key,
                record: NewRecord {
                    employer_id,
                    year: r.year,
                    person_hash: &r.pseudonym,
                    business_unit_id,
                    grade_id: ids.grades[r.grade],
                    grade_level: r.grade_level,
                    work_area: area,
                    work_region: region,
                    joined_year: r.joined_year,
                    answers: r.answers,
                    engagement: r.engagement,
                    record_key,
                },
            });
        }
        stage::write(txn, bulk, Target::Stage, &staged).await?;
        stage::write(txn, bulk, Target::Records, &direct).await?;
    }
    let (checker, mut problems, may_repeat) = reading.await.map_err(|e| {
        ImportError::Store(store::StoreError::Corrupt(format!("reading the file: {e}")))
    })?;
    tracing::debug!(elapsed = ?started.elapsed(), "read, checked and written");
    if tallies.is_empty() && problems.is_empty() {
        problems.push(Problem::whole(file, "no staff records after the header"));
    }
    // Employers already stored must agree on being synthetic or real.
    problems.extend(pipeline::synthetic_conflicts(
        file,
        "employer",
        checker
            .employers
            .iter()
            .map(|e| (e.first_line, e.code.as_str(), e.synthetic)),
        |code| checker.stored.get(code).copied(),
    ));
    let described = |snapshot: usize| {
        let (employer, year) = &snapshots.items[snapshot];
        (&checker.employers[*employer].code, *year)
    };
    let repeats = if may_repeat {
        Place::repeats(txn, &targets).await?
    } else {
        Vec::new()
    };
    for (snapshot, repeat) in repeats {
        let (code, year) = described(snapshot);
        problems.push(Problem {
            file: file.to_owned(),
            line: Some(repeat.line),
            column: Some("person_ref".to_owned()),
            value: None,
            reason: format!(
                "the same person appears twice for {code} in {year} (first on line {})",
                repeat.first
            ),
        });
    }
    // A person already in a stored snapshot keeps their record key: re-importing a
    // snapshot must not draw fresh noise for every count, which averaging would remove.
    for (snapshot, (_, year)) in snapshots.items.iter().enumerate() {
        if let Place::Replaces(old, _) = targets[snapshot] {
            for c in stage::key_conflicts(txn, snapshot as i32, old).await? {
                problems.push(Problem::at(
                    file,
                    c.line,
                    "record_key",
                    &c.given.to_string(),
                    format!(
                        "this person already has record key {} in {year}; record keys are permanent",
                        c.kept
                    ),
                ));
            }
        }
    }
    tracing::debug!(elapsed = ?started.elapsed(), "checked the rows");
    if !problems.is_empty() && checker.foreign {
        return Err(ImportError::Forbidden(problems));
    }
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }
    write(
        (txn, bulk),
        (file, imported_at),
        (&checker, &ids),
        &snapshots,
        (&tallies, &targets, cells),
    )
    .await
}

/// Where the rows of one of the file's snapshots go.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// The staging table: the snapshot follows the stored version of this id (its latest),
    /// which is a draft (and is replaced) when the flag says so.
    Replaces(i32, bool),
    /// `staff_record`, in the new snapshot of this id (created empty when first met; its
    /// count is set once the file is read).
    New(i32),
}

impl Place {
    /// Where the rows of the employer's snapshot of the year go: a new snapshot when the
    /// store holds no version of it, created now from the file `source`.
    async fn of(
        txn: &impl ConnectionTrait,
        [employer_id, year]: [i32; 2],
        (source, imported_at): (&str, i64),
    ) -> Result<Place, ImportError> {
        Ok(
            match store::workforce::latest_version(txn, employer_id, year).await? {
                Some((old, draft)) => Place::Replaces(old, draft),
                None => Place::New(
                    store::workforce::create_snapshot(
                        txn,
                        [employer_id, year],
                        source,
                        0,
                        imported_at,
                    )
                    .await?,
                ),
            },
        )
    }

    /// Every row, wherever it went, that repeats a person of its snapshot, with the
    /// snapshot (the file's numbering, as `places` is indexed), by line.
    async fn repeats(
        txn: &impl ConnectionTrait,
        places: &[Place],
    ) -> Result<Vec<(usize, stage::Repeat)>, ImportError> {
        let mut staged = Vec::new();
        let mut new = Vec::new();
        for (snapshot, place) in places.iter().enumerate() {
            match place {
                Place::Replaces(..) => staged.push(snapshot as i32),
                Place::New(id) => new.push(*id),
            }
        }
        let mut found: Vec<(usize, stage::Repeat)> = stage::repeats(txn, Target::Stage, &staged)
            .await?
            .into_iter()
            .map(|r| (r.snapshot as usize, r))
            .collect();
        for repeat in stage::repeats(txn, Target::Records, &new).await? {
            let snapshot = places
                .iter()
                .position(|p| matches!(p, Place::New(id) if *id == repeat.snapshot))
                .ok_or_else(|| {
                    store::StoreError::Corrupt(format!(
                        "a repeat in snapshot {}, which the import did not create",
                        repeat.snapshot
                    ))
                })?;
            found.push((snapshot, repeat));
        }
        found.sort_by_key(|(_, r)| r.line);
        Ok(found)
    }
}

/// Replaces each staged snapshot, with its cells, completes each new one, and records the
/// employers' last names and sectors.
async fn write(
    (txn, bulk): (&impl ConnectionTrait, Option<&BulkSession>),
    (file, imported_at): (&str, i64),
    (checker, ids): (&Checker, &Ids),
    snapshots: &Names<(usize, i32)>,
    (tallies, places, mut cells): (&[SnapshotTally], &[Place], Tally),
) -> Result<Summary, ImportError> {
    let mut order: Vec<usize> = (0..snapshots.items.len()).collect();
    order.sort_by_key(|s| snapshots.items[*s]);
    let mut summary = Summary::default();
    let mut snapshot_ids = vec![0; snapshots.items.len()];
    for snapshot in order {
        let (employer, year) = snapshots.items[snapshot];
        let employer_id = ids.employers[employer];
        let tally = &tallies[snapshot];
        let (snapshot_id, replaced) = match places[snapshot] {
            Place::New(id) => {
                store::workforce::set_records(txn, id, tally.records as i64).await?;
                (id, false)
            }
            Place::Replaces(old, draft) => {
                replace_staged(txn, (snapshot, old), (checker, &mut cells), year).await?;
                let id = store::workforce::supersede(
                    txn,
                    (old, draft),
                    [employer_id, year],
                    file,
                    (tally.records as i64, imported_at),
                )
                .await?;
                stage::map(txn, snapshot as i32, id).await?;
                (id, true)
            }
        };
        snapshot_ids[snapshot] = snapshot_id;
        summary.written.push(snapshot_id);
        summary.rows += tally.records;
        for (total, declared) in summary.declared.iter_mut().zip(tally.declared) {
            *total += declared;
        }
        let code = checker.employers[employer].code.clone();
        summary
            .snapshots
            .push((code, year, tally.records, replaced));
    }
    let started = std::time::Instant::now();
    stage::publish(txn).await?;
    let published = started.elapsed();
    let snapshot_of = |s: usize| {
        let (employer, year) = snapshots.items[s];
        [snapshot_ids[s], ids.employers[employer], year]
    };
    let area_of = |a: usize| {
        let (code, region) = &checker.authorities[a];
        (code.as_str(), region.as_str())
    };
    let cells = cells
        .into_cells(snapshot_of, area_of)
        .map(|cell| (cell.snapshot, cell));
    store::workforce::cells::write(txn, bulk, cells).await?;
    tracing::debug!(?published, cells = ?(started.elapsed() - published), "wrote the snapshots");
    // Names and sectors may first appear on later rows than an employer's first.
    for e in &checker.employers {
        if e.name.is_some() || e.sector.is_some() {
            e.ensure(txn).await?;
        }
    }
    stage::drop(txn).await?;
    Ok(summary)
}

/// Gives the people of staged snapshot `snapshot` who are in the stored snapshot `old` the
/// record key they have there, and moves the cells' key sums with them.
async fn replace_staged(
    txn: &impl ConnectionTrait,
    (snapshot, old): (usize, i32),
    (checker, cells): (&Checker, &mut Tally),
    year: i32,
) -> Result<(), ImportError> {
    let mut unknown_area = None;
    for group in stage::keep_keys(txn, snapshot as i32, old).await? {
        let Some(&area) = checker.authority_index.get(&group.work_area) else {
            unknown_area = Some(group.work_area);
            continue;
        };
        let record = TallyRecord {
            snapshot,
            business_unit: group.business_unit_id,
            grade_level: group.grade_level,
            area,
            joiner: group.joined_year == Some(year),
            answers: group.answers.each_ref().map(Option::as_deref),
            engagement: group.scored.then_some(0.0),
        };
        cells.rekey(&record, group.key_change);
    }
    if let Some(area) = unknown_area {
        return Err(store::StoreError::Corrupt(format!(
            "staged place of work {area} is not an authority"
        ))
        .into());
    }
    Ok(())
}
