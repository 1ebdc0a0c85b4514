//! Synthetic local-authority indicators in the style of the 2016-2017 Social Mobility Index,
//! so the local-authority map has something to show: the Commission publishes no
//! local-authority indicator files. Every indicator is marked synthetic and named
//! "(synthetic)"; values are invented from a regional pattern plus seeded noise.

use std::io::Write;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::formats::indicators::{DEFINITION_COLUMNS, DEFINITION_OPTIONAL, VALUE_COLUMNS};
use crate::domain::geography::Geography;

/// The period the demo indicators describe.
pub const PERIOD: &str = "2017";

/// Code, name, unit, domain, higher is better, base value, regional effect, noise.
type Spec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    f64,
    f64,
    f64,
);

const INDICATORS: [Spec; 8] = [
    (
        "demo_ey_good_development",
        "Disadvantaged children reaching a good level of development at 5 (synthetic)",
        "percent",
        "early_years",
        true,
        55.0,
        6.0,
        5.0,
    ),
    (
        "demo_ey_good_nurseries",
        "Nursery providers rated good or outstanding (synthetic)",
        "percent",
        "early_years",
        true,
        88.0,
        3.0,
        4.0,
    ),
    (
        "demo_school_ks2",
        "Disadvantaged pupils reaching the expected standard at 11 (synthetic)",
        "percent",
        "school",
        true,
        48.0,
        7.0,
        6.0,
    ),
    (
        "demo_school_attainment8",
        "Average Attainment 8 score of disadvantaged pupils (synthetic)",
        "score",
        "school",
        true,
        37.0,
        4.0,
        3.0,
    ),
    (
        "demo_youth_neet",
        "Disadvantaged young people not in education, employment or training (synthetic)",
        "percent",
        "youth",
        false,
        10.0,
        -2.0,
        2.5,
    ),
    (
        "demo_youth_higher_education",
        "Disadvantaged young people entering higher education at 19 (synthetic)",
        "percent",
        "youth",
        true,
        25.0,
        8.0,
        5.0,
    ),
    (
        "demo_work_weekly_pay",
        "Median weekly pay of residents (synthetic)",
        "pounds",
        "working_lives",
        true,
        520.0,
        60.0,
        40.0,
    ),
    (
        "demo_work_house_price_ratio",
        "Median house price to median earnings (synthetic)",
        "ratio",
        "working_lives",
        false,
        8.0,
        1.5,
        1.5,
    ),
];

/// How favourable each English region is in the invented pattern (the Commission found cold
/// spots mostly outside London, many in the Midlands).
fn regional_effect(region: &str) -> f64 {
    match region {
        "E12000007" => 1.0,  // London
        "E12000008" => 0.3,  // South East
        "E12000006" => 0.1,  // East of England
        "E12000009" => -0.2, // South West
        "E12000005" => -0.3, // West Midlands
        "E12000004" => -0.5, // East Midlands
        "E12000003" => -0.3, // Yorkshire and The Humber
        "E12000002" => -0.2, // North West
        "E12000001" => -0.1, // North East
        _ => 0.0,
    }
}

/// Writes the definitions and the values (one per indicator and English authority).
pub fn write_csvs(
    definitions: impl Write,
    values: impl Write,
    geography: &Geography,
    seed: u64,
) -> Result<usize, csv::Error> {
    let mut out = super::csv_writer(
        definitions,
        DEFINITION_COLUMNS.iter().chain(&DEFINITION_OPTIONAL),
    )?;
    for (code, name, unit, domain, higher, ..) in INDICATORS {
        out.write_record([
            code,
            name,
            "Invented for the demo: a regional pattern plus seeded noise. Not a published figure.",
            unit,
            domain,
            if higher { "true" } else { "false" },
            super::SOURCE,
            "none: synthetic data",
            "true",
        ])?;
    }
    out.flush()?;

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = super::csv_writer(values, VALUE_COLUMNS)?;
    let mut written = 0;
    for (authority, region) in super::english_authorities(geography) {
        let effect = regional_effect(&region);
        // A local pull shared by every indicator of the authority, so places differ as a whole.
        let local: f64 = (0..3).map(|_| rng.random::<f64>()).sum::<f64>() - 1.5;
        for (code, _, unit, _, higher, base, regional, noise) in INDICATORS {
            let spread: f64 = (0..4).map(|_| rng.random::<f64>()).sum::<f64>() - 2.0;
            let pull = if higher { local } else { -local };
            let mut value = base + regional * effect + noise * (spread + 0.8 * pull);
            if code == "demo_work_house_price_ratio" && region == "E12000007" {
                value += 4.0; // London: pay is higher, houses dearer still.
            }
            let value = if unit == "percent" {
                value.clamp(0.0, 100.0)
            } else {
                value.max(0.0)
            };
            out.write_record([code, &authority, PERIOD, &format!("{value:.2}"), "", ""])?;
            written += 1;
        }
    }
    out.flush()?;
    Ok(written)
}
