//! Importing programme figures from CSV (`mobility-explorer import programmes FILE.csv`), with
//! optional programme descriptions.
//!
//! Every row is checked first; anything wrong and nothing is written. A figure with the same
//! programme, metric, period, kind and area as a stored one replaces it.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};

use super::Input;
use super::{ImportError, Problem, field, read_records};
use crate::domain::programme::{FigureKind, UNITS, UnitKind, unit_kind};
use crate::store::{
    self,
    programmes::{Metric, NewFigure, Programme},
};

/// Columns of a figures file (those of the published `programme_figures.csv`).
pub const FIGURE_COLUMNS: [&str; 8] = [
    "programme",
    "metric",
    "unit",
    "period",
    "kind",
    "value",
    "area_code",
    "note",
];

/// Columns a figures file may add: a metric's display name, and for a percentage the count
/// metrics it derives from.
pub const FIGURE_OPTIONAL: [&str; 3] = ["metric_name", "numerator", "denominator"];

/// Columns of a programmes file.
pub const PROGRAMME_COLUMNS: [&str; 6] = [
    "code",
    "name",
    "description",
    "stage",
    "owner",
    "owner_name",
];

/// Optional column of a programmes file: `true` for invented demo programmes.
pub const PROGRAMME_OPTIONAL: [&str; 1] = ["synthetic"];

/// What an import wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Programmes written (new or updated).
    pub programmes: usize,
    /// Figures written, per programme code.
    pub figures: BTreeMap<String, usize>,
}

/// A metric as the file describes it.
#[derive(Debug, Clone)]
struct FileMetric {
    unit: String,
    name: String,
    numerator: Option<String>,
    denominator: Option<String>,
    line: u64,
}

