//! Importing staff records from CSV (`mobility-explorer import workforce FILE.csv`).
//!
//! The whole file is read and checked first; only a file with no problem is written, in one
//! transaction that replaces each (employer, year) snapshot it holds. A bad row, a crash or a
//! kill leaves the store as it was.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};

use super::{ImportError, Problem};
use crate::domain::seb::Measure;
use crate::domain::workforce::{PersonKey, derived_record_key};
use crate::store::{self, workforce::NewRecord};

/// Columns every file must have (in any order).
pub const REQUIRED_COLUMNS: [&str; 14] = [
    "person_ref",
    "employer",
    "year",
    "business_unit",
    "grade",
    "grade_level",
    "work_area",
    "joined_year",
    "parental_occupation",
    "school_type",
    "free_school_meals",
    "parental_degree",
    "self_assessed",
    "engagement",
];

/// Columns a file may add: the employer's display name and sector, whether the rows are
/// synthetic (`true`; demo data says so on every row), and each record's permanent record key
/// for disclosure control (0-255; without the column it is derived from the keyed person
/// hash).
pub const OPTIONAL_COLUMNS: [&str; 4] = [
    "employer_name",
    "employer_sector",
    "synthetic",
    "record_key",
];

/// Earliest and latest years accepted.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

/// What an import wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Staff records written.
    pub rows: u64,
    /// Each snapshot written: employer code, year, records, whether it replaced one.
    pub snapshots: Vec<(String, i32, u64, bool)>,
    /// Per measure (in [`Measure::ALL`] order): records whose background group is known.
    pub declared: [u64; 5],
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
struct FileEmployer {
    code: String,
    name: Option<String>,
    sector: Option<String>,
    synthetic: bool,
    first_line: u64,
}

/// Interns names so 1,000,000 rows hold small indices, not strings.
#[derive(Default)]
struct Names<K: std::hash::Hash + Eq + Clone> {
    index: HashMap<K, usize>,
    items: Vec<K>,
}

impl<K: std::hash::Hash + Eq + Clone> Names<K> {
    fn get(&self, key: &K) -> Option<usize> {
        self.index.get(key).copied()
    }

    fn intern(&mut self, key: K) -> usize {
        if let Some(i) = self.index.get(&key) {
            return *i;
        }
        self.items.push(key.clone());
        self.index.insert(key, self.items.len() - 1);
        self.items.len() - 1
    }
}

/// Reads and checks a whole file; every problem is collected, none stops the reading.
struct Checker<'a> {
    file: &'a str,
    key: &'a PersonKey,
    authorities: Vec<(String, String)>,
    authority_index: HashMap<String, usize>,
    problems: Vec<Problem>,
    employers: Vec<FileEmployer>,
    employer_index: HashMap<String, usize>,
    units: Names<(usize, String)>,
    grades: Names<(usize, String)>,
    grade_levels: HashMap<usize, (i32, u64)>,
    seen: HashMap<(usize, i32, String), u64>,
    rows: Vec<Row>,
}

/// Column positions in the header.
struct Columns {
    required: [usize; 14],
    employer_name: Option<usize>,
    employer_sector: Option<usize>,
    synthetic: Option<usize>,
    record_key: Option<usize>,
}

impl<'a> Checker<'a> {
    fn problem(&mut self, line: u64, column: &str, value: &str, reason: impl Into<String>) {
        self.problems.push(Problem {
            file: self.file.to_owned(),
            line: Some(line),
            column: Some(column.to_owned()),
            value: Some(value.to_owned()),
            reason: reason.into(),
        });
    }

    fn columns(&mut self, header: &csv::StringRecord) -> Option<Columns> {
        let positions = super::header_positions(
            self.file,
            header,
            &REQUIRED_COLUMNS,
            &OPTIONAL_COLUMNS,
            &mut self.problems,
        )?;
        let position = |name: &str| positions.get(name).copied();
        let mut required = [0; 14];
        for (slot, name) in required.iter_mut().zip(REQUIRED_COLUMNS) {
            *slot = position(name)?;
        }
        Some(Columns {
            required,
            employer_name: position("employer_name"),
            employer_sector: position("employer_sector"),
            synthetic: position("synthetic"),
            record_key: position("record_key"),
        })
    }

