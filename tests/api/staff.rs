//! Hand-built staff files whose every record the tests know, and an independent
//! re-implementation of the ONS cell key method (`create_perturbed_table` of the ONS
//! `cell-key-perturbation` package, from its documentation) to work out what the API must
//! publish for any set of those records.
//!
//! The ptable is the one the binary writes with `mobility-explorer ptable --out`, read here
//! with a plain CSV split; nothing of the server's disclosure code is used.

use std::collections::HashMap;
use std::process::Command;
use std::sync::OnceLock;

/// The columns every staff file has.
macro_rules! required_columns {
    () => {
        "person_ref,employer,year,business_unit,grade,grade_level,work_area,joined_year,parental_occupation,school_type,free_school_meals,parental_degree,self_assessed,engagement"
    };
}

pub const HEADER_WITHOUT_KEYS: &str = required_columns!();
pub const HEADER: &str = concat!(required_columns!(), ",record_key");

pub const BIRMINGHAM: &str = "E08000025"; // West Midlands, E12000005
pub const WESTMINSTER: &str = "E09000033"; // London, E12000007
pub const CARDIFF: &str = "W06000015"; // Wales, W92000004

/// The region of each authority the fixtures use.
pub fn region_of(area: &str) -> &'static str {
    match area {
        BIRMINGHAM => "E12000005",
        WESTMINSTER => "E12000007",
        CARDIFF => "W92000004",
        other => panic!("no region for {other} in the fixtures"),
    }
}

/// The parental-occupation group of an answer code (`None`: unknown).
pub fn occupation_group(code: &str) -> Option<&'static str> {
    match code {
        "professional" | "senior_manager" => Some("PROFESSIONAL"),
        "intermediate" | "small_business" => Some("INTERMEDIATE"),
        "technical_craft" | "routine" | "long_term_unemployed" => Some("LOWER"),
        _ => None,
    }
}

/// The free-school-meals group of an answer code.
pub fn fsm_group(code: &str) -> Option<&'static str> {
    match code {
        "yes" => Some("YES"),
        "no" => Some("NO"),
        _ => None,
    }
}

/// One staff record as the tests know it.
#[derive(Clone, Debug)]
pub struct Person {
    pub reference: String,
    pub employer: String,
    pub year: u32,
    pub unit: &'static str,
    pub grade: (&'static str, u32),
    pub area: &'static str,
    pub joined: u32,
    pub occupation: &'static str,
    pub fsm: &'static str,
    pub engagement: Option<f64>,
    pub record_key: u8,
}

impl Person {
    pub fn grade_level(&self) -> u32 {
        self.grade.1
    }

    pub fn region(&self) -> &'static str {
        region_of(self.area)
    }

    pub fn group(&self) -> Option<&'static str> {
        occupation_group(self.occupation)
    }

    pub fn is_joiner(&self) -> bool {
        self.joined == self.year
    }
}

/// `n` people who share every answer.
#[derive(Clone)]
pub struct Batch {
    pub n: usize,
    pub unit: &'static str,
    pub grade: (&'static str, u32),
    pub area: &'static str,
    pub joined: u32,
    pub occupation: &'static str,
    pub fsm: &'static str,
    pub engagement: Option<f64>,
}

pub fn batch(
    n: usize,
    unit: &'static str,
    grade: (&'static str, u32),
    area: &'static str,
    joined: u32,
    occupation: &'static str,
) -> Batch {
    Batch {
        n,
        unit,
        grade,
        area,
        joined,
        occupation,
        fsm: "not_applicable",
        engagement: None,
    }
}

impl Batch {
    pub fn fsm(mut self, fsm: &'static str) -> Batch {
        self.fsm = fsm;
        self
    }

    pub fn engagement(mut self, score: f64) -> Batch {
        self.engagement = Some(score);
        self
    }
}

/// A record key that looks random but is fixed by the employer, year and person number
/// (SplitMix64's finaliser): the same fixture always gets the same keys.
pub fn record_key_for(employer: &str, year: u32, person: usize) -> u8 {
    let mut z = employer
        .bytes()
        .fold(u64::from(year), |h, b| {
            h.wrapping_mul(31).wrapping_add(u64::from(b))
        })
        .wrapping_add((person as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) & 0xFF) as u8
}

/// The people of one employer-year; references restart at P1 in every snapshot.
pub fn people(employer: &str, year: u32, batches: &[Batch]) -> Vec<Person> {
    let mut out = Vec::new();
    for b in batches {
        for _ in 0..b.n {
            let number = out.len() + 1;
            out.push(Person {
                reference: format!("P{number}"),
                employer: employer.to_owned(),
                year,
                unit: b.unit,
                grade: b.grade,
                area: b.area,
                joined: b.joined,
                occupation: b.occupation,
                fsm: b.fsm,
                engagement: b.engagement,
                record_key: record_key_for(employer, year, number),
            });
        }
    }
    out
}

/// A CSV of the people, with their record keys.
pub fn csv(people: &[Person]) -> String {
    write_csv(people, true)
}

/// A CSV of the people without the `record_key` column: the import derives the keys.
pub fn csv_without_keys(people: &[Person]) -> String {
    write_csv(people, false)
}

fn write_csv(people: &[Person], with_keys: bool) -> String {
    let header = if with_keys {
        HEADER
    } else {
        HEADER_WITHOUT_KEYS
    };
    let mut csv = format!("{header}\n");
    for p in people {
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},state_non_selective,{},no,,{}",
            p.reference,
            p.employer,
            p.year,
            p.unit,
            p.grade.0,
            p.grade.1,
            p.area,
            p.joined,
            p.occupation,
            p.fsm,
            p.engagement.map(|e| e.to_string()).unwrap_or_default(),
        ));
        if with_keys {
            csv.push_str(&format!(",{}", p.record_key));
        }
        csv.push('\n');
    }
    csv
}

