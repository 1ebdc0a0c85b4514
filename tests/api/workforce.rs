//! The workforce API on small hand-built staff files whose right answers are worked out here,
//! by hand, from the counts each batch of rows holds.

use mobility_explorer::domain::workforce::PersonKey;
use mobility_explorer::import::{self, ImportError, workforce::Summary};
use sea_orm::EntityTrait;
use serde_json::Value;

use crate::helpers::{Store, TestApp, error_code, error_message};
use crate::on_both_stores;

const HEADER: &str = "person_ref,employer,year,business_unit,grade,grade_level,work_area,joined_year,parental_occupation,school_type,free_school_meals,parental_degree,self_assessed,engagement";

const BIRMINGHAM: &str = "E08000025"; // West Midlands, E12000005
const WESTMINSTER: &str = "E09000033"; // London, E12000007
const CARDIFF: &str = "W06000015"; // Wales, W92000004

/// `n` people who share every answer.
struct Batch {
    n: usize,
    unit: &'static str,
    grade: (&'static str, u32),
    area: &'static str,
    joined: u32,
    occupation: &'static str,
    fsm: &'static str,
    engagement: &'static str,
}

fn batch(
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
        engagement: "",
    }
}

impl Batch {
    fn fsm(mut self, fsm: &'static str) -> Batch {
        self.fsm = fsm;
        self
    }

    fn engagement(mut self, score: &'static str) -> Batch {
        self.engagement = score;
        self
    }
}

/// A CSV of one employer-year; person references restart at P1 in every file.
fn snapshot_csv(employer: &str, year: u32, batches: &[Batch]) -> String {
    let mut csv = format!("{HEADER}\n");
    csv.push_str(&snapshot_rows(employer, year, batches));
    csv
}

fn snapshot_rows(employer: &str, year: u32, batches: &[Batch]) -> String {
    let mut rows = String::new();
    let mut person = 0;
    for b in batches {
        for _ in 0..b.n {
            person += 1;
            rows.push_str(&format!(
                "P{person},{employer},{year},{},{},{},{},{},{},state_non_selective,{},no,,{}\n",
                b.unit, b.grade.0, b.grade.1, b.area, b.joined, b.occupation, b.fsm, b.engagement
            ));
        }
    }
    rows
}

const AO: (&str, u32) = ("AO", 1);
const HEO: (&str, u32) = ("HEO", 2);
const G7: (&str, u32) = ("G7", 3);

/// EMP-A in 2024, 85 people:
///
/// | grade level | PROFESSIONAL | INTERMEDIATE | LOWER | unknown | place |
/// |---|---|---|---|---|---|
/// | 1 (AO) | 12 (2 Digital) | 10 (1 Digital) | 15 (3 Digital) | 3 | Birmingham |
/// | 2 (HEO) | 12 | 3 | 10 | 0 | Westminster |
/// | 3 (G7) | 10 (2 in Cardiff) | 0 | 10 (3 in Cardiff) | 0 | Westminster, Cardiff |
///
/// Joiners (joined 2024): 10 professional and all 15 lower staff of grade level 1.
/// Engagement, grade level 1 only: lower 60, professional 70, intermediate 75, unknown 50.
/// Free school meals: 4 yes and 4 no (grade level 1 intermediate); everyone else not applicable.
fn emp_a_2024() -> Vec<Batch> {
    vec![
        batch(10, "Operations", AO, BIRMINGHAM, 2024, "professional").engagement("70"),
        batch(2, "Digital", AO, BIRMINGHAM, 2021, "senior_manager").engagement("70"),
        batch(4, "Operations", AO, BIRMINGHAM, 2020, "intermediate")
            .fsm("yes")
            .engagement("75"),
        batch(4, "Operations", AO, BIRMINGHAM, 2020, "small_business")
            .fsm("no")
            .engagement("75"),
        batch(1, "Operations", AO, BIRMINGHAM, 2020, "intermediate").engagement("75"),
        batch(1, "Digital", AO, BIRMINGHAM, 2022, "intermediate").engagement("75"),
        batch(6, "Operations", AO, BIRMINGHAM, 2024, "routine").engagement("60"),
        batch(4, "Operations", AO, BIRMINGHAM, 2024, "technical_craft").engagement("60"),
        batch(
            2,
            "Operations",
            AO,
            BIRMINGHAM,
            2024,
            "long_term_unemployed",
        )
        .engagement("60"),
        batch(3, "Digital", AO, BIRMINGHAM, 2024, "routine").engagement("60"),
        batch(1, "Operations", AO, BIRMINGHAM, 2019, "other").engagement("50"),
        batch(1, "Operations", AO, BIRMINGHAM, 2019, "prefer_not_to_say").engagement("50"),
        batch(1, "Operations", AO, BIRMINGHAM, 2019, "").engagement("50"),
        batch(12, "Operations", HEO, WESTMINSTER, 2019, "professional"),
        batch(3, "Operations", HEO, WESTMINSTER, 2019, "intermediate"),
        batch(10, "Operations", HEO, WESTMINSTER, 2019, "routine"),
        batch(8, "Policy", G7, WESTMINSTER, 2015, "professional"),
        batch(7, "Policy", G7, WESTMINSTER, 2015, "technical_craft"),
        batch(2, "Policy", G7, CARDIFF, 2015, "professional"),
        batch(3, "Policy", G7, CARDIFF, 2015, "routine"),
    ]
}

