//! The indicators behind the Commission's 2025 index (`son25`): intermediate outcomes and
//! drivers for the UK, its countries and ITL2 areas, with their breakdowns.

use std::collections::HashSet;

use super::published::{LICENCE, Published};
use crate::domain::geography::{AreaLevel, Geography};
use crate::domain::index::canonical_breakdown;
use crate::import::pipeline::{self, Format, Input, Problem, Record, bundled};
use crate::store::indicators::{Definition, NewValue};

/// A bundled `son25` indicator file: its name and content.
macro_rules! son25_file {
    ($code:literal) => {
        bundled!(concat!("smc/son25/2025-01-01-", $code, "-full-dataset.csv"))
    };
}

/// The indicators behind the 2025 index: intermediate outcomes (`in*`) and drivers (`dr*`).
pub const SON25: [(&str, &str); 33] = [
    son25_file!("dr11"),
    son25_file!("dr12"),
    son25_file!("dr13"),
    son25_file!("dr14"),
    son25_file!("dr15"),
    son25_file!("dr21"),
    son25_file!("dr23"),
    son25_file!("dr31"),
    son25_file!("dr32"),
    son25_file!("dr33"),
    son25_file!("dr34"),
    son25_file!("dr41"),
    son25_file!("dr42"),
    son25_file!("dr51"),
    son25_file!("dr52"),
    son25_file!("dr53"),
    son25_file!("dr54"),
    son25_file!("dr55"),
    son25_file!("in11"),
    son25_file!("in12"),
    son25_file!("in13"),
    son25_file!("in21"),
    son25_file!("in22"),
    son25_file!("in23"),
    son25_file!("in31"),
    son25_file!("in32"),
    son25_file!("in33"),
    son25_file!("in34"),
    son25_file!("in35"),
    son25_file!("in36"),
    son25_file!("in41"),
    son25_file!("in42"),
    son25_file!("in43"),
];

/// `son25` measures where a lower value is better (unemployment, poverty, the pay penalty of
/// social origins). Distributions (of earnings, parental education or occupation) have no
/// better direction; they are marked higher-is-better and described as distributions.
const SON25_LOWER_IS_BETTER: [&str; 4] = ["dr12", "dr32", "in32", "in36"];

const SOURCE_SON25: &str = "Social Mobility Commission, State of the Nation 2025: indicators \
    behind the index (data explorer repository ukgov-equality-hub/smc-son, 2025-01-01 data sets)";

/// The split type of an ITL2 area's value that gives the area's group (its quintile among the
/// areas), not a part of its population.
const GROUP_SPLIT: &str = "quintile";

/// Measures whose ITL2 values are published for the 2025 ITL2 areas. The bundled geography
/// holds the 2021 areas; in Scotland and the North East the two differ in boundaries under
/// the same names (the 2025 "Eastern Scotland" no longer holds Edinburgh), so these values
/// are left out, with the reason, rather than attached by name to the wrong area.
const ITL2_2025_MEASURES: [&str; 1] = ["dr55"];

/// Split types that place a value in time or space rather than break it down.
const TIME_SPLITS: [&str; 2] = ["time_period", "year"];
/// (`itl2_adolescent_geo`: the ITL2 area people lived in as adolescents, which the regional
/// outcome files are by.)
const AREA_SPLITS: [&str; 3] = ["area_name", "itl2_current_geo", "itl2_adolescent_geo"];

/// The split type that sets a value of another area beside the row's own: the row's own
/// area is its total, any other (the OECD average) a comparator, which is not a UK area and
/// is served as the bundled comparator of that name.
const COMPARATOR_SPLIT: &str = "area";

/// The four splits, each a pair of columns (type, value).
const SPLITS: [(&str, &str); 4] = [
    ("primary_split_type", "primary_split_value"),
    ("secondary_split_type", "secondary_split_value"),
    ("tertiary_split_type", "tertiary_split_value"),
    ("fourth_split_type", "fourth_split_value"),
];

/// The columns used.
const COLUMNS: [&str; 19] = [
    "measure_code",
    "measure_title",
    "area_type",
    "area_name",
    "primary_split_type",
    "primary_split_value",
    "secondary_split_type",
    "secondary_split_value",
    "tertiary_split_type",
    "tertiary_split_value",
    "fourth_split_type",
    "fourth_split_value",
    "time_period",
    "value",
    "lci",
    "uci",
    "sample_size",
    "unit",
    "value_note",
];

