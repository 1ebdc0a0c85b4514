//! Importing programme figures from CSV (`mobility-explorer import programmes FILE.csv`), with
//! optional programme descriptions.
//!
//! Every row is checked first; anything wrong and nothing is written. A figure with the same
//! programme, metric, period, kind and area as a stored one replaces it. A description of a
//! stored programme updates it, unless one is synthetic and the other real, which is refused.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use sea_orm::{ConnectionTrait, TransactionTrait};

use super::pipeline::{self, Ending, Format, ImportError, Input, Problem, Record};
pub use crate::domain::formats::programmes::{
    FIGURE_COLUMNS, FIGURE_OPTIONAL, PROGRAMME_COLUMNS, PROGRAMME_OPTIONAL,
};
use crate::domain::programme::{FigureKind, UNITS, UnitKind, unit_kind};
use crate::store::{
    self,
    programmes::{Metric, NewFigure, Programme},
};

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

/// One checked figure row.
struct FigureRow {
    programme: String,
    metric: String,
    unit: String,
    metric_name: String,
    numerator: Option<String>,
    denominator: Option<String>,
    /// `None` when a field of the figure itself is at fault.
    figure: Option<NewFigure>,
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

/// Reads a programmes file: each programme with its line.
fn read_programmes(input: Input<impl Read>, problems: &mut Vec<Problem>) -> Vec<(u64, Programme)> {
    let mut seen: Vec<String> = Vec::new();
    let format = Format::strict(&PROGRAMME_COLUMNS, &PROGRAMME_OPTIONAL);
    pipeline::read(input, &format, problems, |r, problems| {
        let code = r.required("code", problems)?;
        if seen.iter().any(|c| c == code) {
            problems.push(r.problem("code", code, "described twice"));
            return None;
        }
        seen.push(code.to_owned());
        let get = |name: &str| r.get(name).to_owned();
        Some((
            r.line(),
            Programme {
                id: 0,
                code: code.to_owned(),
                name: get("name"),
                description: get("description"),
                stage: get("stage"),
                owner_code: get("owner"),
                owner_name: get("owner_name"),
                synthetic: r.synthetic(problems)?,
                source: get("source"),
                licence: get("licence"),
            },
        ))
    })
}

/// Checks one figure row on its own (a unit the file or the store already gives a metric is
/// checked by the caller): `None` only when its programme or metric is missing.
fn check_figure(
    r: &Record<'_>,
    areas: &HashMap<String, String>,
    problems: &mut Vec<Problem>,
) -> Option<FigureRow> {
    let programme = r.required("programme", problems);
    let metric = r.required("metric", problems);
    let unit = r.get("unit");
    let kind_of_unit = unit_kind(unit);
    if kind_of_unit.is_none() {
        let units: Vec<&str> = UNITS.iter().map(|(u, _)| *u).collect();
        let reason = format!("expected one of {}", units.join(", "));
        problems.push(r.problem("unit", unit, reason));
    }
    let period = r.required("period", problems);
    let kind = FigureKind::parse(r.get("kind"));
    if kind.is_none() {
        problems.push(r.problem("kind", r.get("kind"), "expected actual or target"));
    }
    let value_text = r.get("value");
    let value = match value_text.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => {
            if kind_of_unit == Some(UnitKind::Percentage) && v > 100.0 {
                problems.push(r.problem("value", value_text, "a percentage above 100"));
            }
            Some(v)
        }
        _ => {
            problems.push(r.problem("value", value_text, "not a number of 0 or more"));
            None
        }
    };
    let area_text = r.get("area_code");
    let area = if area_text.is_empty() {
        Some(String::new())
    } else {
        let found = areas.get(&area_text.to_uppercase()).cloned();
        if found.is_none() {
            problems.push(r.problem("area_code", area_text, "unknown area code"));
        }
        found
    };
    let optional = |name: &str| Some(r.get(name).to_owned()).filter(|t| !t.is_empty());
    let (numerator, denominator) = (optional("numerator"), optional("denominator"));
    if (numerator.is_some() || denominator.is_some()) && kind_of_unit != Some(UnitKind::Percentage)
    {
        problems.push(r.problem(
            "numerator",
            numerator.as_deref().unwrap_or(""),
            "only a percentage derives from a numerator and a denominator",
        ));
    }
    if numerator.is_some() != denominator.is_some() {
        problems.push(r.problem(
            "denominator",
            denominator.as_deref().unwrap_or(""),
            "give both a numerator and a denominator, or neither",
        ));
    }
    let figure = match (period, kind, value, area) {
        (Some(period), Some(kind), Some(value), Some(area_code)) => Some(NewFigure {
            period: period.to_owned(),
            kind,
            value,
            area_code,
            note: optional("note"),
            caveat: optional("caveat"),
        }),
        _ => None,
    };
    Some(FigureRow {
        programme: programme?.to_owned(),
        metric: metric?.to_owned(),
        unit: unit.to_owned(),
        metric_name: r.get("metric_name").to_owned(),
        numerator,
        denominator,
        figure,
    })
}

/// Imports figures (and programme descriptions) in one transaction; nothing is written when
/// anything is wrong.
pub async fn import(
    db: &(impl ConnectionTrait + TransactionTrait),
    figures: Input<impl Read>,
    programmes: Option<Input<impl Read>>,
) -> Result<Summary, ImportError> {
    import_as(db, figures, programmes, Ending::Commit).await
}

