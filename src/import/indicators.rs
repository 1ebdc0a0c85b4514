//! Importing indicator definitions and values from CSV
//! (`mobility-explorer import indicators FILE.csv [--definitions FILE]`).
//!
//! Both files are read and checked in full; only when neither has a problem is anything
//! written, in one transaction. A value with the same (indicator, area, period, breakdown) as
//! a stored one replaces it; a definition with a stored code replaces it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;

use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};

use super::{ImportError, Input, Problem, field, read_records};
use crate::store::{
    self,
    indicators::{Definition, NewValue},
};

/// Columns of a definitions file.
pub const DEFINITION_COLUMNS: [&str; 8] = [
    "code",
    "name",
    "description",
    "unit",
    "domain",
    "higher_is_better",
    "source",
    "licence",
];

/// Optional column of a definitions file: `true` for invented demo indicators.
pub const DEFINITION_OPTIONAL: [&str; 1] = ["synthetic"];

/// Columns every values file has.
pub const VALUE_COLUMNS: [&str; 6] = [
    "indicator",
    "area_code",
    "period",
    "value",
    "lower",
    "upper",
];

/// Columns a values file may add.
pub const VALUE_OPTIONAL: [&str; 4] = ["sample_size", "breakdown", "note", "published_group"];

/// What an import wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Definitions written (new or replaced).
    pub definitions: usize,
    /// Values written, per indicator code.
    pub values: BTreeMap<String, usize>,
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// Reads a definitions file.
pub fn read_definitions(
    input: Input<impl Read>,
    problems: &mut Vec<Problem>,
) -> Vec<(u64, Definition)> {
    let file = input.name.as_str();
    let mut definitions: Vec<(u64, Definition)> = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    read_records(
        file,
        input.reader,
        (&DEFINITION_COLUMNS, &DEFINITION_OPTIONAL),
        problems,
        |line, columns, record, problems| {
            let field = |name: &str| field(columns, record, name).to_owned();
            let before = problems.len();
            for name in ["code", "name", "unit", "domain", "source", "licence"] {
                if field(name).is_empty() {
                    problems.push(Problem::at(file, line, name, "", "required"));
                }
            }
            let higher = field("higher_is_better");
            let higher_is_better = parse_bool(&higher);
            if higher_is_better.is_none() {
                problems.push(Problem::at(
                    file,
                    line,
                    "higher_is_better",
                    &higher,
                    "expected true or false",
                ));
            }
            let synthetic_text = field("synthetic");
            let synthetic = if synthetic_text.is_empty() {
                Some(false)
            } else {
                parse_bool(&synthetic_text)
            };
            if synthetic.is_none() {
                problems.push(Problem::at(
                    file,
                    line,
                    "synthetic",
                    &synthetic_text,
                    "expected true or false",
                ));
            }
            let code = field("code");
            if let Some(first) = seen.get(&code) {
                problems.push(Problem::at(
                    file,
                    line,
                    "code",
                    &code,
                    format!("defined twice (first on line {first})"),
                ));
            } else if !code.is_empty() {
                seen.insert(code.clone(), line);
            }
            if problems.len() == before {
                definitions.push((
                    line,
                    Definition {
                        code,
                        name: field("name"),
                        description: field("description"),
                        unit: field("unit"),
                        domain: field("domain"),
                        higher_is_better: higher_is_better.unwrap_or(true),
                        source: field("source"),
                        licence: field("licence"),
                        synthetic: synthetic.unwrap_or(false),
                    },
                ));
            }
        },
    );
    definitions
}

/// A breakdown in canonical form (`type=value` pairs sorted by type, joined by `;`), or why
/// it is not one.
pub fn canonical_breakdown(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(String::new());
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    for part in text.split(';') {
        let Some((kind, value)) = part.split_once('=') else {
            return Err(format!("`{part}` is not type=value"));
        };
        let (kind, value) = (kind.trim(), value.trim());
        if kind.is_empty() || value.is_empty() {
            return Err(format!("`{part}` is not type=value"));
        }
        if pairs.iter().any(|(k, _)| k == kind) {
            return Err(format!("type `{kind}` appears twice"));
        }
        pairs.push((kind.to_owned(), value.to_owned()));
    }
    pairs.sort();
    Ok(pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(";"))
}

