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

fn file_problem(file: &str, reason: String) -> Problem {
    Problem {
        file: file.to_owned(),
        line: None,
        column: None,
        value: None,
        reason,
    }
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
            problems.push(file_problem(file, e.to_string()));
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
            Err(e) => problems.push(file_problem(file, e.to_string())),
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
            problems.push(file_problem(
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

#[cfg(test)]
mod tests {
    use super::*;

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
