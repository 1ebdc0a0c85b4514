//! Synthetic demo workforce: a deterministic, seeded CSV in the import format, every row marked
//! `synthetic=true` and every employer named "(synthetic)".
//!
//! The figures are invented but plausible against the published ones: about a third of those
//! who declare are from a lower socio-economic background, fewer in the most senior grades,
//! more in the North and the nations than in London; lower-SEB staff score a few points lower
//! on engagement; about 7.5% went to independent schools.

pub mod indicators;
pub mod programmes;

use std::io::Write;

use crate::domain::formats::workforce::{OPTIONAL_COLUMNS, REQUIRED_COLUMNS};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A CSV writer to `out` that has written its `header`.
pub(crate) fn csv_writer<W: Write>(
    out: W,
    header: impl IntoIterator<Item = impl AsRef<[u8]>>,
) -> Result<csv::Writer<W>, csv::Error> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(header)?;
    Ok(writer)
}

/// The source every piece of demo data is imported under.
pub const SOURCE: &str = "mobility-explorer demo-data (synthetic)";

/// Every English local authority of `geography` with its region, by code.
pub(crate) fn english_authorities(
    geography: &crate::domain::geography::Geography,
) -> Vec<(String, String)> {
    use crate::domain::geography::AreaLevel;
    let mut authorities: Vec<(String, String)> = geography
        .containment
        .iter()
        .filter(|c| c.level == AreaLevel::Region && c.area.starts_with('E') && c.area != c.within)
        // On the 2020 boundaries, where each place is one authority: the newer ones overlap
        // the districts they replaced.
        .filter(|c| !geography.newer_authorities.contains(&c.area))
        .filter(|c| {
            geography
                .areas
                .iter()
                .any(|a| a.code == c.area && a.level == AreaLevel::LocalAuthority)
        })
        .map(|c| (c.area.clone(), c.within.clone()))
        .collect();
    authorities.sort();
    authorities
}

/// The years covered.
pub const YEARS: std::ops::RangeInclusive<i32> = 2020..=2024;

/// Records written by default (over all employers and years).
pub const DEFAULT_RECORDS: u64 = 30_000;

/// Seed used by default.
pub const DEFAULT_SEED: u64 = 2026;

/// The demo employers: code, name, sector, share of all records, business units.
const EMPLOYERS: [(&str, &str, &str, f64, &[&str]); 6] = [
    (
        "DEMO-JUS",
        "Department of Justice Services (synthetic)",
        "Civil Service (synthetic)",
        0.34,
        &[
            "HQ Policy",
            "Courts Operations",
            "Prisons Operations",
            "Legal Aid Agency",
            "Public Guardian",
        ],
    ),
    (
        "DEMO-REV",
        "Revenue and Payments Office (synthetic)",
        "Civil Service (synthetic)",
        0.24,
        &[
            "Customer Services",
            "Compliance",
            "Digital",
            "Corporate Services",
        ],
    ),
    (
        "DEMO-ENV",
        "Environment and Rural Agency (synthetic)",
        "Civil Service (synthetic)",
        0.15,
        &[
            "Field Operations",
            "Science",
            "Policy",
            "Corporate Services",
        ],
    ),
    (
        "DEMO-STA",
        "Statistics Office (synthetic)",
        "Civil Service (synthetic)",
        0.12,
        &[
            "Economic Statistics",
            "Population Statistics",
            "Methods",
            "Digital",
        ],
    ),
    (
        "DEMO-BLD",
        "Northern Building Society (synthetic)",
        "Financial services (synthetic)",
        0.09,
        &["Branches", "Mortgages", "Technology"],
    ),
    (
        "DEMO-LAW",
        "Capital Law LLP (synthetic)",
        "Legal services (synthetic)",
        0.06,
        &["Litigation", "Corporate", "Business Services"],
    ),
];

/// Grades, most junior first: label and share of staff (a pyramid).
const GRADES: [(&str, f64); 8] = [
    ("AA", 0.10),
    ("AO", 0.24),
    ("EO", 0.22),
    ("HEO", 0.17),
    ("SEO", 0.12),
    ("G7", 0.09),
    ("G6", 0.04),
    ("SCS", 0.02),
];