/// EMP-A in 2023: 12 people, professional 5, intermediate 2, lower 5.
fn emp_a_2023() -> Vec<Batch> {
    vec![
        batch(5, "Operations", AO, BIRMINGHAM, 2020, "professional"),
        batch(2, "Operations", AO, BIRMINGHAM, 2020, "intermediate"),
        batch(5, "Operations", AO, BIRMINGHAM, 2020, "routine"),
    ]
}

/// Both EMP-A snapshots in one file (the same person references in both years).
fn emp_a_csv() -> String {
    format!(
        "{HEADER}\n{}{}",
        snapshot_rows("EMP-A", 2023, &emp_a_2023()),
        snapshot_rows("EMP-A", 2024, &emp_a_2024())
    )
}

fn key() -> PersonKey {
    PersonKey::new(b"a test key of more than sixteen bytes").expect("long enough")
}

async fn load(app: &TestApp, name: &str, csv: &str) -> Result<Summary, ImportError> {
    import::workforce::import(&app.db, name, csv.as_bytes(), &key()).await
}

async fn spawn_loaded(store: Store) -> Option<TestApp> {
    spawn_loaded_with(store, |_| {}).await
}

async fn spawn_loaded_with(
    store: Store,
    adjust: impl FnOnce(&mut mobility_explorer::config::Config),
) -> Option<TestApp> {
    let app = TestApp::spawn_with(store, adjust).await?;
    load(&app, "emp-a.csv", &emp_a_csv())
        .await
        .expect("the fixture imports");
    Some(app)
}

/// The categories of a distribution group, by category.
fn cells(group: &Value) -> std::collections::BTreeMap<String, Value> {
    group["categories"]
        .as_array()
        .expect("categories")
        .iter()
        .map(|c| {
            (
                c["category"].as_str().expect("category").to_owned(),
                c.clone(),
            )
        })
        .collect()
}

/// Asserts a shown cell's count and share.
fn assert_shown(cell: &Value, count: u64, share: f64) {
    assert_eq!(cell["count"], count, "{cell}");
    assert_eq!(cell["share"].as_f64(), Some(share), "{cell}");
    assert!(cell["suppressed"].is_null(), "{cell}");
}

/// Asserts a cell is withheld for `reason`.
fn assert_withheld(cell: &Value, reason: &str) {
    assert!(cell["count"].is_null(), "{cell}");
    assert!(cell["share"].is_null(), "{cell}");
    assert_eq!(cell["suppressed"], reason, "{cell}");
}

/// The group whose key field `field` is `value`.
fn group<'a>(groups: &'a Value, field: &str, value: Value) -> &'a Value {
    groups
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["key"][field] == value)
        .unwrap_or_else(|| panic!("no group with {field} = {value} in {groups}"))
}

