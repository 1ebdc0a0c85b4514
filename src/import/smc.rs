//! The Social Mobility Commission's published indices, bundled as published (see
//! `data/reference/SOURCES.md`), turned into indicators and values for `load-reference`.

use std::collections::BTreeMap;

use super::Problem;
use crate::store::indicators::{Definition, NewValue};

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
