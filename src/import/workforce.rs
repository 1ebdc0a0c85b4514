//! Importing staff records from CSV (`mobility-explorer import workforce FILE.csv`).
//!
//! The whole file is read and checked first; only a file with no problem is written, in one
//! transaction that replaces each (employer, year) snapshot it holds. A bad row, a crash or a
//! kill leaves the store as it was.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use sea_orm::{ConnectionTrait, TransactionTrait};

use super::pipeline::{self, Format, ImportError, Input, Problem, Record};
pub use crate::domain::formats::workforce::{OPTIONAL_COLUMNS, REQUIRED_COLUMNS};
use crate::domain::seb::Measure;
use crate::domain::workforce::{PersonKey, derived_record_key};
use crate::store::{self, workforce::NewRecord};

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
    fn intern(&mut self, key: K) -> usize {
        if let Some(i) = self.index.get(&key) {
            return *i;
        }
        self.items.push(key.clone());
        self.index.insert(key, self.items.len() - 1);
        self.items.len() - 1
    }
}

impl Names<(usize, String)> {
    /// Sets `ids[i]` to the stored id of each name `i` of `employer`, from `stored` (by name).
    fn resolve(
        &self,
        employer: usize,
        stored: &HashMap<String, i32>,
        ids: &mut [i32],
        what: &str,
    ) -> Result<(), ImportError> {
        for (i, (of, name)) in self.items.iter().enumerate() {
            if *of == employer {
                ids[i] = stored
                    .get(name)
                    .copied()
                    .ok_or_else(|| ImportError::missing(what, name))?;
            }
        }
        Ok(())
    }
}

/// Reads and checks a whole file; every problem is collected, none stops the reading.
struct Checker<'a> {
    key: &'a PersonKey,
    authorities: Vec<(String, String)>,
    authority_index: HashMap<String, usize>,
    employers: Vec<FileEmployer>,
    employer_index: HashMap<String, usize>,
    units: Names<(usize, String)>,
    grades: Names<(usize, String)>,
    grade_levels: HashMap<usize, (i32, u64)>,
    seen: HashMap<(usize, i32, String), u64>,
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

impl Checker<'_> {
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
        let area = self
            .authority_index
            .get(&area_text.to_ascii_uppercase())
            .copied();
        if area.is_none() {
            let reason = if area_text.is_empty() {
                "required"
            } else {
                "not a known local authority code (2020 boundaries, for example E09000033)"
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

        let employer = match self.employer_index.get(employer_code) {
            Some(i) => {
                let i = *i;
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
        if let Some(name) = Some(r.get("employer_name")).filter(|n| !n.is_empty()) {
            self.employers[employer].name = Some(name.to_owned());
        }
        if let Some(sector) = Some(r.get("employer_sector")).filter(|s| !s.is_empty()) {
            self.employers[employer].sector = Some(sector.to_owned());
        }

        let grade_index = self.grades.intern((employer, grade.to_owned()));
        match self.grade_levels.get(&grade_index) {
            Some((level, first)) if *level != grade_level => {
                let reason = format!("grade {grade} has level {level} on line {first}");
                problems.push(r.problem("grade_level", &grade_level.to_string(), reason));
            }
            Some(_) => {}
            None => {
                self.grade_levels.insert(grade_index, (grade_level, line));
            }
        }

        let pseudonym = self.key.pseudonym(person_ref);
        match self.seen.get(&(employer, year, pseudonym.clone())) {
            Some(first) => {
                let reason =
                    format!("appears twice for {employer_code} in {year} (first on line {first})");
                problems.push(r.problem("person_ref", person_ref, reason));
            }
            None => {
                self.seen.insert((employer, year, pseudonym.clone()), line);
            }
        }

        if problems.len() > before {
            return None;
        }
        let unit = self.units.intern((employer, unit.to_owned()));
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
    let mut checker = Checker {
        key,
        authorities,
        authority_index,
        employers: Vec::new(),
        employer_index: HashMap::new(),
        units: Names::default(),
        grades: Names::default(),
        grade_levels: HashMap::new(),
        seen: HashMap::new(),
    };
    let mut problems = Vec::new();
    let input = Input {
        name: file.to_owned(),
        reader: input,
    };
    let format = Format::strict(&REQUIRED_COLUMNS, &OPTIONAL_COLUMNS);
    let rows = pipeline::read(input, &format, &mut problems, |r, problems| {
        checker.check_row(r, problems)
    });
    if rows.is_empty() && problems.is_empty() {
        problems.push(Problem::whole(file, "no staff records after the header"));
    }

    // Employers already stored must agree on being synthetic or real.
    let stored: HashMap<String, bool> = store::workforce::employers(db)
        .await?
        .into_iter()
        .map(|e| (e.code, e.synthetic))
        .collect();
    problems.extend(pipeline::synthetic_conflicts(
        file,
        "employer",
        checker
            .employers
            .iter()
            .map(|e| (e.first_line, e.code.as_str(), e.synthetic)),
        |code| stored.get(code).copied(),
    ));
    pipeline::write(db, problems, async |txn| {
        write(txn, file, &checker, &rows).await
    })
    .await
}

/// Writes the checked rows inside the caller's transaction, replacing each snapshot.
async fn write(
    txn: &impl ConnectionTrait,
    file: &str,
    checker: &Checker<'_>,
    rows: &[Row],
) -> Result<Summary, ImportError> {
    // Rows of each snapshot, in file order.
    let mut snapshots: BTreeMap<(usize, i32), Vec<&Row>> = BTreeMap::new();
    for row in rows {
        snapshots
            .entry((row.employer, row.year))
            .or_default()
            .push(row);
    }
    let imported_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);

    let mut employer_ids = Vec::with_capacity(checker.employers.len());
    let mut unit_ids = vec![0; checker.units.items.len()];
    let mut grade_ids = vec![0; checker.grades.items.len()];
    for (index, e) in checker.employers.iter().enumerate() {
        let stored = store::workforce::ensure_employer(
            txn,
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
        let ids = store::workforce::ensure_business_units(txn, stored.id, &units).await?;
        checker.units.resolve(index, &ids, &mut unit_ids, "unit")?;

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
        let ids = store::workforce::ensure_grades(txn, stored.id, &grades).await?;
        checker
            .grades
            .resolve(index, &ids, &mut grade_ids, "grade")?;
    }

    // Every snapshot's record keys before anything is replaced, so every conflict is listed.
    let mut keys = Vec::with_capacity(snapshots.len());
    let mut problems = Vec::new();
    for ((employer, year), rows) in &snapshots {
        let (snapshot_keys, conflicts) =
            record_keys(txn, file, employer_ids[*employer], *year, rows).await?;
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
            txn,
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
        store::workforce::insert_records(txn, snapshot_id, employer_id, *year, &records).await?;
        store::workforce::cells::build(txn, snapshot_id).await?;
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
