//! The Social Mobility Commission's published indices, bundled as published (see
//! `data/reference/SOURCES.md`), turned into indicators and values for `load-reference`.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::Problem;
use crate::domain::geography::{Geography, LocalAreaSpec, NewerAuthority, SMC_2025_SCHEME};
use crate::domain::index::Band;
use crate::store::indicators::{Definition, NewValue};

const LOCAL_AREAS: (&str, &str) = (
    "smc/areas_2025_codes.json",
    include_str!("../../data/reference/smc/areas_2025_codes.json"),
);
const NEWER_AUTHORITIES: (&str, &str) = (
    "smc/newer_authorities.csv",
    include_str!("../../data/reference/smc/newer_authorities.csv"),
);

/// The four 2025 composites: file, our code, name.
const COMPOSITES_2025: [(&str, &str, &str); 4] = [
    (
        "smc/2025-01-01-ci1-full-dataset.csv",
        include_str!("../../data/reference/smc/2025-01-01-ci1-full-dataset.csv"),
        "smc25_conditions_of_childhood",
    ),
    (
        "smc/2025-01-01-ci2-full-dataset.csv",
        include_str!("../../data/reference/smc/2025-01-01-ci2-full-dataset.csv"),
        "smc25_labour_market_opportunities",
    ),
    (
        "smc/2025-01-01-ci3-full-dataset.csv",
        include_str!("../../data/reference/smc/2025-01-01-ci3-full-dataset.csv"),
        "smc25_innovation_and_growth",
    ),
    (
        "smc/2025-01-01-ci4-full-dataset.csv",
        include_str!("../../data/reference/smc/2025-01-01-ci4-full-dataset.csv"),
        "smc25_promising_prospects",
    ),
];

const SOURCE_2025: &str = "Social Mobility Commission, State of the Nation 2025: composite indices \
    for 205 local areas, z-scores and z-score categories (data explorer repository \
    ukgov-equality-hub/smc-son, 2025-01-01 data sets)";

#[derive(Deserialize)]
struct LocalAreaFile {
    #[serde(rename = "205_regions")]
    areas: Vec<LocalAreaRecord>,
}

#[derive(Deserialize)]
struct LocalAreaRecord {
    name: String,
    url: String,
    codes: Vec<String>,
}

#[derive(Deserialize)]
struct NewerRecord {
    code: String,
    name: String,
    region: String,
}

/// The Commission's 2025 local areas and the newer authorities their code list uses.
pub fn local_areas(problems: &mut Vec<Problem>) -> (Vec<LocalAreaSpec>, Vec<NewerAuthority>) {
    let (file, text) = LOCAL_AREAS;
    let specs = match serde_json::from_str::<LocalAreaFile>(text) {
        Ok(f) => f
            .areas
            .into_iter()
            .map(|a| LocalAreaSpec {
                name: a.name,
                slug: a.url,
                codes: a.codes,
            })
            .collect(),
        Err(e) => {
            problems.push(Problem::whole(file, e.to_string()));
            Vec::new()
        }
    };
    let (file, text) = NEWER_AUTHORITIES;
    let mut newer = Vec::new();
    for record in csv::Reader::from_reader(text.as_bytes()).deserialize::<NewerRecord>() {
        match record {
            Ok(r) => newer.push(NewerAuthority {
                code: r.code,
                name: r.name,
                region: r.region,
            }),
            Err(e) => problems.push(Problem::whole(file, e.to_string())),
        }
    }
    (specs, newer)
}