    fn required_text<'r>(&mut self, line: u64, column: &str, value: &'r str) -> Option<&'r str> {
        if value.is_empty() {
            self.problem(line, column, value, "required");
            None
        } else {
            Some(value)
        }
    }

    fn integer(
        &mut self,
        line: u64,
        column: &str,
        value: &str,
        range: std::ops::RangeInclusive<i32>,
    ) -> Option<i32> {
        match value.parse::<i32>() {
            Ok(n) if range.contains(&n) => Some(n),
            Ok(_) => {
                self.problem(
                    line,
                    column,
                    value,
                    format!("must be between {} and {}", range.start(), range.end()),
                );
                None
            }
            Err(_) => {
                self.problem(line, column, value, "not a whole number");
                None
            }
        }
    }

    fn check_row(&mut self, line: u64, record: &csv::StringRecord, columns: &Columns) {
        let field = |i: usize| record.get(i).map(str::trim).unwrap_or("");
        let [
            c_ref,
            c_employer,
            c_year,
            c_unit,
            c_grade,
            c_level,
            c_area,
            c_joined,
            c_po,
            c_school,
            c_fsm,
            c_degree,
            c_self,
            c_engagement,
        ] = columns.required;
        let before = self.problems.len();

        let person_ref = self.required_text(line, "person_ref", field(c_ref));
        let employer_code = self.required_text(line, "employer", field(c_employer));
        let year = self.integer(line, "year", field(c_year), YEARS);
        let unit = self.required_text(line, "business_unit", field(c_unit));
        let grade = self.required_text(line, "grade", field(c_grade));
        let grade_level = self.integer(line, "grade_level", field(c_level), 1..=100);

        let area_text = field(c_area);
        let area = match self.authority_index.get(&area_text.to_ascii_uppercase()) {
            Some(i) => Some(*i),
            None => {
                let reason = if area_text.is_empty() {
                    "required".to_owned()
                } else {
                    "not a known local authority code (2020 boundaries, for example E09000033)"
                        .to_owned()
                };
                self.problem(line, "work_area", area_text, reason);
                None
            }
        };

        let joined_text = field(c_joined);
        let joined_year = if joined_text.is_empty() {
            None
        } else {
            self.integer(line, "joined_year", joined_text, YEARS)
        };
        if let (Some(joined), Some(year)) = (joined_year, year)
            && joined > year
        {
            self.problem(
                line,
                "joined_year",
                joined_text,
                format!("later than the snapshot year {year}"),
            );
        }

        let mut answers = [None; 5];
        for ((slot, measure), column) in answers
            .iter_mut()
            .zip(Measure::ALL)
            .zip([c_po, c_school, c_fsm, c_degree, c_self])
        {
            let text = field(column);
            match measure.parse_answer(text) {
                Ok(answer) => *slot = answer,
                Err(reason) => self.problem(line, measure.column(), text, reason),
            }
        }

        let engagement_text = field(c_engagement);
        let engagement = if engagement_text.is_empty() {
            None
        } else {
            match engagement_text.parse::<f64>() {
                Ok(x) if (0.0..=100.0).contains(&x) => Some(x),
                Ok(_) => {
                    self.problem(line, "engagement", engagement_text, "must be from 0 to 100");
                    None
                }
                Err(_) => {
                    self.problem(line, "engagement", engagement_text, "not a number");
                    None
                }
            }
        };

        let record_key = match columns.record_key.map(field) {
            None => None,
            Some(text) => match text.parse::<u8>() {
                Ok(key) => Some(key),
                Err(_) => {
                    self.problem(
                        line,
                        "record_key",
                        text,
                        if text.is_empty() {
                            "required when the file has the column: a whole number from 0 to 255"
                        } else {
                            "must be a whole number from 0 to 255"
                        },
                    );
                    None
                }
            },
        };

        let synthetic = match columns.synthetic.map(field) {
            None | Some("") | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                self.problem(line, "synthetic", other, "must be true, false or empty");
                false
            }
        };

        let (
            Some(person_ref),
            Some(employer_code),
            Some(year),
            Some(unit),
            Some(grade),
            Some(grade_level),
            Some(area),
        ) = (
            person_ref,
            employer_code,
            year,
            unit,
            grade,
            grade_level,
            area,
        )
        else {
            return;
        };

        let employer = match self.employer_index.get(employer_code) {
            Some(i) => {
                let i = *i;
                if self.employers[i].synthetic != synthetic {
                    let first = self.employers[i].first_line;
                    self.problem(
                        line,
                        "synthetic",
                        if synthetic { "true" } else { "false" },
                        format!(
                            "employer {employer_code} is {} on line {first}; synthetic and real rows never mix",
                            if synthetic { "real" } else { "synthetic" }
                        ),
                    );
                }
                i
            }
            None => {
                self.employers.push(FileEmployer {
                    code: employer_code.to_owned(),
                    name: None,
                    sector: None,
                    synthetic,
                    first_line: line,
                });
                let i = self.employers.len() - 1;
                self.employer_index.insert(employer_code.to_owned(), i);
                i
            }
        };
        if let Some(name) = columns.employer_name.map(field).filter(|n| !n.is_empty()) {
            self.employers[employer].name = Some(name.to_owned());
        }
        if let Some(sector) = columns.employer_sector.map(field).filter(|s| !s.is_empty()) {
            self.employers[employer].sector = Some(sector.to_owned());
        }

        let grade_key = (employer, grade.to_owned());
        let grade_index = match self.grades.get(&grade_key) {
            Some(i) => i,
            None => self.grades.intern(grade_key),
        };
        match self.grade_levels.get(&grade_index) {
            Some((level, first)) if *level != grade_level => {
                let (level, first) = (*level, *first);
                self.problem(
                    line,
                    "grade_level",
                    &grade_level.to_string(),
                    format!("grade {grade} has level {level} on line {first}"),
                );
            }
            Some(_) => {}
            None => {
                self.grade_levels.insert(grade_index, (grade_level, line));
            }
        }

        let pseudonym = self.key.pseudonym(person_ref);
        match self.seen.get(&(employer, year, pseudonym.clone())) {
            Some(first) => {
                let first = *first;
                self.problem(
                    line,
                    "person_ref",
                    person_ref,
                    format!("appears twice for {employer_code} in {year} (first on line {first})"),
                );
            }
            None => {
                self.seen.insert((employer, year, pseudonym.clone()), line);
            }
        }

        if self.problems.len() > before {
            return;
        }
        let unit = self.units.intern((employer, unit.to_owned()));
        self.rows.push(Row {
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
        });
    }
}