async fn the_overall_distribution_counts_and_shares_by_hand(store: Store) {
    let Some(app) = spawn_loaded(store).await else {
        return;
    };
    let data = app
        .data(
            r#"{ workforce {
                years synthetic headcount headcountSuppressed
                employers { code name synthetic }
                distribution(benchmark: "UK") {
                    headcount respondents declarationRate
                    categories { category count share benchmarkShare suppressed
                                 benchmark { confirmed caveat period } }
                }
            } }"#,
        )
        .await;
    let w = &data["workforce"];
    // The latest year is the default.
    assert_eq!(w["years"], serde_json::json!([2024]));
    assert_eq!(w["synthetic"], false);
    assert_eq!(w["employers"][0]["code"], "EMP-A");
    assert_eq!(w["headcount"], 85);
    assert!(w["headcountSuppressed"].is_null());

    let all = &w["distribution"][0];
    assert_eq!(w["distribution"].as_array().map(Vec::len), Some(1));
    // 85 people, 3 of whom gave no known answer.
    assert_eq!(all["headcount"], 85);
    assert_eq!(all["respondents"], 82);
    assert_eq!(all["declarationRate"].as_f64(), Some(0.965)); // 82 / 85 = 0.96471
    let c = cells(all);
    assert_shown(&c["PROFESSIONAL"], 34, 0.415); // 34 / 82 = 0.41463
    assert_shown(&c["INTERMEDIATE"], 13, 0.159); // 13 / 82 = 0.15854
    assert_shown(&c["LOWER"], 35, 0.427); // 35 / 82 = 0.42683
    // The UK benchmark, served with its caveat because it is not confirmed.
    assert_eq!(c["PROFESSIONAL"]["benchmarkShare"].as_f64(), Some(0.37));
    assert_eq!(c["INTERMEDIATE"]["benchmarkShare"].as_f64(), Some(0.24));
    assert_eq!(c["LOWER"]["benchmarkShare"].as_f64(), Some(0.39));
    assert_eq!(c["LOWER"]["benchmark"]["confirmed"], false);
    assert_eq!(c["LOWER"]["benchmark"]["period"], "2021");
    assert!(c["LOWER"]["benchmark"]["caveat"].is_string());

    // Other measures: school type against the confirmed independent-school share.
    let data = app
        .data(
            r#"{ workforce { distribution(measure: SCHOOL_TYPE, benchmark: "uk") {
                respondents categories { category count share benchmarkShare benchmark { confirmed } } } } }"#,
        )
        .await;
    let school = &data["workforce"]["distribution"][0];
    assert_eq!(school["respondents"], 85);
    let c = cells(school);
    assert_shown(&c["STATE"], 85, 1.0);
    assert_eq!(c["INDEPENDENT"]["count"], 0, "a zero is shown");
    assert_eq!(c["INDEPENDENT"]["share"].as_f64(), Some(0.0));
    assert_eq!(c["INDEPENDENT"]["benchmarkShare"].as_f64(), Some(0.075));
    assert_eq!(c["INDEPENDENT"]["benchmark"]["confirmed"], true);
    assert!(c["STATE"]["benchmarkShare"].is_null());
    app.stop().await;
}