/// The 2025 composites: each local area's z-score per period, with the published category.
/// Areas are named in the files; names resolve through the code list to the areas the
/// geography holds (every one must).
pub fn composites_2025(geography: &Geography, problems: &mut Vec<Problem>) -> Published {
    let (specs, _) = local_areas(problems);
    let slug_of: HashMap<String, String> = specs
        .iter()
        .map(|s| (s.name.to_lowercase(), s.slug.to_uppercase()))
        .collect();
    let area_of: HashMap<&str, &str> = geography
        .alt_codes
        .iter()
        .filter(|a| a.scheme == SMC_2025_SCHEME)
        .map(|a| (a.code.as_str(), a.area.as_str()))
        .collect();
    let mut published = Published::default();
    for (file, text, code) in COMPOSITES_2025 {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers = match reader.headers() {
            Ok(h) => h.clone(),
            Err(e) => {
                problems.push(super::csv_problem(file, &e));
                continue;
            }
        };
        let column = |name: &str| headers.iter().position(|h| h == name);
        let (Some(title_at), Some(name_at), Some(period_at), Some(value_at), Some(group_at)) = (
            column("measure_title"),
            column("area_name"),
            column("time_period"),
            column("value"),
            column("secondary_split_value"),
        ) else {
            problems.push(Problem::whole(
                file,
                "expected columns measure_title, area_name, time_period, value, secondary_split_value"
                    .to_owned(),
            ));
            continue;
        };
        let mut title = String::new();
        for record in reader.records() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    problems.push(super::csv_problem(file, &e));
                    continue;
                }
            };
            let line = record.position().map(|p| p.line());
            let get = |i: usize| record.get(i).unwrap_or("").trim();
            let problem = |column: &str, value: &str, reason: &str| Problem {
                file: file.to_owned(),
                line,
                column: Some(column.to_owned()),
                value: Some(value.to_owned()),
                reason: reason.to_owned(),
            };
            title = get(title_at).to_owned();
            let name = get(name_at);
            let Some(area) = slug_of
                .get(&name.to_lowercase())
                .and_then(|slug| area_of.get(slug.as_str()))
            else {
                problems.push(problem(
                    "area_name",
                    name,
                    "not a local area of the code list",
                ));
                continue;
            };
            let Ok(value) = get(value_at).parse::<f64>() else {
                problems.push(problem("value", get(value_at), "not a number"));
                continue;
            };
            let group = get(group_at);
            if Band::from_published_name(group).is_none() {
                problems.push(problem(
                    "secondary_split_value",
                    group,
                    "not a z-score category",
                ));
                continue;
            }
            published
                .values
                .entry(code.to_owned())
                .or_default()
                .push(NewValue {
                    area_code: (*area).to_owned(),
                    period: get(period_at).to_owned(),
                    breakdown: String::new(),
                    value,
                    lower: None,
                    upper: None,
                    sample_size: None,
                    note: None,
                    published_group: Some(group.to_owned()),
                });
        }
        published.definitions.push(Definition {
            code: code.to_owned(),
            name: format!("{title} (2025 composite index)"),
            description: format!(
                "The Commission's 2025 composite index \"{title}\" for its 205 local areas, as a \
                 z-score (higher is more favourable). `publishedGroup` is its published z-score \
                 category (most unfavourable ... most favourable), which Z_BANDS reproduces."
            ),
            unit: "z-score".to_owned(),
            domain: "smc_2025_composites".to_owned(),
            higher_is_better: true,
            source: SOURCE_2025.to_owned(),
            licence: LICENCE.to_owned(),
            synthetic: false,
        });
    }
    published
}

const COMPOSITES_2023: (&str, &str) = (
    "smc/composite_indices_2023_itl2.csv",
    include_str!("../../data/reference/smc/composite_indices_2023_itl2.csv"),
);

/// The period the 2023 composites are served under: the report's year (the file gives none).
pub const PERIOD_2023: &str = "2023";

const SOURCE_2023: &str = "Social Mobility Commission, State of the Nation 2023: composite indices \
    for ITL2 areas (data explorer repository ukgov-equality-hub/smc-son)";
const LICENCE: &str = "Open Government Licence v3.0, © Crown copyright";

/// The five 2023 composites: code in the file, our code, whether higher is better.
const COMPOSITES: [(&str, &str, bool); 5] = [
    ("CI1", "smc23_promising_prospects", true),
    ("CI2", "smc23_precarious_situations", false),
    ("CI3", "smc23_socio_cultural_advantage", true),
    ("CI4", "smc23_childhood_poverty", false),
    ("CI5", "smc23_research_development", true),
];

/// Indicators and values read from the bundled SMC files, by indicator code.
#[derive(Debug, Default)]
pub struct Published {
    /// Definitions.
    pub definitions: Vec<Definition>,
    /// Values per indicator code.
    pub values: BTreeMap<String, Vec<NewValue>>,
    /// Published values left out, each with why (reported by `load-reference`).
    pub left_out: Vec<String>,
}