/// "students_engaged" -> "Students engaged".
fn display_name(code: &str) -> String {
    let text = code.replace('_', " ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

fn read_programmes(input: Input<impl Read>, problems: &mut Vec<Problem>) -> Vec<Programme> {
    let file = input.name.as_str();
    let mut programmes: Vec<Programme> = Vec::new();
    read_records(
        file,
        input.reader,
        (&PROGRAMME_COLUMNS, &PROGRAMME_OPTIONAL),
        problems,
        |line, columns, record, problems| {
            let get = |name: &str| field(columns, record, name).to_owned();
            let code = get("code");
            if code.is_empty() {
                problems.push(Problem::at(file, line, "code", "", "required"));
                return;
            }
            if programmes.iter().any(|p| p.code == code) {
                problems.push(Problem::at(file, line, "code", &code, "described twice"));
                return;
            }
            let synthetic = match get("synthetic").to_ascii_lowercase().as_str() {
                "" | "false" | "no" => false,
                "true" | "yes" => true,
                other => {
                    problems.push(Problem::at(
                        file,
                        line,
                        "synthetic",
                        other,
                        "expected true or false",
                    ));
                    return;
                }
            };
            programmes.push(Programme {
                id: 0,
                code,
                name: get("name"),
                description: get("description"),
                stage: get("stage"),
                owner_code: get("owner"),
                owner_name: get("owner_name"),
                synthetic,
            });
        },
    );
    programmes
}

/// Imports figures (and programme descriptions) in one transaction; nothing is written when
/// anything is wrong.
pub async fn import<C>(
    db: &C,
    figures: Input<impl Read>,
    programmes: Option<Input<impl Read>>,
) -> Result<Summary, ImportError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let mut problems = Vec::new();
    let described = match programmes {
        Some(input) => read_programmes(input, &mut problems),
        None => Vec::new(),
    };
    let areas = store::areas::code_index(db).await?;
    let stored_programmes = store::programmes::list(db, None, None).await?;
    let stored_metrics = store::programmes::metrics(
        db,
        &stored_programmes.iter().map(|p| p.id).collect::<Vec<_>>(),
    )
    .await?;
    let stored_unit = |programme: &str, metric: &str| -> Option<String> {
        let p = stored_programmes.iter().find(|p| p.code == programme)?;
        stored_metrics
            .iter()
            .find(|m| m.programme_id == p.id && m.code == metric)
            .map(|m| m.unit.clone())
    };

    let file = figures.name.clone();
    let mut metrics: BTreeMap<(String, String), FileMetric> = BTreeMap::new();
    let mut rows: BTreeMap<(String, String), Vec<NewFigure>> = BTreeMap::new();
    let mut seen: HashMap<(String, String, String, FigureKind, String), u64> = HashMap::new();
    read_records(
        &file,
        figures.reader,
        (&FIGURE_COLUMNS, &FIGURE_OPTIONAL),
        &mut problems,
        |line, columns, record, problems| {
            let get = |name: &str| field(columns, record, name).to_owned();
            let before = problems.len();
            let programme = get("programme");
            let metric = get("metric");
            for (column, text) in [("programme", &programme), ("metric", &metric)] {
                if text.is_empty() {
                    problems.push(Problem::at(&file, line, column, "", "required"));
                }
            }
            let unit = get("unit");
            let kind_of_unit = unit_kind(&unit);
            if kind_of_unit.is_none() {
                problems.push(Problem::at(
                    &file,
                    line,
                    "unit",
                    &unit,
                    format!(
                        "expected one of {}",
                        UNITS.iter().map(|(u, _)| *u).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
            let period = get("period");
            if period.is_empty() {
                problems.push(Problem::at(&file, line, "period", "", "required"));
            }
            let kind_text = get("kind");
            let kind = FigureKind::parse(&kind_text);
            if kind.is_none() {
                problems.push(Problem::at(
                    &file,
                    line,
                    "kind",
                    &kind_text,
                    "expected actual or target",
                ));
            }
            let value_text = get("value");
            let value = match value_text.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => {
                    if kind_of_unit == Some(UnitKind::Percentage) && v > 100.0 {
                        problems.push(Problem::at(
                            &file,
                            line,
                            "value",
                            &value_text,
                            "a percentage above 100",
                        ));
                    }
                    Some(v)
                }
                _ => {
                    problems.push(Problem::at(
                        &file,
                        line,
                        "value",
                        &value_text,
                        "not a number of 0 or more",
                    ));
                    None
                }
            };
            let area_text = get("area_code");
            let area = if area_text.is_empty() {
                Some(String::new())
            } else {
                let found = areas.get(&area_text.to_uppercase()).cloned();
                if found.is_none() {
                    problems.push(Problem::at(
                        &file,
                        line,
                        "area_code",
                        &area_text,
                        "unknown area code",
                    ));
                }
                found
            };
            let numerator = Some(get("numerator")).filter(|t| !t.is_empty());
            let denominator = Some(get("denominator")).filter(|t| !t.is_empty());
            if (numerator.is_some() || denominator.is_some())
                && kind_of_unit != Some(UnitKind::Percentage)
            {
                problems.push(Problem::at(
                    &file,
                    line,
                    "numerator",
                    numerator.as_deref().unwrap_or(""),
                    "only a percentage derives from a numerator and a denominator",
                ));
            }
            if numerator.is_some() != denominator.is_some() {
                problems.push(Problem::at(
                    &file,
                    line,
                    "denominator",
                    denominator.as_deref().unwrap_or(""),
                    "give both a numerator and a denominator, or neither",
                ));
            }
            if let Some(stored) = stored_unit(&programme, &metric)
                && !unit.is_empty()
                && stored != unit
            {
                problems.push(Problem::at(
                    &file,
                    line,
                    "unit",
                    &unit,
                    format!("{programme} {metric} is stored in {stored}"),
                ));
            }
            let key = (programme.clone(), metric.clone());
            match metrics.get(&key) {
                Some(first) if first.unit != unit => problems.push(Problem::at(
                    &file,
                    line,
                    "unit",
                    &unit,
                    format!(
                        "{programme} {metric} is in {} on line {}",
                        first.unit, first.line
                    ),
                )),
                Some(_) => {}
                None => {
                    metrics.insert(
                        key.clone(),
                        FileMetric {
                            unit: unit.clone(),
                            name: Some(get("metric_name"))
                                .filter(|n| !n.is_empty())
                                .unwrap_or_else(|| display_name(&metric)),
                            numerator: numerator.clone(),
                            denominator: denominator.clone(),
                            line,
                        },
                    );
                }
            }
            if problems.len() > before {
                return;
            }
            let (Some(kind), Some(value), Some(area)) = (kind, value, area) else {
                return;
            };
            let dup = (
                programme.clone(),
                metric.clone(),
                period.clone(),
                kind,
                area.clone(),
            );
            if let Some(first) = seen.get(&dup) {
                problems.push(Problem::at(
                    &file,
                    line,
                    "period",
                    &period,
                    format!(
                        "a second {} for {programme} {metric} here (first on line {first})",
                        kind.as_str().to_lowercase()
                    ),
                ));
                return;
            }
            seen.insert(dup, line);
            let note = Some(get("note")).filter(|n| !n.is_empty());
            rows.entry(key).or_default().push(NewFigure {
                period,
                kind,
                value,
                area_code: area,
                note,
            });
        },
    );
    // A percentage's numerator and denominator are count metrics of the same programme.
    for ((programme, metric), m) in &metrics {
        for part in [&m.numerator, &m.denominator].into_iter().flatten() {
            let unit = metrics
                .get(&(programme.clone(), part.clone()))
                .map(|p| p.unit.clone())
                .or_else(|| stored_unit(programme, part));
            if unit.as_deref().and_then(unit_kind) != Some(UnitKind::Count) {
                problems.push(Problem::at(
                    &file,
                    m.line,
                    "numerator",
                    part,
                    format!(
                        "{programme} {metric}: `{part}` is not a count metric of the programme"
                    ),
                ));
            }
        }
    }
    if problems.is_empty() && rows.is_empty() && described.is_empty() {
        problems.push(Problem::whole(&file, "no figures after the header"));
    }
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }

    let txn = store::begin_write(db).await?;
    let mut ids: HashMap<String, i32> = HashMap::new();
    for p in &described {
        let stored = store::programmes::upsert_programme(&txn, &p.code, p).await?;
        ids.insert(p.code.clone(), stored.id);
    }
    let mut summary = Summary {
        programmes: described.len(),
        figures: BTreeMap::new(),
    };
    for ((programme, metric), m) in &metrics {
        let programme_id = match ids.get(programme) {
            Some(id) => *id,
            None => {
                let given = Programme {
                    id: 0,
                    code: programme.clone(),
                    name: String::new(),
                    description: String::new(),
                    stage: String::new(),
                    owner_code: String::new(),
                    owner_name: String::new(),
                    synthetic: false,
                };
                let stored = store::programmes::upsert_programme(&txn, programme, &given).await?;
                if stored_programmes.iter().all(|p| &p.code != programme) {
                    summary.programmes += 1;
                }
                ids.insert(programme.clone(), stored.id);
                stored.id
            }
        };
        let stored = store::programmes::upsert_metric(
            &txn,
            &Metric {
                id: 0,
                programme_id,
                code: metric.clone(),
                name: m.name.clone(),
                unit: m.unit.clone(),
                numerator: m.numerator.clone(),
                denominator: m.denominator.clone(),
            },
        )
        .await?;
        if let Some(figures) = rows.get(&(programme.clone(), metric.clone())) {
            store::programmes::upsert_figures(&txn, stored.id, figures).await?;
            *summary.figures.entry(programme.clone()).or_default() += figures.len();
        }
    }
    txn.commit().await?;
    Ok(summary)
}

/// Generates the synthetic programme activity and imports it (a fresh `serve`).
pub async fn import_demo<C>(db: &C) -> Result<Summary, ImportError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let geography = super::reference::geography()?;
    let (mut programmes, mut figures) = (Vec::new(), Vec::new());
    super::generated(crate::demo::programmes::write_csvs(
        &mut programmes,
        &mut figures,
        &geography,
        crate::demo::DEFAULT_SEED,
    ))?;
    import(
        db,
        Input {
            name: crate::demo::SOURCE.to_owned(),
            reader: figures.as_slice(),
        },
        Some(Input {
            name: crate::demo::SOURCE.to_owned(),
            reader: programmes.as_slice(),
        }),
    )
    .await
}