/// Reads and checks a whole file; `Err` lists every problem found.
fn check<'a>(
    file: &'a str,
    input: impl Read,
    key: &'a PersonKey,
    authorities: HashMap<String, String>,
) -> Result<Checker<'a>, ImportError> {
    let mut authorities: Vec<(String, String)> = authorities.into_iter().collect();
    authorities.sort();
    let authority_index = authorities
        .iter()
        .enumerate()
        .map(|(i, (code, _))| (code.clone(), i))
        .collect();
    let mut checker = Checker {
        file,
        key,
        authorities,
        authority_index,
        problems: Vec::new(),
        employers: Vec::new(),
        employer_index: HashMap::new(),
        units: Names::default(),
        grades: Names::default(),
        grade_levels: HashMap::new(),
        seen: HashMap::new(),
        rows: Vec::new(),
    };
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
    let header = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(ImportError::Invalid(vec![super::csv_problem(file, &e)])),
    };
    let Some(columns) = checker.columns(&header) else {
        return Err(ImportError::Invalid(checker.problems));
    };
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map(|p| p.line()).unwrap_or(0);
                checker.check_row(line, &record, &columns);
            }
            Err(e) => {
                checker.problems.push(super::csv_problem(file, &e));
                // An I/O error ends the file; a malformed row does not.
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
            }
        }
    }
    if checker.rows.is_empty() && checker.problems.is_empty() {
        checker.problems.push(Problem {
            file: file.to_owned(),
            line: None,
            column: None,
            value: None,
            reason: "no staff records after the header".to_owned(),
        });
    }
    if !checker.problems.is_empty() {
        return Err(ImportError::Invalid(checker.problems));
    }
    Ok(checker)
}