/// The 2023 composites for the 41 ITL2 areas: values scaled 0-1 and the published quintile of
/// each value (1 = lowest values, 5 = highest, whichever direction is better).
pub fn composites_2023(problems: &mut Vec<Problem>) -> Published {
    let (file, text) = COMPOSITES_2023;
    let mut published = Published::default();
    let mut names: BTreeMap<&str, String> = BTreeMap::new();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            problems.push(super::csv_problem(file, &e));
            return published;
        }
    };
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (Some(code_at), Some(name_at), Some(area_at), Some(value_at), Some(quintile_at)) = (
        column("Ind_code"),
        column("Ind_name"),
        column("Area_code"),
        column("Value"),
        column("Quintile"),
    ) else {
        problems.push(Problem {
            file: file.to_owned(),
            line: Some(1),
            column: None,
            value: None,
            reason: "expected columns Ind_code, Ind_name, Area_code, Value, Quintile".to_owned(),
        });
        return published;
    };
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(super::csv_problem(file, &e));
                continue;
            }
        };
        let line = record.position().map(|p| p.line());
        let get = |i: usize| record.get(i).unwrap_or("").trim();
        let Some((_, code, _)) = COMPOSITES.iter().find(|(c, ..)| *c == get(code_at)) else {
            problems.push(Problem {
                file: file.to_owned(),
                line,
                column: Some("Ind_code".to_owned()),
                value: Some(get(code_at).to_owned()),
                reason: "not one of the five 2023 composites".to_owned(),
            });
            continue;
        };
        let Ok(value) = get(value_at).parse::<f64>() else {
            problems.push(Problem {
                file: file.to_owned(),
                line,
                column: Some("Value".to_owned()),
                value: Some(get(value_at).to_owned()),
                reason: "not a number".to_owned(),
            });
            continue;
        };
        names.insert(code, get(name_at).to_owned());
        published
            .values
            .entry((*code).to_owned())
            .or_default()
            .push(NewValue {
                area_code: get(area_at).to_owned(),
                period: PERIOD_2023.to_owned(),
                breakdown: String::new(),
                value,
                lower: None,
                upper: None,
                sample_size: None,
                note: None,
                published_group: Some(get(quintile_at).to_owned())
                    .filter(|q| !q.is_empty() && q != "NA"),
            });
    }
    for (_, code, higher_is_better) in COMPOSITES {
        let Some(name) = names.get(code) else {
            continue;
        };
        published.definitions.push(Definition {
            code: code.to_owned(),
            name: format!("{name} (2023 composite index)"),
            description: format!(
                "The Commission's 2023 composite index \"{name}\" for ITL2 areas, scaled 0 to 1. \
                 `publishedGroup` is the published quintile of the value (1 = lowest values, \
                 5 = highest), whichever direction is better."
            ),
            unit: "index (0-1)".to_owned(),
            domain: "smc_2023_composites".to_owned(),
            higher_is_better,
            source: SOURCE_2023.to_owned(),
            licence: LICENCE.to_owned(),
            synthetic: false,
        });
    }
    published
}

/// A bundled `son25` indicator file: its name and content.
macro_rules! son25_file {
    ($code:literal) => {
        (
            concat!("smc/son25/2025-01-01-", $code, "-full-dataset.csv"),
            include_str!(concat!(
                "../../data/reference/smc/son25/2025-01-01-",
                $code,
                "-full-dataset.csv"
            )),
        )
    };
}