async fn groups_by_grade_region_unit_and_year_follow_every_suppression_rule(store: Store) {
    let Some(app) = spawn_loaded(store).await else {
        return;
    };
    let data = app
        .data(
            r#"{ workforce {
                byGrade: distribution(by: [GRADE_LEVEL]) { ...g }
                byRegion: distribution(by: [REGION]) { ...g }
                byUnit: distribution(by: [BUSINESS_UNIT]) { ...g }
                fsm: distribution(measure: FREE_SCHOOL_MEALS) { ...g }
                selfAssessed: distribution(measure: SELF_ASSESSED) { ...g }
            } }
            fragment g on DistributionGroup {
                key { employer year gradeLevel region regionName businessUnit localAuthority }
                headcount headcountSuppressed respondents respondentsSuppressed declarationRate
                categories { category count share suppressed }
            }"#,
        )
        .await;
    let w = &data["workforce"];

    // Grade level 1: every cell shown.
    let level1 = group(&w["byGrade"], "gradeLevel", 1.into());
    assert_eq!(
        level1["key"]["region"],
        Value::Null,
        "not grouped by region"
    );
    assert_eq!(level1["headcount"], 40);
    assert_eq!(level1["respondents"], 37);
    assert_eq!(level1["declarationRate"].as_f64(), Some(0.925)); // 37 / 40
    let c = cells(level1);
    assert_shown(&c["PROFESSIONAL"], 12, 0.324); // 12 / 37 = 0.32432
    assert_shown(&c["INTERMEDIATE"], 10, 0.27); // 10 / 37 = 0.27027
    assert_shown(&c["LOWER"], 15, 0.405); // 15 / 37 = 0.40541

    // Grade level 2: 3 intermediate is below 10; alone it could be recovered as 25 - 12 - 10,
    // so the next smallest cell (lower, 10) is suppressed too.
    let level2 = group(&w["byGrade"], "gradeLevel", 2.into());
    assert_eq!(level2["headcount"], 25);
    assert_eq!(level2["respondents"], 25);
    let c = cells(level2);
    assert_shown(&c["PROFESSIONAL"], 12, 0.48);
    assert_withheld(&c["INTERMEDIATE"], "SUPPRESSED_SMALL_COUNT");
    assert_withheld(&c["LOWER"], "SUPPRESSED_SECONDARY");

    // Grade level 3: a zero is shown and needs no protection.
    let level3 = group(&w["byGrade"], "gradeLevel", 3.into());
    let c = cells(level3);
    assert_shown(&c["PROFESSIONAL"], 10, 0.5);
    assert_shown(&c["INTERMEDIATE"], 0, 0.0);
    assert_shown(&c["LOWER"], 10, 0.5);

    // By region: London holds grade levels 2 and 3 in Westminster (40 people: 20, 3, 17),
    // Wales the 5 in Cardiff, a small group.
    let london = group(&w["byRegion"], "region", "E12000007".into());
    assert_eq!(london["key"]["regionName"], "London");
    assert_eq!(london["headcount"], 40);
    let c = cells(london);
    assert_shown(&c["PROFESSIONAL"], 20, 0.5);
    assert_withheld(&c["INTERMEDIATE"], "SUPPRESSED_SMALL_COUNT");
    assert_withheld(&c["LOWER"], "SUPPRESSED_SECONDARY");
    let wales = group(&w["byRegion"], "region", "W92000004".into());
    assert!(wales["headcount"].is_null());
    assert_eq!(wales["headcountSuppressed"], "SUPPRESSED_SMALL_GROUP");
    assert!(wales["respondents"].is_null());
    assert_eq!(wales["respondentsSuppressed"], "SUPPRESSED_SMALL_GROUP");
    assert!(wales["declarationRate"].is_null());
    for cell in cells(wales).values() {
        assert_withheld(cell, "SUPPRESSED_SMALL_GROUP");
    }
    let midlands = group(&w["byRegion"], "region", "E12000005".into());
    assert_eq!(midlands["headcount"], 40);
    assert_eq!(w["byRegion"].as_array().map(Vec::len), Some(3));

    // By business unit: Digital (6) is a small group; Operations is grade level 1 less Digital
    // plus grade level 2: 22, 12, 22 and 3 unknown.
    let digital = group(&w["byUnit"], "businessUnit", "Digital".into());
    assert!(digital["headcount"].is_null());
    for cell in cells(digital).values() {
        assert_withheld(cell, "SUPPRESSED_SMALL_GROUP");
    }
    let operations = group(&w["byUnit"], "businessUnit", "Operations".into());
    assert_eq!(operations["headcount"], 59);
    assert_eq!(operations["respondents"], 56);
    let c = cells(operations);
    assert_shown(&c["PROFESSIONAL"], 22, 0.393); // 22 / 56 = 0.39286
    assert_shown(&c["INTERMEDIATE"], 12, 0.214); // 12 / 56 = 0.21429
    assert_shown(&c["LOWER"], 22, 0.393);

    // Free school meals: 85 people but only 8 answered yes or no, a small group of
    // respondents; the headcount itself is shown.
    let fsm = &w["fsm"][0];
    assert_eq!(fsm["headcount"], 85);
    assert!(fsm["respondents"].is_null());
    assert_eq!(fsm["respondentsSuppressed"], "SUPPRESSED_SMALL_GROUP");
    for cell in cells(fsm).values() {
        assert_withheld(cell, "SUPPRESSED_SMALL_GROUP");
    }

    // Nobody answered the self-assessed question: zeros, no shares, no suppression.
    let own = &w["selfAssessed"][0];
    assert_eq!(own["respondents"], 0);
    assert_eq!(own["declarationRate"].as_f64(), Some(0.0));
    for cell in cells(own).values() {
        assert_eq!(cell["count"], 0, "{cell}");
        assert!(cell["share"].is_null(), "{cell}");
    }

    // Two years side by side: 2023 has 12 people in three cells, each below 10.
    let data = app
        .data(
            r#"{ workforce(filter: { years: [2023, 2024] }) {
                years headcount
                distribution(by: [YEAR, EMPLOYER]) {
                    key { year employer employerName } headcount respondents
                    categories { category count share suppressed }
                }
            } }"#,
        )
        .await;
    let w = &data["workforce"];
    assert_eq!(w["headcount"], 97);
    let y2023 = group(&w["distribution"], "year", 2023.into());
    assert_eq!(y2023["key"]["employer"], "EMP-A");
    assert_eq!(y2023["headcount"], 12);
    assert_eq!(y2023["respondents"], 12);
    for cell in cells(y2023).values() {
        assert_withheld(cell, "SUPPRESSED_SMALL_COUNT");
    }
    assert_eq!(
        group(&w["distribution"], "year", 2024.into())["headcount"],
        85
    );
    app.stop().await;
}

