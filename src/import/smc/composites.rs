//! The Commission's composite indices: those of 2023 for ITL2 areas, those of 2025 for its
//! local areas.

use std::collections::{BTreeMap, HashMap};

use super::local_areas::local_areas;
use super::published::{LICENCE, Published};
use crate::domain::geography::{Geography, SMC_2025_SCHEME};
use crate::domain::index::Band;
use crate::import::pipeline::{self, Format, Input, Problem, bundled};
use crate::store::indicators::{Definition, NewValue};

/// The four 2025 composites: (file, text), our code.
const COMPOSITES_2025: [((&str, &str), &str); 4] = [
    (
        bundled!("smc/2025-01-01-ci1-full-dataset.csv"),
        "smc25_conditions_of_childhood",
    ),
    (
        bundled!("smc/2025-01-01-ci2-full-dataset.csv"),
        "smc25_labour_market_opportunities",
    ),
    (
        bundled!("smc/2025-01-01-ci3-full-dataset.csv"),
        "smc25_innovation_and_growth",
    ),
    (
        bundled!("smc/2025-01-01-ci4-full-dataset.csv"),
        "smc25_promising_prospects",
    ),
];

const SOURCE_2025: &str = "Social Mobility Commission, State of the Nation 2025: composite indices \
    for 205 local areas, z-scores and z-score categories (data explorer repository \
    ukgov-equality-hub/smc-son, 2025-01-01 data sets)";

/// A value as published: no interval, sample size or note.
fn published_value(
    area_code: String,
    period: String,
    value: f64,
    group: Option<String>,
) -> NewValue {
    NewValue {
        area_code,
        period,
        breakdown: String::new(),
        value,
        lower: None,
        upper: None,
        sample_size: None,
        note: None,
        published_group: group,
    }
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
    let format = Format::published(&[
        "measure_title",
        "area_name",
        "time_period",
        "value",
        "secondary_split_value",
    ]);
    let mut published = Published::default();
    for ((file, text), code) in COMPOSITES_2025 {
        let mut title = String::new();
        let values = pipeline::read(Input::text(file, text), &format, problems, |r, problems| {
            title = r.get("measure_title").to_owned();
            let name = r.get("area_name");
            let area = slug_of
                .get(&name.to_lowercase())
                .and_then(|slug| area_of.get(slug.as_str()));
            if area.is_none() {
                problems.push(r.problem("area_name", name, "not a local area of the code list"));
            }
            let value = r.required_number("value", problems);
            let group = r.get("secondary_split_value");
            if Band::from_published_name(group).is_none() {
                problems.push(r.problem("secondary_split_value", group, "not a z-score category"));
                return None;
            }
            Some(published_value(
                (*area?).to_owned(),
                r.get("time_period").to_owned(),
                value?,
                Some(group.to_owned()),
            ))
        });
        published
            .values
            .entry(code.to_owned())
            .or_default()
            .extend(values);
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

const COMPOSITES_2023: (&str, &str) = bundled!("smc/composite_indices_2023_itl2.csv");

/// The period the 2023 composites are served under: the report's year (the file gives none).
pub const PERIOD_2023: &str = "2023";

const SOURCE_2023: &str = "Social Mobility Commission, State of the Nation 2023: composite indices \
    for ITL2 areas (data explorer repository ukgov-equality-hub/smc-son)";

/// The five 2023 composites: code in the file, our code, whether higher is better.
const COMPOSITES: [(&str, &str, bool); 5] = [
    ("CI1", "smc23_promising_prospects", true),
    ("CI2", "smc23_precarious_situations", false),
    ("CI3", "smc23_socio_cultural_advantage", true),
    ("CI4", "smc23_childhood_poverty", false),
    ("CI5", "smc23_research_development", true),
];

/// The 2023 composites for the 41 ITL2 areas: values scaled 0-1 and the published quintile of
/// each value (1 = lowest values, 5 = highest, whichever direction is better).
pub fn composites_2023(problems: &mut Vec<Problem>) -> Published {
    let (file, text) = COMPOSITES_2023;
    let mut published = Published::default();
    let mut names: BTreeMap<&str, String> = BTreeMap::new();
    let format = Format::published(&["Ind_code", "Ind_name", "Area_code", "Value", "Quintile"]);
    let rows = pipeline::read(Input::text(file, text), &format, problems, |r, problems| {
        let given = r.get("Ind_code");
        let composite = COMPOSITES.iter().find(|(c, ..)| *c == given);
        if composite.is_none() {
            problems.push(r.problem("Ind_code", given, "not one of the five 2023 composites"));
        }
        let value = r.required_number("Value", problems);
        let (_, code, _) = composite?;
        names.insert(code, r.get("Ind_name").to_owned());
        let quintile = Some(r.get("Quintile").to_owned()).filter(|q| !q.is_empty() && q != "NA");
        Some((
            *code,
            published_value(
                r.get("Area_code").to_owned(),
                PERIOD_2023.to_owned(),
                value?,
                quintile,
            ),
        ))
    });
    for (code, value) in rows {
        published
            .values
            .entry(code.to_owned())
            .or_default()
            .push(value);
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
