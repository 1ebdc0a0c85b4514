//! Importing indicator definitions and values from CSV
//! (`mobility-explorer import indicators FILE.csv [--definitions FILE]`).
//!
//! Both files are read and checked in full; only when neither has a problem is anything
//! written, in one transaction. A value with the same (indicator, area, period, breakdown) as
//! a stored one replaces it; a definition with a stored code replaces it, unless one is
//! synthetic and the other real, which is refused.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;

use sea_orm::{ConnectionTrait, TransactionTrait};

use super::pipeline::{self, Ending, Format, ImportError, Input, Problem, Record};
pub use crate::domain::formats::indicators::{
    DEFINITION_COLUMNS, DEFINITION_OPTIONAL, VALUE_COLUMNS, VALUE_OPTIONAL,
};
use crate::domain::index::canonical_breakdown;
use crate::store::{
    self,
    indicators::{Definition, NewValue},
};

/// What an import wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Definitions written (new or replaced).
    pub definitions: usize,
    /// Values written, per indicator code.
    pub values: BTreeMap<String, usize>,
}

/// Reads a definitions file: each definition with its line.
pub fn read_definitions(
    input: Input<impl Read>,
    problems: &mut Vec<Problem>,
) -> Vec<(u64, Definition)> {
    let mut seen: HashMap<String, u64> = HashMap::new();
    let format = Format::strict(&DEFINITION_COLUMNS, &DEFINITION_OPTIONAL);
    pipeline::read(input, &format, problems, |r, problems| {
        let before = problems.len();
        for name in ["name", "unit", "domain", "source", "licence"] {
            r.required(name, problems);
        }
        let higher_is_better = r.boolean("higher_is_better", None, problems);
        let synthetic = r.synthetic(problems);
        let code = r.required("code", problems)?;
        if let Some(first) = seen.get(code) {
            let reason = format!("defined twice (first on line {first})");
            problems.push(r.problem("code", code, reason));
        } else {
            seen.insert(code.to_owned(), r.line());
        }
        if problems.len() > before {
            return None;
        }
        let field = |name: &str| r.get(name).to_owned();
        Some((
            r.line(),
            Definition {
                code: code.to_owned(),
                name: field("name"),
                description: field("description"),
                unit: field("unit"),
                domain: field("domain"),
                higher_is_better: higher_is_better?,
                source: field("source"),
                licence: field("licence"),
                synthetic: synthetic?,
            },
        ))
    })
}

/// Checks one value, resolving its indicator by `known` code and its area by any of its codes.
fn check_value(
    r: &Record<'_>,
    known: &HashSet<String>,
    areas: &HashMap<String, String>,
    problems: &mut Vec<Problem>,
) -> Option<(String, NewValue)> {
    let before = problems.len();
    let indicator = r.get("indicator");
    if !known.contains(indicator) {
        problems.push(r.problem(
            "indicator",
            indicator,
            "unknown indicator: not in the definitions file nor in the store",
        ));
    }
    let area_text = r.get("area_code");
    let area = areas.get(&area_text.to_uppercase()).cloned();
    if area.is_none() {
        problems.push(r.problem("area_code", area_text, "unknown area code"));
    }
    let period = r.required("period", problems);
    let value = r.required_number("value", problems);
    let lower = r.number("lower", &["NA"], problems);
    let upper = r.number("upper", &["NA"], problems);
    if let (Some(v), Some(l), Some(u)) = (value, lower, upper)
        && !(l <= v && v <= u)
    {
        let reason = format!("the interval {l} to {u} does not contain the value {v}");
        problems.push(r.problem("lower", r.get("lower"), reason));
    }
    let sample_text = r.get("sample_size");
    let sample_size = if sample_text.is_empty() || sample_text.eq_ignore_ascii_case("NA") {
        None
    } else {
        match sample_text.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                let reason = "not a whole number of 0 or more";
                problems.push(r.problem("sample_size", sample_text, reason));
                None
            }
        }
    };
    let breakdown_text = r.get("breakdown");
    let breakdown = canonical_breakdown(breakdown_text)
        .map_err(|reason| problems.push(r.problem("breakdown", breakdown_text, reason)))
        .ok();
    if problems.len() > before {
        return None;
    }
    let optional = |name: &str| Some(r.get(name).to_owned()).filter(|t| !t.is_empty());
    Some((
        indicator.to_owned(),
        NewValue {
            area_code: area?,
            period: period?.to_owned(),
            breakdown: breakdown?,
            value: value?,
            lower,
            upper,
            sample_size,
            note: optional("note"),
            published_group: optional("published_group"),
        },
    ))
}