async fn who_gets_in_on_and_how_it_feels_by_hand(store: Store) {
    let Some(app) = spawn_loaded(store).await else {
        return;
    };
    let data = app
        .data(
            r#"{
              all: workforce {
                whoGetsOn { key { gradeLevel } lowerShare overallLowerShare gap suppressed }
                progressionRatio { value seniorGradeLevel seniorLowerShare overallLowerShare suppressed }
                engagementGap { value lowerMean otherMean suppressed }
              }
              joiners: workforce(filter: { joinersOnly: true }) {
                headcount
                distribution(benchmark: "UK") {
                  respondents categories { category count share benchmarkShare suppressed }
                }
              }
            }"#,
        )
        .await;
    let all = &data["all"];
    // Overall lower share 35 / 82 = 0.426829.
    let gaps = &all["whoGetsOn"];
    let level1 = group(gaps, "gradeLevel", 1.into());
    assert_eq!(level1["lowerShare"].as_f64(), Some(0.405)); // 15 / 37
    assert_eq!(level1["overallLowerShare"].as_f64(), Some(0.427));
    assert_eq!(level1["gap"].as_f64(), Some(-0.021)); // 0.405405 - 0.426829
    let level2 = group(gaps, "gradeLevel", 2.into());
    assert!(level2["lowerShare"].is_null());
    assert!(level2["gap"].is_null());
    assert_eq!(level2["suppressed"], "SUPPRESSED_SECONDARY");
    let level3 = group(gaps, "gradeLevel", 3.into());
    assert_eq!(level3["lowerShare"].as_f64(), Some(0.5));
    assert_eq!(level3["gap"].as_f64(), Some(0.073)); // 0.5 - 0.426829

    let ratio = &all["progressionRatio"];
    assert_eq!(ratio["seniorGradeLevel"], 3);
    assert_eq!(ratio["seniorLowerShare"].as_f64(), Some(0.5));
    assert_eq!(ratio["overallLowerShare"].as_f64(), Some(0.427));
    assert_eq!(ratio["value"].as_f64(), Some(1.171)); // 0.5 / 0.426829 = 1.17143
    assert!(ratio["suppressed"].is_null());

    // Lower: 15 at 60. Others declared: 12 at 70 and 10 at 75, 1590 / 22 = 72.27.
    // The 3 unknown (at 50) count in neither.
    let gap = &all["engagementGap"];
    assert_eq!(gap["lowerMean"].as_f64(), Some(60.0));
    assert_eq!(gap["otherMean"].as_f64(), Some(72.3));
    assert_eq!(gap["value"].as_f64(), Some(-12.3)); // 60 - 72.27
    assert!(gap["suppressed"].is_null());

    // Who gets in: 25 joiners, 10 professional and 15 lower.
    let joiners = &data["joiners"];
    assert_eq!(joiners["headcount"], 25);
    let c = cells(&joiners["distribution"][0]);
    assert_shown(&c["PROFESSIONAL"], 10, 0.4);
    assert_shown(&c["INTERMEDIATE"], 0, 0.0);
    assert_shown(&c["LOWER"], 15, 0.6);
    assert_eq!(c["LOWER"]["benchmarkShare"].as_f64(), Some(0.39));
    app.stop().await;
}

async fn filters_by_area_unit_and_grade_and_protect_small_figures(store: Store) {
    let Some(app) = spawn_loaded(store).await else {
        return;
    };
    let data = app
        .data(
            r#"{
              london: workforce(filter: { areas: ["E12000007"] }) {
                headcount
                progressionRatio { value seniorGradeLevel seniorLowerShare overallLowerShare suppressed }
                engagementGap { value }
              }
              midlandsByItl: workforce(filter: { areas: ["TLG"] }) { headcount }
              cardiff: workforce(filter: { areas: ["W06000015"] }) {
                headcount headcountSuppressed
                distribution { headcount headcountSuppressed }
              }
              londonAndWales: workforce(filter: { areas: ["E12000007", "W92000004"], gradeLevels: [3] }) {
                headcount
              }
              digital: workforce(filter: { businessUnits: ["Digital"] }) {
                headcount headcountSuppressed
                engagementGap { value lowerMean otherMean suppressed }
              }
              grade1Ops: workforce(filter: { gradeLevels: [1], businessUnits: ["Operations"] }) {
                headcount
                engagementGap { value lowerMean otherMean suppressed }
              }
            }"#,
        )
        .await;
    // A region includes its authorities: Westminster's 40.
    assert_eq!(data["london"]["headcount"], 40);
    // Its most senior grade (15 people: 8 professional, 7 lower) has two small cells.
    let ratio = &data["london"]["progressionRatio"];
    assert_eq!(ratio["seniorGradeLevel"], 3);
    assert!(ratio["value"].is_null());
    assert!(ratio["seniorLowerShare"].is_null());
    assert_eq!(ratio["suppressed"], "SUPPRESSED_SMALL_COUNT");
    // Nobody in London has an engagement score.
    assert!(data["london"]["engagementGap"].is_null());
    // An ITL code names the same region.
    assert_eq!(data["midlandsByItl"]["headcount"], 40);
    // Five people in Cardiff: never shown.
    assert!(data["cardiff"]["headcount"].is_null());
    assert_eq!(
        data["cardiff"]["headcountSuppressed"],
        "SUPPRESSED_SMALL_COUNT"
    );
    assert!(data["cardiff"]["distribution"][0]["headcount"].is_null());
    assert_eq!(data["londonAndWales"]["headcount"], 20);
    // Digital: 6 people; means over 3 lower and 3 others are not shown.
    assert!(data["digital"]["headcount"].is_null());
    let gap = &data["digital"]["engagementGap"];
    assert!(gap["value"].is_null());
    assert!(gap["lowerMean"].is_null());
    assert!(gap["otherMean"].is_null());
    assert_eq!(gap["suppressed"], "SUPPRESSED_SMALL_GROUP");
    // Grade level 1 in Operations: lower 12 at 60, others 10 at 70 and 9 at 75: 1375 / 19.
    assert_eq!(data["grade1Ops"]["headcount"], 34);
    let gap = &data["grade1Ops"]["engagementGap"];
    assert_eq!(gap["lowerMean"].as_f64(), Some(60.0));
    assert_eq!(gap["otherMean"].as_f64(), Some(72.4)); // 72.368
    assert_eq!(gap["value"].as_f64(), Some(-12.4));
    app.stop().await;
}