/// How the files mark a figure that is not available: `NA`, and `x` (suppressed).
const NOT_AVAILABLE: [&str; 2] = ["NA", "x"];

/// One unit name per unit: the files write the same unit several ways.
fn unit_name(text: &str) -> String {
    match text.trim() {
        "Percent" | "Percentage" => "percent".to_owned(),
        "Pound" | "Pounds" | "Pound sterling" | "£" | "GBP (£)" => "pounds".to_owned(),
        other => other.to_owned(),
    }
}

fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_owned()
}

/// One checked row of a `son25` file.
struct Row {
    line: u64,
    measure: String,
    title: String,
    unit: String,
    itl2: bool,
    area_name: String,
    period: String,
    /// Breakdown pairs (`type=value`), the total splits and those of time and space taken out.
    pairs: Vec<String>,
    /// The group the publisher put an ITL2 area in (its quintile), as published.
    group: Option<String>,
    /// The comparator the value is of (the OECD average), not the row's area.
    comparator: Option<String>,
    /// `None`: published as not available.
    value: Option<f64>,
    value_text: String,
    lower: Option<f64>,
    upper: Option<f64>,
    sample_size: Option<f64>,
    note: Option<String>,
}

/// Reads a record into a row; every field that cannot be read is a problem. A spacer row
/// (every field empty) holds nothing and is passed over.
fn check(r: &Record<'_>, problems: &mut Vec<Problem>) -> Option<Row> {
    if r.is_blank() {
        return None;
    }
    let before = problems.len();
    let measure = r.required("measure_code", problems);
    let value = r.number("value", &NOT_AVAILABLE[..1], problems);
    let lower = r.number("lci", &NOT_AVAILABLE, problems);
    let upper = r.number("uci", &NOT_AVAILABLE, problems);
    let sample_size = r.number("sample_size", &NOT_AVAILABLE, problems);
    if problems.len() > before {
        return None;
    }
    let mut period = r.get("time_period").to_owned();
    let mut area_name = r.get("area_name").to_owned();
    let itl2 = r.get("area_type").eq_ignore_ascii_case("ITL2");
    let mut pairs = Vec::new();
    let mut group = None;
    let mut comparator = None;
    for (kind, value) in SPLITS {
        let (kind, value) = (r.get(kind), r.get(value));
        if kind.is_empty() || kind == "NA" {
            continue;
        }
        if TIME_SPLITS.contains(&kind) {
            period = value.to_owned();
        } else if AREA_SPLITS.contains(&kind) {
            area_name = value.to_owned();
        } else if kind == COMPARATOR_SPLIT {
            if !value.eq_ignore_ascii_case(r.get("area_name")) {
                comparator = Some(value.to_owned());
            }
        } else if itl2 && kind == GROUP_SPLIT {
            // Every ITL2 value of the regional files carries its area's quintile: taken as a
            // breakdown, no area had a total and the group was never served as one.
            group = Some(value.to_owned());
        } else if !value.eq_ignore_ascii_case("total") {
            pairs.push(format!("{kind}={value}"));
        }
    }
    let note = r.get("value_note");
    Some(Row {
        line: r.line(),
        measure: measure?.to_owned(),
        title: r.get("measure_title").to_owned(),
        unit: unit_name(r.get("unit")),
        itl2,
        area_name,
        period,
        pairs,
        group,
        comparator,
        value,
        value_text: r.get("value").to_owned(),
        lower,
        upper,
        sample_size,
        note: (!note.is_empty() && note != "NA").then(|| note.to_owned()),
    })
}

/// The definition of a `son25` indicator, from its first row.
fn definition(code: &str, row: &Row, several_units: bool) -> Definition {
    let (measure, title, unit) = (&row.measure, &row.title, &row.unit);
    Definition {
        code: code.to_owned(),
        name: if several_units {
            format!("{title} ({unit})")
        } else {
            title.clone()
        },
        description: format!(
            "The Commission's 2025 {} `{measure}`: {title}, in {unit}, for the UK, its \
             countries and ITL2 areas, with breakdowns as published.",
            if measure.starts_with("in") {
                "intermediate outcome"
            } else {
                "driver"
            }
        ),
        unit: unit.clone(),
        domain: format!("son25_{}", &measure[..measure.len().min(3)]),
        higher_is_better: !SON25_LOWER_IS_BETTER.contains(&measure.as_str()),
        source: SOURCE_SON25.to_owned(),
        licence: LICENCE.to_owned(),
        synthetic: false,
    }
}