/// The indicators behind the 2025 index: intermediate outcomes (`in*`) and drivers (`dr*`).
const SON25: [(&str, &str); 33] = [
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

/// Split types that place a value in time or space rather than break it down.
const TIME_SPLITS: [&str; 2] = ["time_period", "year"];
const AREA_SPLITS: [&str; 2] = ["area_name", "itl2_current_geo"];

/// One name per unit: the files write the same unit several ways.
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

/// The `son25` indicators for the UK, its countries and ITL2 areas, with their breakdowns
/// (`seb=...`, `sex=...`; "Total" splits are the total), confidence intervals and sample
/// sizes. A measure published in several units is one indicator per unit. Areas are resolved
/// by name within the row's area type (some rows carry the UK's code beside a country's name).
/// Values published as `NA` are not available and are left out.
pub fn son25_indicators(geography: &Geography, problems: &mut Vec<Problem>) -> Published {
    use crate::domain::geography::AreaLevel;
    let by_name = |levels: &[AreaLevel], name: &str| -> Option<String> {
        geography
            .areas
            .iter()
            .find(|a| levels.contains(&a.level) && a.name.eq_ignore_ascii_case(name))
            .map(|a| a.code.clone())
    };
    let mut published = Published::default();
    let mut seen: HashMap<(String, String, String, String), ()> = HashMap::new();
    for (file, text) in SON25 {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers = match reader.headers() {
            Ok(h) => h.clone(),
            Err(e) => {
                problems.push(super::csv_problem(file, &e));
                continue;
            }
        };
        let records: Vec<csv::StringRecord> = reader.records().filter_map(|r| r.ok()).collect();
        let column = |name: &str| headers.iter().position(|h| h == name);
        let get = |r: &csv::StringRecord, name: &str| -> String {
            column(name)
                .and_then(|i| r.get(i))
                .unwrap_or("")
                .trim()
                .to_owned()
        };
        let mut units: Vec<String> = records
            .iter()
            .filter(|r| !get(r, "measure_code").is_empty())
            .map(|r| unit_name(&get(r, "unit")))
            .collect();
        units.sort();
        units.dedup();
        let mut defined: Vec<String> = Vec::new();
        for (i, r) in records.iter().enumerate() {
            let measure = get(r, "measure_code");
            if measure.is_empty() {
                continue;
            }
            let line = Some(i as u64 + 2);
            let problem = |column: &str, value: &str, reason: &str| Problem {
                file: file.to_owned(),
                line,
                column: Some(column.to_owned()),
                value: Some(value.to_owned()),
                reason: reason.to_owned(),
            };
            let number = |text: String| -> Option<f64> {
                (!text.is_empty() && text != "NA")
                    .then(|| text.parse().ok())
                    .flatten()
            };
            let Some(value) = number(get(r, "value")) else {
                continue;
            };
            let unit = unit_name(&get(r, "unit"));
            let code = if units.len() > 1 {
                format!("son25_{measure}_{}", slug(&unit))
            } else {
                format!("son25_{measure}")
            };
            let mut period = get(r, "time_period");
            let mut area_name = get(r, "area_name");
            let mut pairs: Vec<String> = Vec::new();
            for k in ["primary", "secondary", "tertiary", "fourth"] {
                let kind = get(r, &format!("{k}_split_type"));
                let value = get(r, &format!("{k}_split_value"));
                if kind.is_empty() || kind == "NA" {
                    continue;
                }
                if TIME_SPLITS.contains(&kind.as_str()) {
                    period = value;
                } else if AREA_SPLITS.contains(&kind.as_str()) {
                    area_name = value;
                } else if !value.eq_ignore_ascii_case("total") {
                    pairs.push(format!("{kind}={value}"));
                }
            }
            let levels: &[AreaLevel] = if get(r, "area_type").eq_ignore_ascii_case("ITL2") {
                &[AreaLevel::Itl2]
            } else {
                &[AreaLevel::Uk, AreaLevel::Country]
            };
            let Some(area) = by_name(levels, &area_name) else {
                // dr55 already uses the 2025 ITL2 areas, some of which the 2021 areas we hold
                // do not have: reported, not loaded.
                published.left_out.push(format!(
                    "{file} line {}: {measure} {period} for `{area_name}`: no {} area of that name in the bundled geography",
                    i + 2,
                    if levels == [AreaLevel::Itl2] { "ITL2" } else { "UK or country" }
                ));
                continue;
            };
            let breakdown = match super::indicators::canonical_breakdown(&pairs.join(";")) {
                Ok(b) => b,
                Err(reason) => {
                    problems.push(problem("primary_split_type", &pairs.join(";"), &reason));
                    continue;
                }
            };
            let key = (
                code.clone(),
                area.clone(),
                period.clone(),
                breakdown.clone(),
            );
            if seen.insert(key, ()).is_some() {
                problems.push(problem(
                    "value",
                    &get(r, "value"),
                    "a second value for the same area, period and breakdown",
                ));
                continue;
            }
            if !defined.contains(&code) {
                defined.push(code.clone());
                let title = get(r, "measure_title");
                let group = &measure[..measure.len().min(3)];
                published.definitions.push(Definition {
                    code: code.clone(),
                    name: if units.len() > 1 {
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
                    domain: format!("son25_{group}"),
                    higher_is_better: !SON25_LOWER_IS_BETTER.contains(&measure.as_str()),
                    source: SOURCE_SON25.to_owned(),
                    licence: LICENCE.to_owned(),
                    synthetic: false,
                });
            }
            let note = get(r, "value_note");
            published.values.entry(code).or_default().push(NewValue {
                area_code: area,
                period,
                breakdown,
                value,
                lower: number(get(r, "lci")),
                upper: number(get(r, "uci")),
                sample_size: number(get(r, "sample_size")).map(|n| n.round() as i64),
                note: (!note.is_empty() && note != "NA").then_some(note),
                published_group: None,
            });
        }
    }
    published
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_son25_indicators_resolve_every_area_and_keep_breakdowns_and_intervals() {
        let geography = crate::import::reference::geography().expect("bundled geography");
        let mut problems = Vec::new();
        let published = son25_indicators(&geography, &mut problems);
        assert!(problems.is_empty(), "{problems:#?}");
        let total: usize = published.values.values().map(Vec::len).sum();
        // Every published value but the 25 marked NA, and 12 of GVA per head (dr55) given for
        // 2025 ITL2 areas the 2021 geography lacks, which are reported.
        assert_eq!(total, 4328);
        assert_eq!(published.left_out.len(), 12, "{:#?}", published.left_out);
        assert!(published.left_out.iter().all(|l| l.contains("dr55")));
        // Level of development at 5 in England in 2019: 72% overall, 57% with free school meals.
        let in11 = &published.values["son25_in11"];
        let england = |breakdown: &str| {
            in11.iter()
                .find(|v| {
                    v.area_code == "E92000001" && v.period == "2019" && v.breakdown == breakdown
                })
                .map(|v| (v.value, v.sample_size))
        };
        assert_eq!(england(""), Some((72.0, Some(638946))));
        assert_eq!(
            england("seb=Eligible for free school meals").map(|v| v.0),
            Some(57.0)
        );
        assert!(
            published
                .values
                .values()
                .flatten()
                .any(|v| v.lower.is_some() && v.upper.is_some())
        );
        assert!(
            published
                .values
                .values()
                .flatten()
                .any(|v| v.area_code.starts_with("TL"))
        );
    }

    #[test]
    fn the_2025_composites_cover_205_areas_in_every_period() {
        let geography = crate::import::reference::geography().expect("bundled geography");
        let mut problems = Vec::new();
        let published = composites_2025(&geography, &mut problems);
        assert!(problems.is_empty(), "{problems:#?}");
        let total: usize = published.values.values().map(Vec::len).sum();
        assert_eq!(
            total, 2870,
            "205 areas: 4 periods of three composites, 2 of one"
        );
        for values in published.values.values() {
            let mut areas: Vec<&str> = values.iter().map(|v| v.area_code.as_str()).collect();
            areas.sort();
            areas.dedup();
            assert_eq!(areas.len(), 205);
        }
    }

    #[test]
    fn the_2023_composites_cover_41_areas_each_with_a_published_quintile() {
        let mut problems = Vec::new();
        let published = composites_2023(&mut problems);
        assert!(problems.is_empty(), "{problems:#?}");
        assert_eq!(published.definitions.len(), 5);
        for values in published.values.values() {
            assert_eq!(values.len(), 41);
            assert!(values.iter().all(|v| (0.0..=1.0).contains(&v.value)));
            assert!(values.iter().all(|v| v.published_group.is_some()));
        }
        // Cornwall's socio-cultural advantage is in the lowest quintile.
        let cornwall = published.values["smc23_socio_cultural_advantage"]
            .iter()
            .find(|v| v.area_code == "TLK3")
            .expect("Cornwall");
        assert_eq!(cornwall.published_group.as_deref(), Some("1"));
    }
}