/// The ONS cell key method with the ptable the binary writes, and the threshold.
pub struct Ckm {
    pvalues: HashMap<(u64, u64), i64>,
    pub threshold: u64,
}

/// The ptable as `mobility-explorer ptable --out -` prints it, read once per test binary.
pub fn default_ptable_csv() -> &'static str {
    static CSV: OnceLock<String> = OnceLock::new();
    CSV.get_or_init(|| {
        let output = Command::new(env!("CARGO_BIN_EXE_mobility-explorer"))
            .args(["ptable", "--out", "-"])
            .env_remove("PTABLE")
            .output()
            .expect("the binary runs");
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).expect("UTF-8")
    })
}

impl Ckm {
    /// The method with the default ptable and threshold 10.
    pub fn default_method() -> Ckm {
        Ckm::from_csv(default_ptable_csv(), 10)
    }

    /// The method with a ptable in the ONS format and a threshold.
    pub fn from_csv(ptable: &str, threshold: u64) -> Ckm {
        let mut lines = ptable.lines();
        assert_eq!(lines.next(), Some("pcv,ckey,pvalue"));
        let pvalues = lines
            .map(|line| {
                let fields: Vec<i64> = line
                    .split(',')
                    .map(|f| f.parse().expect("a whole number"))
                    .collect();
                ((fields[0] as u64, fields[1] as u64), fields[2])
            })
            .collect();
        Ckm { pvalues, threshold }
    }

    /// The row of a count (step 3 of `create_perturbed_table`).
    fn pcv(n: u64) -> u64 {
        if n <= 750 { n } else { ((n - 1) % 250) + 501 }
    }

    /// The perturbed count of a set of records, before the threshold (steps 1-5); a count
    /// with no ptable row (0) gets no noise.
    pub fn perturbed<'a>(&self, records: impl IntoIterator<Item = &'a Person>) -> u64 {
        let (n, sum) = records.into_iter().fold((0u64, 0u64), |(n, s), p| {
            (n + 1, s + u64::from(p.record_key))
        });
        let ckey = sum % 256;
        let pvalue = self
            .pvalues
            .get(&(Self::pcv(n), ckey))
            .copied()
            .unwrap_or(0);
        (n as i64 + pvalue) as u64
    }

    /// What the API must publish for a set of records: the perturbed count, or nothing below
    /// the threshold.
    pub fn published<'a>(&self, records: impl IntoIterator<Item = &'a Person>) -> Option<u64> {
        let value = self.perturbed(records);
        (value >= self.threshold).then_some(value)
    }

    /// Every true count that could have been published as `value`, under some cell key.
    pub fn candidates(&self, value: u64) -> Vec<u64> {
        let mut found: Vec<u64> = (value.saturating_sub(100)..=value + 100)
            .filter(|n| {
                (0..256).any(|ckey| {
                    let pvalue = self
                        .pvalues
                        .get(&(Self::pcv(*n), ckey))
                        .copied()
                        .unwrap_or(0);
                    *n as i64 + pvalue == value as i64
                })
            })
            .collect();
        found.sort_unstable();
        found
    }
}

/// Keeps the records for which `keep` holds.
pub fn select(people: &[Person], keep: impl Fn(&Person) -> bool) -> Vec<&Person> {
    people.iter().filter(|p| keep(p)).collect()
}

/// Rounds a fraction as the API does: 3 decimals.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

impl Ckm {
    /// The noise the ptable gives a count of `n` records at cell key `ckey` (steps 3-4 of
    /// `create_perturbed_table`); a count with no ptable row (0) gets none.
    pub fn pvalue(&self, n: u64, ckey: u64) -> i64 {
        self.pvalues
            .get(&(Self::pcv(n), ckey % 256))
            .copied()
            .unwrap_or(0)
    }
}