async fn the_threshold_and_rounding_come_from_configuration(store: Store) {
    let Some(app) = spawn_loaded_with(store, |config| {
        let _ = config;
    })
    .await
    else {
        return;
    };
    let data = app
        .data(
            r#"{ workforce {
                disclosure { minimumCount countsRoundedTo }
                headcount
                distribution(by: [GRADE_LEVEL]) {
                    key { gradeLevel } headcount respondents declarationRate
                    categories { category count share suppressed }
                }
            } }"#,
        )
        .await;
    let w = &data["workforce"];
    assert_eq!(w["disclosure"]["minimumCount"], 10);
    assert_eq!(w["disclosure"]["countsRoundedTo"], 5);
    assert_eq!(w["headcount"], 85); // 85 is a multiple of 5
    let level1 = group(&w["distribution"], "gradeLevel", 1.into());
    assert_eq!(level1["respondents"], 35); // 37
    // Shares and rates come from the exact counts.
    assert_eq!(level1["declarationRate"].as_f64(), Some(0.925));
    let c = cells(level1);
    assert_shown(&c["PROFESSIONAL"], 10, 0.324); // 12
    assert_shown(&c["INTERMEDIATE"], 10, 0.27); // 10
    assert_shown(&c["LOWER"], 15, 0.405); // 15
    app.stop().await;

    // A threshold of 3: in 2023 (5, 2, 5) only the 2 is small, so one of the two 5s goes
    // with it, the first in the measure's order.
    let Some(app) = spawn_loaded_with(store, |config| {
        config.disclosure.min_count = 3;
    })
    .await
    else {
        return;
    };
    let data = app
        .data(
            r#"{ workforce(filter: { years: [2023] }) {
                disclosure { minimumCount }
                distribution { categories { category count share suppressed } }
            } }"#,
        )
        .await;
    let w = &data["workforce"];
    assert_eq!(w["disclosure"]["minimumCount"], 3);
    let c = cells(&w["distribution"][0]);
    assert_withheld(&c["PROFESSIONAL"], "SUPPRESSED_SECONDARY");
    assert_withheld(&c["INTERMEDIATE"], "SUPPRESSED_SMALL_COUNT");
    assert_shown(&c["LOWER"], 5, 0.417); // 5 / 12
    app.stop().await;
}

async fn bad_filters_and_benchmarks_are_refused_by_name(store: Store) {
    let Some(app) = spawn_loaded(store).await else {
        return;
    };
    for (query, needle) in [
        (
            r#"{ workforce(filter: { employers: ["NOPE"] }) { headcount } }"#,
            "NOPE",
        ),
        (
            r#"{ workforce(filter: { areas: ["X99999999"] }) { headcount } }"#,
            "X99999999",
        ),
        (
            r#"{ workforce(filter: { businessUnits: ["Nowhere"] }) { headcount } }"#,
            "Nowhere",
        ),
        (
            r#"{ workforce(filter: { years: [] }) { headcount } }"#,
            "years",
        ),
        (
            r#"{ workforce { distribution(benchmark: "E12000007") { headcount } } }"#,
            "benchmark",
        ),
        (
            r#"{ workforce { distribution(by: [REGION, REGION]) { headcount } } }"#,
            "REGION",
        ),
    ] {
        let answer = app.query(query).await;
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{query}: {answer}");
        assert!(error_message(&answer).contains(needle), "{query}: {answer}");
    }
    app.stop().await;
}