/// Reads a values file, resolving indicators by `known` code and areas by any of their codes.
fn read_values(
    input: Input<impl Read>,
    known: &HashSet<String>,
    areas: &HashMap<String, String>,
    problems: &mut Vec<Problem>,
) -> BTreeMap<String, Vec<NewValue>> {
    let file = input.name.as_str();
    let mut values: BTreeMap<String, Vec<NewValue>> = BTreeMap::new();
    let mut seen: HashMap<(String, String, String, String), u64> = HashMap::new();
    read_records(
        file,
        input.reader,
        (&VALUE_COLUMNS, &VALUE_OPTIONAL),
        problems,
        |line, columns, record, problems| {
            let field = |name: &str| field(columns, record, name).to_owned();
            let before = problems.len();
            let indicator = field("indicator");
            if !known.contains(&indicator) {
                problems.push(Problem::at(
                    file,
                    line,
                    "indicator",
                    &indicator,
                    "unknown indicator: not in the definitions file nor in the store",
                ));
            }
            let area_text = field("area_code");
            let area = areas.get(&area_text.to_uppercase()).cloned();
            if area.is_none() {
                problems.push(Problem::at(
                    file,
                    line,
                    "area_code",
                    &area_text,
                    "unknown area code",
                ));
            }
            let period = field("period");
            if period.is_empty() {
                problems.push(Problem::at(file, line, "period", "", "required"));
            }
            let number = |name: &str, problems: &mut Vec<Problem>, required: bool| {
                let text = field(name);
                if text.is_empty() || (!required && text.eq_ignore_ascii_case("NA")) {
                    if required {
                        problems.push(Problem::at(file, line, name, &text, "required"));
                    }
                    return None;
                }
                match text.parse::<f64>() {
                    Ok(x) if x.is_finite() => Some(x),
                    _ => {
                        problems.push(Problem::at(file, line, name, &text, "not a number"));
                        None
                    }
                }
            };
            let value = number("value", problems, true);
            let lower = number("lower", problems, false);
            let upper = number("upper", problems, false);
            if let (Some(v), Some(l), Some(u)) = (value, lower, upper)
                && !(l <= v && v <= u)
            {
                problems.push(Problem::at(
                    file,
                    line,
                    "lower",
                    &field("lower"),
                    format!("the interval {l} to {u} does not contain the value {v}"),
                ));
            }
            let sample_text = field("sample_size");
            let sample_size = if sample_text.is_empty() || sample_text.eq_ignore_ascii_case("NA") {
                None
            } else {
                match sample_text.parse::<i64>() {
                    Ok(n) if n >= 0 => Some(n),
                    _ => {
                        problems.push(Problem::at(
                            file,
                            line,
                            "sample_size",
                            &sample_text,
                            "not a whole number of 0 or more",
                        ));
                        None
                    }
                }
            };
            let breakdown_text = field("breakdown");
            let breakdown = match canonical_breakdown(&breakdown_text) {
                Ok(b) => b,
                Err(reason) => {
                    problems.push(Problem::at(
                        file,
                        line,
                        "breakdown",
                        &breakdown_text,
                        reason,
                    ));
                    String::new()
                }
            };
            if problems.len() > before {
                return;
            }
            let (Some(area), Some(value)) = (area, value) else {
                return;
            };
            let key = (
                indicator.clone(),
                area.clone(),
                period.clone(),
                breakdown.clone(),
            );
            if let Some(first) = seen.get(&key) {
                problems.push(Problem::at(
                    file,
                    line,
                    "area_code",
                    &area_text,
                    format!(
                        "a second value for {indicator}, {area}, {period}{} (first on line {first})",
                        if breakdown.is_empty() {
                            String::new()
                        } else {
                            format!(", {breakdown}")
                        }
                    ),
                ));
                return;
            }
            seen.insert(key, line);
            let optional = |name: &str| Some(field(name)).filter(|t| !t.is_empty());
            values.entry(indicator).or_default().push(NewValue {
                area_code: area,
                period,
                breakdown,
                value,
                lower,
                upper,
                sample_size,
                note: optional("note"),
                published_group: optional("published_group"),
            });
        },
    );
    values
}

/// Imports definitions (optional) and values in one transaction; nothing is written when
/// anything is wrong.
pub async fn import<C>(
    db: &C,
    values: Input<impl Read>,
    definitions: Option<Input<impl Read>>,
) -> Result<Summary, ImportError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let mut problems = Vec::new();
    let definitions = match definitions {
        Some(input) => read_definitions(input, &mut problems),
        None => Vec::new(),
    };
    let stored = store::indicators::all(db, None).await?;
    let mut known: HashSet<String> = stored.iter().map(|i| i.definition.code.clone()).collect();
    known.extend(definitions.iter().map(|(_, d)| d.code.clone()));
    let areas = store::areas::code_index(db).await?;
    let file = values.name.clone();
    let values = read_values(values, &known, &areas, &mut problems);
    if problems.is_empty() && values.is_empty() && definitions.is_empty() {
        problems.push(Problem::whole(&file, "no values after the header"));
    }
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }
    write(db, &definitions, &values).await
}

async fn write<C>(
    db: &C,
    definitions: &[(u64, Definition)],
    values: &BTreeMap<String, Vec<NewValue>>,
) -> Result<Summary, ImportError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = store::begin_write(db).await?;
    let definitions: Vec<Definition> = definitions.iter().map(|(_, d)| d.clone()).collect();
    let ids = store::indicators::upsert_definitions(&txn, &definitions).await?;
    let mut summary = Summary {
        definitions: definitions.len(),
        values: BTreeMap::new(),
    };
    for (code, rows) in values {
        let id = ids.get(code).copied().ok_or_else(|| {
            ImportError::Store(store::StoreError::Corrupt(format!(
                "indicator {code} was not found after being written"
            )))
        })?;
        store::indicators::upsert_values(&txn, id, rows).await?;
        summary.values.insert(code.clone(), rows.len());
    }
    txn.commit().await?;
    Ok(summary)
}

/// Generates the synthetic local-authority indicators and imports them (a fresh `serve`).
pub async fn import_demo<C>(db: &C) -> Result<Summary, ImportError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let geography = super::reference::geography()?;
    let (mut definitions, mut values) = (Vec::new(), Vec::new());
    super::generated(crate::demo::indicators::write_csvs(
        &mut definitions,
        &mut values,
        &geography,
        crate::demo::DEFAULT_SEED,
    ))?;
    import(
        db,
        Input {
            name: crate::demo::SOURCE.to_owned(),
            reader: values.as_slice(),
        },
        Some(Input {
            name: crate::demo::SOURCE.to_owned(),
            reader: definitions.as_slice(),
        }),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakdowns_are_sorted_by_type_and_checked() {
        assert_eq!(canonical_breakdown("").as_deref(), Ok(""));
        assert_eq!(
            canonical_breakdown(" sex=Female ; seb=Working class").as_deref(),
            Ok("seb=Working class;sex=Female")
        );
        assert!(canonical_breakdown("seb").is_err());
        assert!(canonical_breakdown("seb=a;seb=b").is_err());
        assert!(canonical_breakdown("=a").is_err());
    }
}
