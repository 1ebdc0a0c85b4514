//! Synthetic programme activity by local authority, so reach by region and the share in cold
//! spots can be shown: the published figures give no places. Every programme is marked
//! synthetic and named "(synthetic)".

use std::io::Write;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::formats::programmes::{FIGURE_COLUMNS, PROGRAMME_COLUMNS, PROGRAMME_OPTIONAL};
use crate::domain::geography::Geography;

/// The years of activity.
pub const YEARS: std::ops::RangeInclusive<i32> = 2019..=2023;

/// Programme code, name, description, stage, and its count metrics with their unit and the
/// typical yearly value in an authority where it runs.
type Spec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str, f64)],
);

const PROGRAMMES: [Spec; 2] = [
    (
        "demo_schools_outreach",
        "Schools outreach (synthetic)",
        "Invented for the demo: volunteers visiting schools. Not a published figure.",
        "outreach",
        &[
            ("events", "events", 12.0),
            ("students_engaged", "people", 600.0),
        ],
    ),
    (
        "demo_work_experience",
        "Work experience (synthetic)",
        "Invented for the demo: work experience placements. Not a published figure.",
        "outreach",
        &[("placements", "placements", 25.0)],
    ),
];

/// Writes the programmes and their figures: each runs in about a quarter of English
/// authorities, more often outside London, growing year on year.
pub fn write_csvs(
    programmes: impl Write,
    figures: impl Write,
    geography: &Geography,
    seed: u64,
) -> Result<usize, csv::Error> {
    let mut out = super::csv_writer(
        programmes,
        PROGRAMME_COLUMNS.iter().chain(&PROGRAMME_OPTIONAL),
    )?;
    for (code, name, description, stage, _) in PROGRAMMES {
        out.write_record([
            code,
            name,
            description,
            stage,
            "DEMO",
            "Demo employer (synthetic)",
            "true",
            "Invented demo data (synthetic): no one published these figures",
            "None: invented for demonstration",
        ])?;
    }
    out.flush()?;

    let authorities = super::english_authorities(geography);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = super::csv_writer(figures, FIGURE_COLUMNS)?;
    let mut written = 0;
    for (code, _, _, _, metrics) in PROGRAMMES {
        for (authority, region) in &authorities {
            let chance = if region == "E12000007" { 0.1 } else { 0.3 };
            if rng.random::<f64>() >= chance {
                continue;
            }
            let scale = 0.5 + rng.random::<f64>();
            for (i, year) in YEARS.enumerate() {
                let growth = 1.0 + 0.15 * i as f64;
                for (metric, unit, typical) in metrics {
                    let value =
                        (typical * scale * growth * (0.8 + 0.4 * rng.random::<f64>())).round();
                    out.write_record([
                        code,
                        metric,
                        unit,
                        &year.to_string(),
                        "actual",
                        &value.to_string(),
                        authority,
                        "synthetic",
                    ])?;
                    written += 1;
                }
            }
        }
    }
    out.flush()?;
    Ok(written)
}