async fn a_fresh_server_shows_synthetic_demo_data_until_real_data_is_loaded(store: Store) {
    let Some(app) = TestApp::spawn_with(store, |config| config.demo_data = true).await else {
        return;
    };
    let query = r#"{ workforce { synthetic years headcount employers { code name synthetic } } }"#;
    let data = app.data(query).await;
    let w = &data["workforce"];
    assert_eq!(w["synthetic"], true);
    assert_eq!(w["years"], serde_json::json!([2024]));
    assert!(w["headcount"].as_u64().is_some_and(|n| n > 1000), "{w}");
    let employers = w["employers"].as_array().expect("employers");
    assert!(employers.len() >= 3, "{w}");
    for e in employers {
        assert_eq!(e["synthetic"], true);
        assert!(
            e["name"].as_str().is_some_and(|n| n.contains("synthetic")),
            "{e}"
        );
    }
    let demo_code = employers[0]["code"].as_str().expect("code").to_owned();

    load(&app, "emp-a.csv", &emp_a_csv())
        .await
        .expect("imports");
    let data = app.data(query).await;
    assert_eq!(data["workforce"]["synthetic"], false);
    assert_eq!(data["workforce"]["headcount"], 85);
    let mixed = app
        .query(&format!(
            r#"{{ workforce(filter: {{ employers: ["{demo_code}", "EMP-A"] }}) {{ headcount }} }}"#
        ))
        .await;
    assert_eq!(error_code(&mixed), "BAD_USER_INPUT");
    assert!(error_message(&mixed).contains("synthetic"), "{mixed}");
    // The demo data is still there, asked for by name.
    let demo = app
        .data(&format!(
            r#"{{ workforce(filter: {{ employers: ["{demo_code}"] }}) {{ synthetic }} }}"#
        ))
        .await;
    assert_eq!(demo["workforce"]["synthetic"], true);
    app.stop().await;
}