/// Reads a values file, refusing a second value for the same key.
fn read_values(
    input: Input<impl Read>,
    known: &HashSet<String>,
    areas: &HashMap<String, String>,
    problems: &mut Vec<Problem>,
) -> BTreeMap<String, Vec<NewValue>> {
    let mut seen: HashMap<(String, String, String, String), u64> = HashMap::new();
    let format = Format::strict(&VALUE_COLUMNS, &VALUE_OPTIONAL);
    let rows = pipeline::read(input, &format, problems, |r, problems| {
        let (indicator, v) = check_value(r, known, areas, problems)?;
        let key = (
            indicator.clone(),
            v.area_code.clone(),
            v.period.clone(),
            v.breakdown.clone(),
        );
        if let Some(first) = seen.get(&key) {
            let breakdown = if v.breakdown.is_empty() {
                String::new()
            } else {
                format!(", {}", v.breakdown)
            };
            problems.push(r.problem(
                "area_code",
                r.get("area_code"),
                format!(
                    "a second value for {indicator}, {}, {}{breakdown} (first on line {first})",
                    v.area_code, v.period
                ),
            ));
            return None;
        }
        seen.insert(key, r.line());
        Some((indicator, v))
    });
    let mut values: BTreeMap<String, Vec<NewValue>> = BTreeMap::new();
    for (indicator, v) in rows {
        values.entry(indicator).or_default().push(v);
    }
    values
}

/// How [`write`] treats the values stored before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// A value with the same area, period and breakdown is replaced; others stay.
    Kept,
    /// Every stored value of the written definitions goes first: the bundled publications,
    /// whose values are exactly what the files give (a value a newer reading no longer gives,
    /// such as one under a breakdown since read as the area's group, must not linger).
    Replaced,
}

/// Writes definitions and values (inside the caller's transaction); returns how many values
/// were written.
pub async fn write(
    db: &impl ConnectionTrait,
    definitions: &[Definition],
    values: &BTreeMap<String, Vec<NewValue>>,
    stored: Stored,
) -> Result<BTreeMap<String, usize>, ImportError> {
    let ids = store::indicators::upsert_definitions(db, definitions).await?;
    if stored == Stored::Replaced {
        let written: Vec<i32> = definitions
            .iter()
            .filter_map(|d| ids.get(&d.code).copied())
            .collect();
        store::indicators::delete_values(db, &written).await?;
    }
    let mut written = BTreeMap::new();
    for (code, rows) in values {
        let id = ids
            .get(code)
            .copied()
            .ok_or_else(|| ImportError::missing("indicator", code))?;
        store::indicators::upsert_values(db, id, rows).await?;
        written.insert(code.clone(), rows.len());
    }
    Ok(written)
}

/// Imports definitions (optional) and values in one transaction; nothing is written when
/// anything is wrong.
pub async fn import(
    db: &(impl ConnectionTrait + TransactionTrait),
    values: Input<impl Read>,
    definitions: Option<Input<impl Read>>,
) -> Result<Summary, ImportError> {
    import_as(db, values, definitions, Ending::Commit).await
}

/// [`import`] ended as `ending` says: [`Ending::RollBack`] is a dry run, which checks and
/// writes everything an import does, says what it wrote, and rolls back.
pub async fn import_as(
    db: &(impl ConnectionTrait + TransactionTrait),
    values: Input<impl Read>,
    definitions: Option<Input<impl Read>>,
    ending: Ending,
) -> Result<Summary, ImportError> {
    let stored: HashMap<String, bool> = store::indicators::all(db, None)
        .await?
        .into_iter()
        .map(|i| (i.definition.code, i.definition.synthetic))
        .collect();
    let mut problems = Vec::new();
    let definitions = pipeline::companion(
        definitions,
        read_definitions,
        ("indicator", |d: &Definition| (d.code.as_str(), d.synthetic)),
        |code| stored.get(code).copied(),
        &mut problems,
    );
    let mut known: HashSet<String> = stored.into_keys().collect();
    known.extend(definitions.iter().map(|d| d.code.clone()));
    let areas = store::areas::code_index(db).await?;
    let file = values.name.clone();
    let values = read_values(values, &known, &areas, &mut problems);
    if problems.is_empty() && values.is_empty() && definitions.is_empty() {
        problems.push(Problem::whole(&file, "no values after the header"));
    }
    pipeline::write_as(db, problems, ending, async |txn| {
        Ok(Summary {
            definitions: definitions.len(),
            values: write(txn, &definitions, &values, Stored::Kept).await?,
        })
    })
    .await
}