/// Imports a workforce file read from `input` (named `file` in problems and as the
/// snapshots' source) in one transaction; nothing is written when anything is wrong.
pub async fn import<C>(
    db: &C,
    file: &str,
    input: impl Read,
    key: &PersonKey,
) -> Result<Summary, ImportError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let authorities = store::areas::authority_regions(db).await?;
    let checker = check(file, input, key, authorities)?;

    // Employers already stored must agree on being synthetic or real.
    let stored: HashMap<String, bool> = store::workforce::employers(db)
        .await?
        .into_iter()
        .map(|e| (e.code, e.synthetic))
        .collect();
    let mut problems = Vec::new();
    for e in &checker.employers {
        if let Some(stored_synthetic) = stored.get(&e.code)
            && *stored_synthetic != e.synthetic
        {
            problems.push(Problem {
                file: file.to_owned(),
                line: Some(e.first_line),
                column: Some("synthetic".to_owned()),
                value: Some(e.synthetic.to_string()),
                reason: format!(
                    "employer {} is stored as {} data; synthetic and real data never mix",
                    e.code,
                    if *stored_synthetic {
                        "synthetic"
                    } else {
                        "real"
                    }
                ),
            });
        }
    }
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }

    write(db, file, &checker).await
}

async fn write<C>(db: &C, file: &str, checker: &Checker<'_>) -> Result<Summary, ImportError>
where
    C: ConnectionTrait + TransactionTrait,
{
    // Rows of each snapshot, in file order.
    let mut snapshots: BTreeMap<(usize, i32), Vec<&Row>> = BTreeMap::new();
    for row in &checker.rows {
        snapshots
            .entry((row.employer, row.year))
            .or_default()
            .push(row);
    }
    let imported_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);

    let txn = store::begin_write(db).await?;
    let mut employer_ids = Vec::with_capacity(checker.employers.len());
    let mut unit_ids = vec![0; checker.units.items.len()];
    let mut grade_ids = vec![0; checker.grades.items.len()];
    for (index, e) in checker.employers.iter().enumerate() {
        let stored = store::workforce::ensure_employer(
            &txn,
            &e.code,
            e.name.as_deref(),
            e.sector.as_deref(),
            e.synthetic,
        )
        .await?;
        employer_ids.push(stored.id);

        let units: Vec<&str> = checker
            .units
            .items
            .iter()
            .filter(|(employer, _)| *employer == index)
            .map(|(_, name)| name.as_str())
            .collect();
        let ids = store::workforce::ensure_business_units(&txn, stored.id, &units).await?;
        for (i, (employer, name)) in checker.units.items.iter().enumerate() {
            if *employer == index {
                unit_ids[i] = ids
                    .get(name)
                    .copied()
                    .ok_or_else(|| missing("unit", name))?;
            }
        }

        let grades: Vec<(&str, i32)> = checker
            .grades
            .items
            .iter()
            .enumerate()
            .filter(|(_, (employer, _))| *employer == index)
            .filter_map(|(i, (_, label))| {
                checker
                    .grade_levels
                    .get(&i)
                    .map(|(level, _)| (label.as_str(), *level))
            })
            .collect();
        let ids = store::workforce::ensure_grades(&txn, stored.id, &grades).await?;
        for (i, (employer, label)) in checker.grades.items.iter().enumerate() {
            if *employer == index {
                grade_ids[i] = ids
                    .get(label)
                    .copied()
                    .ok_or_else(|| missing("grade", label))?;
            }
        }
    }

    // Every snapshot's record keys before anything is replaced, so every conflict is listed.
    let mut keys = Vec::with_capacity(snapshots.len());
    let mut problems = Vec::new();
    for ((employer, year), rows) in &snapshots {
        let (snapshot_keys, conflicts) =
            record_keys(&txn, file, employer_ids[*employer], *year, rows).await?;
        keys.push(snapshot_keys);
        problems.extend(conflicts);
    }
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }

    let mut summary = Summary::default();
    for (((employer, year), rows), keys) in snapshots.iter().zip(keys) {
        let employer_id = employer_ids[*employer];
        let (snapshot_id, replaced) = store::workforce::replace_snapshot(
            &txn,
            employer_id,
            *year,
            file,
            rows.len() as i64,
            imported_at,
        )
        .await?;
        let records: Vec<NewRecord<'_>> = rows
            .iter()
            .zip(keys)
            .map(|(r, record_key)| {
                let (area, region) = &checker.authorities[r.area];
                NewRecord {
                    person_hash: &r.pseudonym,
                    business_unit_id: unit_ids[r.unit],
                    grade_id: grade_ids[r.grade],
                    grade_level: r.grade_level,
                    work_area: area,
                    work_region: region,
                    joined_year: r.joined_year,
                    answers: r.answers,
                    engagement: r.engagement,
                    record_key,
                }
            })
            .collect();
        store::workforce::insert_records(&txn, snapshot_id, employer_id, *year, &records).await?;
        for r in rows {
            for (declared, (measure, answer)) in summary
                .declared
                .iter_mut()
                .zip(Measure::ALL.iter().zip(r.answers))
            {
                if measure.is_declared(answer) {
                    *declared += 1;
                }
            }
        }
        summary.rows += rows.len() as u64;
        summary.snapshots.push((
            checker.employers[*employer].code.clone(),
            *year,
            rows.len() as u64,
            replaced,
        ));
    }
    txn.commit().await?;
    Ok(summary)
}