/// Places of work (2020 local authority codes): code, weight, lower-SEB share of the local
/// labour pool (London lowest, the North and the nations highest).
const PLACES: [(&str, f64, f64); 16] = [
    ("E09000033", 0.22, 0.24), // Westminster
    ("E08000003", 0.08, 0.42), // Manchester
    ("E08000035", 0.07, 0.40), // Leeds
    ("E08000025", 0.07, 0.42), // Birmingham
    ("E06000023", 0.05, 0.33), // Bristol
    ("E08000021", 0.06, 0.46), // Newcastle upon Tyne
    ("E08000019", 0.05, 0.44), // Sheffield
    ("E06000018", 0.04, 0.43), // Nottingham
    ("E07000148", 0.03, 0.38), // Norwich
    ("E06000026", 0.03, 0.41), // Plymouth
    ("E06000005", 0.04, 0.45), // Darlington
    ("E08000012", 0.05, 0.45), // Liverpool
    ("W06000015", 0.08, 0.40), // Cardiff
    ("W06000011", 0.03, 0.47), // Swansea
    ("S12000049", 0.06, 0.44), // Glasgow City
    ("S12000036", 0.04, 0.32), // City of Edinburgh
];

/// One invented member of staff, fixed across the years they stay.
struct Person {
    reference: String,
    unit: usize,
    grade: usize,
    place: usize,
    joined: i32,
    joined_known: bool,
    answers: [&'static str; 5],
    lower: bool,
}

fn pick_weighted(rng: &mut ChaCha8Rng, weights: impl Iterator<Item = f64> + Clone) -> usize {
    let total: f64 = weights.clone().sum();
    let mut x = rng.random::<f64>() * total;
    let mut last = 0;
    for (i, w) in weights.enumerate() {
        if x < w {
            return i;
        }
        x -= w;
        last = i;
    }
    last
}

fn new_person(rng: &mut ChaCha8Rng, employer: usize, serial: u64, joined: i32) -> Person {
    let units = EMPLOYERS[employer].4;
    let grade = pick_weighted(rng, GRADES.iter().map(|g| g.1));
    let place = pick_weighted(rng, PLACES.iter().map(|p| p.1));
    // Fewer lower-SEB staff the more senior the grade (about 0.6 times the pool at the top).
    let seniority = grade as f64 / (GRADES.len() - 1) as f64;
    let p_lower = PLACES[place].2 * (1.12 - 0.52 * seniority);
    let lower = rng.random::<f64>() < p_lower;
    let professional = !lower && rng.random::<f64>() < 0.62 + 0.2 * seniority;
    let po_declared = rng.random::<f64>() < 0.72;
    let parental_occupation = if !po_declared {
        *["", "prefer_not_to_say", "other"]
            .choose(rng)
            .unwrap_or(&"")
    } else if lower {
        *[
            "technical_craft",
            "routine",
            "routine",
            "long_term_unemployed",
        ]
        .choose(rng)
        .unwrap_or(&"routine")
    } else if professional {
        *["professional", "professional", "senior_manager"]
            .choose(rng)
            .unwrap_or(&"professional")
    } else {
        *["intermediate", "small_business"]
            .choose(rng)
            .unwrap_or(&"intermediate")
    };
    let independent_p = if professional {
        0.10 + 0.12 * seniority
    } else {
        0.02
    };
    let school_type = match rng.random::<f64>() {
        x if x < 0.22 => *["", "dont_know", "prefer_not_to_say"]
            .choose(rng)
            .unwrap_or(&""),
        x if x < 0.22 + independent_p => "independent",
        x if x < 0.25 + independent_p => "overseas",
        x if x < 0.26 + independent_p => "independent_bursary",
        x if x < 0.45 + independent_p => "state_selective",
        _ => "state_non_selective",
    };
    let yes_no = |rng: &mut ChaCha8Rng, p_yes: f64, unknown: &[&'static str]| -> &'static str {
        let x = rng.random::<f64>();
        if x < 0.2 {
            unknown.choose(rng).copied().unwrap_or("")
        } else if x < 0.2 + 0.8 * p_yes {
            "yes"
        } else {
            "no"
        }
    };
    let free_school_meals = yes_no(
        rng,
        if lower { 0.34 } else { 0.07 },
        &["", "not_applicable", "dont_know", "prefer_not_to_say"],
    );
    let parental_degree = yes_no(
        rng,
        if lower {
            0.08
        } else if professional {
            0.55
        } else {
            0.2
        },
        &["", "dont_know", "prefer_not_to_say"],
    );
    let self_assessed = yes_no(
        rng,
        if lower { 0.58 } else { 0.09 },
        &["", "dont_know", "prefer_not_to_say"],
    );
    Person {
        reference: format!("{}-{serial:07}", EMPLOYERS[employer].0),
        unit: rng.random_range(0..units.len()),
        grade,
        place,
        joined,
        joined_known: rng.random::<f64>() < 0.93,
        answers: [
            parental_occupation,
            school_type,
            free_school_meals,
            parental_degree,
            self_assessed,
        ],
        lower,
    }
}

/// Records per (employer, year), summing to `records` exactly; headcounts grow 2% a year.
fn targets(records: u64) -> Vec<Vec<u64>> {
    let years: Vec<i32> = YEARS.collect();
    let growth: Vec<f64> = (0..years.len()).map(|i| 1.02f64.powi(i as i32)).collect();
    let weights: Vec<f64> = EMPLOYERS
        .iter()
        .flat_map(|e| growth.iter().map(move |g| e.3 * g))
        .collect();
    let total: f64 = weights.iter().sum();
    let mut flat: Vec<u64> = weights
        .iter()
        .map(|w| (records as f64 * w / total).floor() as u64)
        .collect();
    let short = records - flat.iter().sum::<u64>();
    for slot in flat.iter_mut().take(short as usize) {
        *slot += 1;
    }
    flat.chunks(years.len()).map(<[u64]>::to_vec).collect()
}

/// The columns of the demo workforce file: every column of the format but `record_key` (the
/// import derives each key from the person's pseudonym).
fn workforce_columns() -> impl Iterator<Item = &'static str> {
    REQUIRED_COLUMNS
        .into_iter()
        .chain(OPTIONAL_COLUMNS)
        .filter(|c| *c != "record_key")
}

/// Writes the synthetic workforce CSV: `records` rows in all, the same for the same seed.
pub fn write_csv(out: impl Write, records: u64, seed: u64) -> Result<u64, csv::Error> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut writer = csv_writer(out, workforce_columns())?;
    let mut written = 0;
    for (employer, per_year) in targets(records).into_iter().enumerate() {
        let (code, name, sector, _, units) = EMPLOYERS[employer];
        let mut serial = 0u64;
        let mut staff: Vec<Person> = Vec::new();
        for (year, target) in YEARS.zip(per_year) {
            // About one in ten leaves each year; joiners fill the gap.
            if year > *YEARS.start() {
                staff.retain(|_| rng.random::<f64>() >= 0.1);
            }
            while staff.len() as u64 > target {
                let i = rng.random_range(0..staff.len());
                staff.swap_remove(i);
            }
            while (staff.len() as u64) < target {
                serial += 1;
                let joined = if year == *YEARS.start() && rng.random::<f64>() < 0.88 {
                    rng.random_range(1990..year)
                } else {
                    year
                };
                staff.push(new_person(&mut rng, employer, serial, joined));
            }
            for p in &staff {
                let engagement = if rng.random::<f64>() < 0.7 {
                    let noise: f64 = (0..4).map(|_| rng.random::<f64>()).sum::<f64>() - 2.0;
                    let score = 64.0 - if p.lower { 5.5 } else { 0.0 } + noise * 20.0;
                    format!("{:.1}", score.clamp(0.0, 100.0))
                } else {
                    String::new()
                };
                let (grade, _) = GRADES[p.grade];
                let level = (p.grade + 1).to_string();
                let year_text = year.to_string();
                let joined = if p.joined_known {
                    p.joined.to_string()
                } else {
                    String::new()
                };
                writer.write_record(workforce_columns().map(|column| match column {
                    "person_ref" => p.reference.as_str(),
                    "employer" => code,
                    "year" => &year_text,
                    "business_unit" => units[p.unit],
                    "grade" => grade,
                    "grade_level" => &level,
                    "work_area" => PLACES[p.place].0,
                    "joined_year" => &joined,
                    "parental_occupation" => p.answers[0],
                    "school_type" => p.answers[1],
                    "free_school_meals" => p.answers[2],
                    "parental_degree" => p.answers[3],
                    "self_assessed" => p.answers[4],
                    "engagement" => &engagement,
                    "employer_name" => name,
                    "employer_sector" => sector,
                    "synthetic" => "true",
                    _ => "",
                }))?;
                written += 1;
            }
        }
    }
    writer.flush()?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generate(records: u64, seed: u64) -> String {
        let mut out = Vec::new();
        let n = write_csv(&mut out, records, seed).expect("written");
        assert_eq!(n, records);
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn the_same_seed_gives_the_same_file() {
        assert_eq!(generate(2_000, 7), generate(2_000, 7));
        assert_ne!(generate(2_000, 7), generate(2_000, 8));
    }

    #[test]
    fn every_column_of_the_demo_file_has_a_value_in_every_row() {
        let mut csv = Vec::new();
        write_csv(&mut csv, 300, 1).expect("written");
        let mut reader = csv::Reader::from_reader(csv.as_slice());
        let header: Vec<String> = reader
            .headers()
            .expect("a header")
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(header, workforce_columns().collect::<Vec<_>>());
        // Columns every row fills (the answers and the optional values may be empty).
        for record in reader.records() {
            let record = record.expect("a record");
            for (column, value) in header.iter().zip(record.iter()) {
                let always = !matches!(
                    column.as_str(),
                    "joined_year"
                        | "engagement"
                        | "school_type"
                        | "free_school_meals"
                        | "parental_degree"
                        | "self_assessed"
                        | "parental_occupation"
                );
                assert!(!always || !value.is_empty(), "{column} empty: {record:?}");
            }
        }
    }

    #[test]
    fn every_row_is_labelled_synthetic_and_the_count_is_exact() {
        let text = generate(3_001, 1);
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
        assert_eq!(rows.len(), 3_001);
        let synthetic = reader
            .headers()
            .expect("header")
            .iter()
            .position(|h| h == "synthetic")
            .expect("synthetic column");
        assert!(rows.iter().all(|r| &r[synthetic] == "true"));
    }

    #[test]
    fn about_a_third_of_declarers_are_lower_seb_and_fewer_at_the_top() {
        let text = generate(30_000, DEFAULT_SEED);
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().expect("header").clone();
        let column = |name: &str| header.iter().position(|h| h == name).expect(name);
        let (occupation, level) = (column("parental_occupation"), column("grade_level"));
        let (mut declared, mut lower, mut top_declared, mut top_lower) = (0, 0, 0, 0);
        for row in reader.records() {
            let row = row.expect("row");
            let group = match &row[occupation] {
                "technical_craft" | "routine" | "long_term_unemployed" => Some(true),
                "professional" | "senior_manager" | "intermediate" | "small_business" => {
                    Some(false)
                }
                _ => None,
            };
            if let Some(is_lower) = group {
                declared += 1;
                lower += usize::from(is_lower);
                if &row[level] == "8" {
                    top_declared += 1;
                    top_lower += usize::from(is_lower);
                }
            }
        }
        let share = lower as f64 / declared as f64;
        let top = top_lower as f64 / top_declared as f64;
        assert!((0.28..0.40).contains(&share), "lower share {share}");
        assert!(top < share * 0.8, "senior share {top} vs {share}");
    }
}