async fn a_reimport_replaces_its_snapshot_only(store: Store) {
    let Some(app) = spawn_loaded(store).await else {
        return;
    };
    let before = app
        .data(r#"{ employers { code name snapshots { year source } businessUnits grades { label level } } }"#)
        .await;
    assert_eq!(
        before["employers"][0]["snapshots"][0]["source"],
        "emp-a.csv"
    );
    assert_eq!(
        before["employers"][0]["businessUnits"],
        serde_json::json!(["Digital", "Operations", "Policy"])
    );

    // A new 2023 of 15 people in a new business unit.
    let csv = snapshot_csv(
        "EMP-A",
        2023,
        &[batch(15, "Finance", AO, BIRMINGHAM, 2023, "routine")],
    );
    let summary = load(&app, "emp-a-2023.csv", &csv).await.expect("imports");
    assert_eq!(summary.rows, 15);
    assert_eq!(
        summary.snapshots,
        vec![("EMP-A".to_owned(), 2023, 15, true)]
    );

    let data = app
        .data(
            r#"{
              y2023: workforce(filter: { years: [2023] }) { headcount }
              y2024: workforce(filter: { years: [2024] }) { headcount }
              employers { snapshots { year source } businessUnits }
            }"#,
        )
        .await;
    assert_eq!(data["y2023"]["headcount"], 15);
    assert_eq!(data["y2024"]["headcount"], 85);
    let snapshots = &data["employers"][0]["snapshots"];
    let source = |year: i64| {
        snapshots
            .as_array()
            .expect("snapshots")
            .iter()
            .find(|s| s["year"] == year)
            .map(|s| s["source"].clone())
    };
    assert_eq!(source(2023), Some("emp-a-2023.csv".into()));
    assert_eq!(source(2024), Some("emp-a.csv".into()));
    assert_eq!(
        data["employers"][0]["businessUnits"],
        serde_json::json!(["Digital", "Finance", "Operations", "Policy"])
    );

    // The raw person references are nowhere in the store: only 128-bit keyed hashes.
    let records = entity::staff_record::Entity::find()
        .all(&app.db)
        .await
        .expect("records");
    assert_eq!(records.len(), 15 + 85);
    for r in &records {
        assert_eq!(r.person_hash.len(), 32, "{}", r.person_hash);
        assert!(r.person_hash.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(!r.person_hash.starts_with('P'));
        // Missing answers and scores are stored as NULL, on every store.
        assert_eq!(r.self_assessed, None);
        assert_eq!(r.engagement.is_some(), r.year == 2024 && r.grade_level == 1);
    }
    app.stop().await;
}

async fn a_file_with_bad_rows_lists_every_problem_and_writes_nothing(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let good = "P1,EMP-B,2024,Ops,AO,1,E08000025,2020,routine,independent,no,yes,no,55";
    let csv = [
        HEADER,
        good,
        "P2,EMP-B,2024,Ops,AO,1,X99999999,2020,routine,,,,,",
        "P3,EMP-B,2024,Ops,AO,1,E08000025,2030,routine,,,,,",
        "P4,EMP-B,2024,Ops,AO,1,E08000025,,posh,,,,,",
        "P5,EMP-B,2024,Ops,AO,1,E08000025,,routine,,,,,101",
        "P6,EMP-B,2024,Ops,AO,abc,E08000025,,routine,,,,,",
        "P1,EMP-B,2024,Ops,AO,1,E08000025,,routine,,,,,",
        "P7,EMP-B,2024,Ops,AO,1,E08000025,,routine,,maybe,,,",
        "P8,EMP-B,2024,Ops,AO,2,E08000025,,routine,,,,,",
    ]
    .join("\n");
    let problems = match load(&app, "bad.csv", &csv).await {
        Err(ImportError::Invalid(problems)) => problems,
        other => panic!("expected problems, got {other:?}"),
    };
    let found = |line: u64, column: &str| {
        problems
            .iter()
            .find(|p| p.line == Some(line) && p.column.as_deref() == Some(column))
            .unwrap_or_else(|| panic!("no problem at line {line}, {column}: {problems:#?}"))
    };
    assert_eq!(found(3, "work_area").value.as_deref(), Some("X99999999"));
    assert!(found(4, "joined_year").reason.contains("2024"));
    assert_eq!(
        found(5, "parental_occupation").value.as_deref(),
        Some("posh")
    );
    assert_eq!(found(6, "engagement").value.as_deref(), Some("101"));
    assert_eq!(found(7, "grade_level").value.as_deref(), Some("abc"));
    assert!(found(8, "person_ref").reason.contains("line 2"));
    assert_eq!(
        found(9, "free_school_meals").value.as_deref(),
        Some("maybe")
    );
    assert!(found(10, "grade_level").reason.contains('1'));
    assert!(
        problems.iter().all(|p| p.line != Some(2)),
        "the good row has no problem: {problems:#?}"
    );

    // Nothing was written: no employer, no record.
    let data = app.data("{ employers { code } }").await;
    assert_eq!(data["employers"], serde_json::json!([]));
    let records = entity::staff_record::Entity::find()
        .all(&app.db)
        .await
        .expect("records");
    assert!(records.is_empty());

    // The same rows in another year are other people: no duplicate.
    let csv = [HEADER, good, &good.replace(",2024,", ",2023,")].join("\n");
    let summary = load(&app, "ok.csv", &csv).await.expect("imports");
    assert_eq!(summary.rows, 2);
    assert_eq!(summary.snapshots.len(), 2);
    app.stop().await;
}

async fn synthetic_and_real_rows_never_share_an_employer(store: Store) {
    let Some(app) = spawn_loaded(store).await else {
        return;
    };
    let csv =
        format!("{HEADER},synthetic\nP1,EMP-A,2025,Ops,AO,1,E08000025,2020,routine,,,,,,true\n");
    let problems = match load(&app, "synthetic.csv", &csv).await {
        Err(ImportError::Invalid(problems)) => problems,
        other => panic!("expected problems, got {other:?}"),
    };
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].reason.contains("real"), "{problems:#?}");
    let data = app
        .data("{ workforce(filter: { years: [2025] }) { headcount } }")
        .await;
    assert_eq!(data["workforce"]["headcount"], 0);
    app.stop().await;
}

on_both_stores!(
    the_overall_distribution_counts_and_shares_by_hand,
    groups_by_grade_region_unit_and_year_follow_every_suppression_rule,
    who_gets_in_on_and_how_it_feels_by_hand,
    filters_by_area_unit_and_grade_and_protect_small_figures,
    the_threshold_and_rounding_come_from_configuration,
    bad_filters_and_benchmarks_are_refused_by_name,
    a_fresh_server_shows_synthetic_demo_data_until_real_data_is_loaded,
    a_reimport_replaces_its_snapshot_only,
    a_file_with_bad_rows_lists_every_problem_and_writes_nothing,
    synthetic_and_real_rows_never_share_an_employer,
);