/// The record key of each row of one snapshot: a person already in the stored snapshot keeps
/// the key they have (record keys are permanent, or re-importing a snapshot would give every
/// count fresh noise, which averaging would remove); a key the file gives for them must be
/// that one (each row where it is not is a problem). Others take the file's key, or the one
/// derived from their pseudonym.
async fn record_keys(
    db: &impl ConnectionTrait,
    file: &str,
    employer_id: i32,
    year: i32,
    rows: &[&Row],
) -> Result<(Vec<u8>, Vec<Problem>), ImportError> {
    let stored = store::workforce::record_keys(db, employer_id, year).await?;
    let mut problems = Vec::new();
    let keys = rows
        .iter()
        .map(|r| match (stored.get(&r.pseudonym), r.record_key) {
            (Some(kept), Some(given)) if *kept != given => {
                problems.push(Problem {
                    file: file.to_owned(),
                    line: Some(r.line),
                    column: Some("record_key".to_owned()),
                    value: Some(given.to_string()),
                    reason: format!(
                        "this person already has record key {kept} in {year}; record keys are permanent"
                    ),
                });
                *kept
            }
            (Some(kept), _) => *kept,
            (None, Some(given)) => given,
            (None, None) => derived_record_key(&r.pseudonym),
        })
        .collect();
    Ok((keys, problems))
}

fn missing(what: &str, name: &str) -> ImportError {
    ImportError::Store(store::StoreError::Corrupt(format!(
        "{what} {name} was not found after being written"
    )))
}

/// Generates the default demo workforce and imports it (a fresh `serve`).
///
/// Its person references are invented, so any key serves; the configured one is used when
/// there is one.
pub async fn import_demo<C>(db: &C, key: Option<&PersonKey>) -> Result<Summary, ImportError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let mut csv = Vec::new();
    super::generated(crate::demo::write_csv(
        &mut csv,
        crate::demo::DEFAULT_RECORDS,
        crate::demo::DEFAULT_SEED,
    ))?;
    let synthetic = PersonKey::for_synthetic_data();
    import(
        db,
        crate::demo::SOURCE,
        csv.as_slice(),
        key.unwrap_or(&synthetic),
    )
    .await
}