/// The `son25` indicators of `files` for the UK, its countries and ITL2 areas, with their
/// breakdowns (`seb=...`, `sex=...`; "Total" splits are the total), confidence intervals and
/// sample sizes. A measure published in several units is one indicator per unit. Areas are
/// resolved by name within the row's area type (some rows carry the UK's code beside a
/// country's name). Values published as `NA` are not available and are left out; a row that
/// cannot be read is a problem, never dropped.
pub fn son25_indicators_of(
    files: &[(&str, &str)],
    geography: &Geography,
    problems: &mut Vec<Problem>,
) -> Published {
    // A comparator is named by its code (`OECD`), an area by its name.
    let by_name = |levels: &[AreaLevel], name: &str| -> Option<String> {
        geography
            .areas
            .iter()
            .filter(|a| levels.contains(&a.level))
            .find(|a| a.name.eq_ignore_ascii_case(name) || a.code.eq_ignore_ascii_case(name))
            .map(|a| a.code.clone())
    };
    let format = Format::published(&COLUMNS);
    let mut published = Published::default();
    let mut seen: HashSet<(String, String, String, String)> = HashSet::new();
    for &(file, text) in files {
        let rows = pipeline::read(Input::text(file, text), &format, problems, check);
        let mut units: Vec<&str> = rows.iter().map(|r| r.unit.as_str()).collect();
        units.sort();
        units.dedup();
        let several_units = units.len() > 1;
        let mut defined: HashSet<String> = HashSet::new();
        for row in &rows {
            let Some(value) = row.value else {
                continue;
            };
            let code = if several_units {
                format!("son25_{}_{}", row.measure, slug(&row.unit))
            } else {
                format!("son25_{}", row.measure)
            };
            if row.itl2 && ITL2_2025_MEASURES.contains(&row.measure.as_str()) {
                published.left_out.push(format!(
                    "{file} line {}: {} {} for `{}`: published for the 2025 ITL2 areas, whose \
                     boundaries differ from the 2021 areas held; never attached by name across \
                     boundary vintages",
                    row.line, row.measure, row.period, row.area_name
                ));
                continue;
            }
            // A comparator's value is the comparator's, never the row's area's.
            let (levels, kind, name): (&[AreaLevel], &str, &str) = match &row.comparator {
                Some(comparator) => (&[AreaLevel::Comparator], "comparator", comparator),
                None if row.itl2 => (&[AreaLevel::Itl2], "ITL2 area", &row.area_name),
                None => (
                    &[AreaLevel::Uk, AreaLevel::Country],
                    "UK or country area",
                    &row.area_name,
                ),
            };
            let Some(area) = by_name(levels, name) else {
                published.left_out.push(format!(
                    "{file} line {}: {} {} for `{name}`: no {kind} of that name in the bundled \
                     geography",
                    row.line, row.measure, row.period
                ));
                continue;
            };
            let problem = |column: &str, value: &str, reason: &str| {
                Problem::at(file, row.line, column, value, reason)
            };
            let breakdown = match canonical_breakdown(&row.pairs.join(";")) {
                Ok(b) => b,
                Err(reason) => {
                    problems.push(problem("primary_split_type", &row.pairs.join(";"), &reason));
                    continue;
                }
            };
            let key = (
                code.clone(),
                area.clone(),
                row.period.clone(),
                breakdown.clone(),
            );
            if !seen.insert(key) {
                problems.push(problem(
                    "value",
                    &row.value_text,
                    "a second value for the same area, period and breakdown",
                ));
                continue;
            }
            if defined.insert(code.clone()) {
                published
                    .definitions
                    .push(definition(&code, row, several_units));
            }
            published.values.entry(code).or_default().push(NewValue {
                area_code: area,
                period: row.period.clone(),
                breakdown,
                value,
                lower: row.lower,
                upper: row.upper,
                sample_size: row.sample_size.map(|n| n.round() as i64),
                note: row.note.clone(),
                published_group: row.group.clone(),
            });
        }
    }
    published
}

/// The bundled `son25` indicators (see [`son25_indicators_of`]).
pub fn son25_indicators(geography: &Geography, problems: &mut Vec<Problem>) -> Published {
    son25_indicators_of(&SON25, geography, problems)
}