/// [`import`] ended as `ending` says: [`Ending::RollBack`] is a dry run, which checks and
/// writes everything an import does, says what it wrote, and rolls back.
pub async fn import_as(
    db: &(impl ConnectionTrait + TransactionTrait),
    figures: Input<impl Read>,
    programmes: Option<Input<impl Read>>,
    ending: Ending,
) -> Result<Summary, ImportError> {
    let mut problems = Vec::new();
    let stored_programmes = store::programmes::list(db, None, None).await?;
    let described = pipeline::companion(
        programmes,
        read_programmes,
        ("programme", |p: &Programme| (p.code.as_str(), p.synthetic)),
        |code| {
            let stored = stored_programmes.iter().find(|s| s.code == code);
            stored.map(|s| s.synthetic)
        },
        &mut problems,
    );
    let areas = store::areas::code_index(db).await?;
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
    let mut seen: HashMap<(String, String, String, FigureKind, String), u64> = HashMap::new();
    let format = Format::strict(&FIGURE_COLUMNS, &FIGURE_OPTIONAL);
    let rows = pipeline::read(figures, &format, &mut problems, |r, problems| {
        let before = problems.len();
        let row = check_figure(r, &areas, problems)?;
        let (programme, metric, unit) = (&row.programme, &row.metric, &row.unit);
        if let Some(stored) = stored_unit(programme, metric)
            && !unit.is_empty()
            && &stored != unit
        {
            let reason = format!("{programme} {metric} is stored in {stored}");
            problems.push(r.problem("unit", unit, reason));
        }
        let key = (programme.clone(), metric.clone());
        match metrics.get(&key) {
            Some(first) if &first.unit != unit => {
                let reason = format!(
                    "{programme} {metric} is in {} on line {}",
                    first.unit, first.line
                );
                problems.push(r.problem("unit", unit, reason));
            }
            Some(_) => {}
            None => {
                let name = Some(row.metric_name.clone())
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| display_name(metric));
                let described = FileMetric {
                    unit: unit.clone(),
                    name,
                    numerator: row.numerator.clone(),
                    denominator: row.denominator.clone(),
                    line: r.line(),
                };
                metrics.insert(key.clone(), described);
            }
        }
        let f = row.figure.filter(|_| problems.len() == before)?;
        let dup = (
            key.0.clone(),
            key.1.clone(),
            f.period.clone(),
            f.kind,
            f.area_code.clone(),
        );
        if let Some(first) = seen.get(&dup) {
            let kind = f.kind.as_str().to_lowercase();
            let reason =
                format!("a second {kind} for {programme} {metric} here (first on line {first})");
            problems.push(r.problem("period", &f.period, reason));
            return None;
        }
        seen.insert(dup, r.line());
        Some((key, f))
    });
    // A percentage's numerator and denominator are count metrics of the same programme.
    for ((programme, metric), m) in &metrics {
        for part in [&m.numerator, &m.denominator].into_iter().flatten() {
            let unit = metrics
                .get(&(programme.clone(), part.clone()))
                .map(|p| p.unit.clone())
                .or_else(|| stored_unit(programme, part));
            if unit.as_deref().and_then(unit_kind) != Some(UnitKind::Count) {
                let reason = format!(
                    "{programme} {metric}: `{part}` is not a count metric of the programme"
                );
                problems.push(Problem::at(&file, m.line, "numerator", part, reason));
            }
        }
    }
    if problems.is_empty() && rows.is_empty() && described.is_empty() {
        problems.push(Problem::whole(&file, "no figures after the header"));
    }
    let mut figures: BTreeMap<(String, String), Vec<NewFigure>> = BTreeMap::new();
    for (key, figure) in rows {
        figures.entry(key).or_default().push(figure);
    }
    let known: Vec<&str> = stored_programmes.iter().map(|p| p.code.as_str()).collect();
    pipeline::write_as(db, problems, ending, async |txn| {
        write(txn, &described, &known, &metrics, &figures).await
    })
    .await
}

/// Writes programmes, metrics and figures inside the caller's transaction.
async fn write(
    txn: &impl ConnectionTrait,
    described: &[Programme],
    known: &[&str],
    metrics: &BTreeMap<(String, String), FileMetric>,
    figures: &BTreeMap<(String, String), Vec<NewFigure>>,
) -> Result<Summary, ImportError> {
    let mut ids: HashMap<String, i32> = HashMap::new();
    for p in described {
        let stored = store::programmes::upsert_programme(txn, &p.code, p).await?;
        ids.insert(p.code.clone(), stored.id);
    }
    let mut summary = Summary {
        programmes: described.len(),
        figures: BTreeMap::new(),
    };
    for ((programme, metric), m) in metrics {
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
                    source: String::new(),
                    licence: String::new(),
                };
                let stored = store::programmes::upsert_programme(txn, programme, &given).await?;
                if !known.contains(&programme.as_str()) {
                    summary.programmes += 1;
                }
                ids.insert(programme.clone(), stored.id);
                stored.id
            }
        };
        let metric_row = Metric {
            id: 0,
            programme_id,
            code: metric.clone(),
            name: m.name.clone(),
            unit: m.unit.clone(),
            numerator: m.numerator.clone(),
            denominator: m.denominator.clone(),
        };
        let stored = store::programmes::upsert_metric(txn, &metric_row).await?;
        if let Some(rows) = figures.get(&(programme.clone(), metric.clone())) {
            store::programmes::upsert_figures(txn, stored.id, rows).await?;
            *summary.figures.entry(programme.clone()).or_default() += rows.len();
        }
    }
    Ok(summary)
}
