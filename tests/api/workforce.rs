//! The workforce API on small hand-built staff files whose every record is known here: the
//! figures the API must publish are worked out from those records with an independent
//! re-implementation of the ONS cell key method (`staff::Ckm`).

use std::io::Cursor;
use std::sync::Arc;

use mobility_explorer::domain::ptable::Ptable;
use mobility_explorer::domain::workforce::PersonKey;
use mobility_explorer::import::{self, ImportError, workforce::Summary};
use sea_orm::EntityTrait;
use serde_json::Value;

use crate::helpers::import_problems;
use crate::helpers::{Store, TestApp, error_code, error_message};
use crate::on_both_stores;
use crate::staff::{
    self, BIRMINGHAM, Batch, CARDIFF, Ckm, Person, WESTMINSTER, batch, fsm_group, people, round3,
    select,
};

/// The header without the `record_key` column: keys are then derived from the pseudonyms.
const HEADER: &str = staff::HEADER_WITHOUT_KEYS;

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
        batch(10, "Operations", AO, BIRMINGHAM, 2024, "professional").engagement(70.0),
        batch(2, "Digital", AO, BIRMINGHAM, 2021, "senior_manager").engagement(70.0),
        batch(4, "Operations", AO, BIRMINGHAM, 2020, "intermediate")
            .fsm("yes")
            .engagement(75.0),
        batch(4, "Operations", AO, BIRMINGHAM, 2020, "small_business")
            .fsm("no")
            .engagement(75.0),
        batch(1, "Operations", AO, BIRMINGHAM, 2020, "intermediate").engagement(75.0),
        batch(1, "Digital", AO, BIRMINGHAM, 2022, "intermediate").engagement(75.0),
        batch(6, "Operations", AO, BIRMINGHAM, 2024, "routine").engagement(60.0),
        batch(4, "Operations", AO, BIRMINGHAM, 2024, "technical_craft").engagement(60.0),
        batch(
            2,
            "Operations",
            AO,
            BIRMINGHAM,
            2024,
            "long_term_unemployed",
        )
        .engagement(60.0),
        batch(3, "Digital", AO, BIRMINGHAM, 2024, "routine").engagement(60.0),
        batch(1, "Operations", AO, BIRMINGHAM, 2019, "other").engagement(50.0),
        batch(1, "Operations", AO, BIRMINGHAM, 2019, "prefer_not_to_say").engagement(50.0),
        batch(1, "Operations", AO, BIRMINGHAM, 2019, "").engagement(50.0),
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

/// Everyone of EMP-A, both years (the same person references in both).
fn emp_a() -> Vec<Person> {
    let mut all = people("EMP-A", 2023, &emp_a_2023());
    all.extend(people("EMP-A", 2024, &emp_a_2024()));
    all
}

/// A CSV of one employer-year without record keys; person references restart at P1.
fn snapshot_csv(employer: &str, year: u32, batches: &[Batch]) -> String {
    staff::csv_without_keys(&people(employer, year, batches))
}

fn key() -> PersonKey {
    PersonKey::new(b"a test key of more than sixteen bytes").expect("long enough")
}

async fn load(app: &TestApp, name: &str, csv: &str) -> Result<Summary, ImportError> {
    import::workforce::import(&app.db, name, Cursor::new(csv.to_owned()), &key()).await
}

async fn spawn_loaded(store: Store) -> Option<TestApp> {
    spawn_loaded_with(store, |_| {}).await
}

async fn spawn_loaded_with(
    store: Store,
    adjust: impl FnOnce(&mut mobility_explorer::config::Config),
) -> Option<TestApp> {
    let app = TestApp::spawn_with(store, adjust).await?;
    load(&app, "emp-a.csv", &staff::csv(&emp_a()))
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

/// The group whose key field `field` is `value`.
fn group<'a>(groups: &'a Value, field: &str, value: Value) -> &'a Value {
    groups
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["key"][field] == value)
        .unwrap_or_else(|| panic!("no group with {field} = {value} in {groups}"))
}

const OCCUPATION: [&str; 3] = ["PROFESSIONAL", "INTERMEDIATE", "LOWER"];

/// Asserts that a published distribution group is what the cell key method gives for
/// `records`, whose background group `group_of` tells: headcount, respondents (a cell of its
/// own), declaration rate, and each category's count, share and reason for being withheld.
fn assert_group(
    ckm: &Ckm,
    published: &Value,
    records: &[&Person],
    group_of: impl Fn(&Person) -> Option<&'static str>,
    categories: &[&str],
) {
    let context = || format!("{published}");
    let declared: Vec<&Person> = records
        .iter()
        .copied()
        .filter(|p| group_of(p).is_some())
        .collect();
    let headcount = ckm.published(records.iter().copied());
    let respondents = ckm.published(declared.iter().copied());
    assert_eq!(published["headcount"].as_u64(), headcount, "{}", context());
    let cells = cells(published);
    assert_eq!(cells.len(), categories.len(), "{}", context());
    let (Some(h), Some(r)) = (headcount, respondents) else {
        let reason = "SUPPRESSED_SMALL_GROUP";
        if headcount.is_none() {
            assert_eq!(published["headcountSuppressed"], reason, "{}", context());
        }
        assert!(published["respondents"].is_null(), "{}", context());
        assert_eq!(published["respondentsSuppressed"], reason, "{}", context());
        assert!(published["declarationRate"].is_null(), "{}", context());
        for cell in cells.values() {
            assert!(cell["count"].is_null(), "{cell}");
            assert!(cell["share"].is_null(), "{cell}");
            assert_eq!(cell["suppressed"], reason, "{cell}");
        }
        return;
    };
    assert_eq!(published["respondents"].as_u64(), Some(r), "{}", context());
    assert_eq!(
        published["declarationRate"].as_f64(),
        Some(round3((r as f64 / h as f64).min(1.0))),
        "{}",
        context()
    );
    for category in categories {
        let cell = &cells[*category];
        let members = declared
            .iter()
            .copied()
            .filter(|p| group_of(p) == Some(*category));
        match ckm.published(members) {
            Some(n) => {
                assert_eq!(cell["count"].as_u64(), Some(n), "{category}: {cell}");
                assert_eq!(
                    cell["share"].as_f64(),
                    Some(round3(n as f64 / r as f64)),
                    "{category}: {cell}"
                );
                assert!(cell["suppressed"].is_null(), "{category}: {cell}");
            }
            None => {
                assert!(cell["count"].is_null(), "{category}: {cell}");
                assert!(cell["share"].is_null(), "{category}: {cell}");
                assert_eq!(
                    cell["suppressed"], "SUPPRESSED_SMALL_COUNT",
                    "{category}: {cell}"
                );
            }
        }
    }
}

/// [`assert_group`] for parental occupation.
fn assert_occupation(ckm: &Ckm, published: &Value, records: &[&Person]) {
    assert_group(ckm, published, records, Person::group, &OCCUPATION);
}

/// The lower-SEB share of some records as published (unrounded), or `None` when withheld.
fn lower_share(ckm: &Ckm, records: &[&Person]) -> Option<f64> {
    let declared: Vec<&Person> = records
        .iter()
        .copied()
        .filter(|p| p.group().is_some())
        .collect();
    let lower = declared
        .iter()
        .copied()
        .filter(|p| p.group() == Some("LOWER"));
    ckm.published(records.iter().copied())?;
    let r = ckm.published(declared.iter().copied())?;
    Some(ckm.published(lower)? as f64 / r as f64)
}

/// A mean engagement score as published: the sum over the perturbed number of people with a
/// score, rounded to a whole number; `None` when that number is below the threshold.
fn mean_score(ckm: &Ckm, records: &[&Person]) -> Option<f64> {
    let scored: Vec<&Person> = records
        .iter()
        .copied()
        .filter(|p| p.engagement.is_some())
        .collect();
    let people = ckm.published(scored.iter().copied())?;
    let total: f64 = scored.iter().filter_map(|p| p.engagement).sum();
    Some((total / people as f64).round().clamp(0.0, 100.0))
}

async fn the_overall_distribution_follows_the_cell_key_method(store: Store) {
    let Some(app) = spawn_loaded(store).await else {
        return;
    };
    let ckm = Ckm::default_method();
    let all = emp_a();
    let y2024 = select(&all, |p| p.year == 2024);
    let data = app
        .data(
            r#"{ workforce {
                years synthetic headcount headcountSuppressed
                employers { code name synthetic }
                distribution(benchmark: "UK") {
                    headcount headcountSuppressed respondents respondentsSuppressed declarationRate
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
    assert_eq!(
        w["headcount"].as_u64(),
        ckm.published(y2024.iter().copied())
    );
    assert!(
        w["headcount"].as_u64().is_some_and(|h| h.abs_diff(85) <= 2),
        "{w}"
    );
    assert_eq!(w["distribution"].as_array().map(Vec::len), Some(1));
    let overall = &w["distribution"][0];
    assert_occupation(&ckm, overall, &y2024);
    // The same set of records gives the same figure: the headcount of the only group is the
    // headcount of the filter.
    assert_eq!(overall["headcount"], w["headcount"]);

    // The UK benchmark, served with its caveat because it is not confirmed.
    let c = cells(overall);
    assert_eq!(c["PROFESSIONAL"]["benchmarkShare"].as_f64(), Some(0.37));
    assert_eq!(c["INTERMEDIATE"]["benchmarkShare"].as_f64(), Some(0.24));
    assert_eq!(c["LOWER"]["benchmarkShare"].as_f64(), Some(0.39));
    assert_eq!(c["LOWER"]["benchmark"]["confirmed"], false);
    assert_eq!(c["LOWER"]["benchmark"]["period"], "2021");
    assert!(c["LOWER"]["benchmark"]["caveat"].is_string());

    // Other measures: school type (everyone state-educated) against the confirmed
    // independent-school share; an empty cell is withheld like any count below 10.
    let data = app
        .data(
            r#"{ workforce { distribution(measure: SCHOOL_TYPE, benchmark: "uk") {
                headcount headcountSuppressed respondents respondentsSuppressed declarationRate
                categories { category count share benchmarkShare suppressed benchmark { confirmed } } } } }"#,
        )
        .await;
    let school = &data["workforce"]["distribution"][0];
    assert_group(
        &ckm,
        school,
        &y2024,
        |_| Some("STATE"),
        &["STATE", "INDEPENDENT", "OVERSEAS"],
    );
    let c = cells(school);
    assert_eq!(c["INDEPENDENT"]["suppressed"], "SUPPRESSED_SMALL_COUNT");
    assert_eq!(c["INDEPENDENT"]["benchmarkShare"].as_f64(), Some(0.075));
    assert_eq!(c["INDEPENDENT"]["benchmark"]["confirmed"], true);
    assert!(c["STATE"]["benchmarkShare"].is_null());
    app.stop().await;
}

async fn every_grouping_follows_the_cell_key_method(store: Store) {
    let Some(app) = spawn_loaded(store).await else {
        return;
    };
    let ckm = Ckm::default_method();
    let all = emp_a();
    let y2024 = select(&all, |p| p.year == 2024);
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
    let of = |keep: &dyn Fn(&Person) -> bool| -> Vec<&Person> {
        y2024.iter().copied().filter(|p| keep(p)).collect()
    };

    assert_eq!(w["byGrade"].as_array().map(Vec::len), Some(3));
    for level in 1..=3u32 {
        let published = group(&w["byGrade"], "gradeLevel", level.into());
        assert_eq!(
            published["key"]["region"],
            Value::Null,
            "not grouped by region"
        );
        assert_occupation(&ckm, published, &of(&|p| p.grade_level() == level));
    }

    assert_eq!(w["byRegion"].as_array().map(Vec::len), Some(3));
    for region in ["E12000005", "E12000007", "W92000004"] {
        let published = group(&w["byRegion"], "region", region.into());
        assert_occupation(&ckm, published, &of(&|p| p.region() == region));
    }
    assert_eq!(
        group(&w["byRegion"], "region", "E12000007".into())["key"]["regionName"],
        "London"
    );
    // Wales: the 5 people in Cardiff are a small group whatever the noise.
    let wales = group(&w["byRegion"], "region", "W92000004".into());
    assert!(wales["headcount"].is_null());
    assert_eq!(wales["respondentsSuppressed"], "SUPPRESSED_SMALL_GROUP");

    for unit in ["Digital", "Operations", "Policy"] {
        let published = group(&w["byUnit"], "businessUnit", unit.into());
        assert_occupation(&ckm, published, &of(&|p| p.unit == unit));
    }

    let by_area = app
        .data(
            r#"{ workforce { distribution(by: [LOCAL_AUTHORITY, GRADE_LEVEL]) {
                key { gradeLevel localAuthority }
                headcount headcountSuppressed respondents respondentsSuppressed declarationRate
                categories { category count share suppressed }
            } } }"#,
        )
        .await;
    let by_area = &by_area["workforce"]["distribution"];
    for published in by_area.as_array().expect("groups") {
        let area = published["key"]["localAuthority"].as_str().expect("area");
        let level = published["key"]["gradeLevel"].as_u64().expect("level") as u32;
        assert_occupation(
            &ckm,
            published,
            &of(&|p| p.area == area && p.grade_level() == level),
        );
    }
    assert_eq!(by_area.as_array().map(Vec::len), Some(4));

    // Free school meals: only 8 answered yes or no, a small group of respondents.
    assert_group(
        &ckm,
        &w["fsm"][0],
        &y2024,
        |p| fsm_group(p.fsm),
        &["YES", "NO"],
    );
    assert_eq!(
        w["fsm"][0]["respondentsSuppressed"],
        "SUPPRESSED_SMALL_GROUP"
    );
    // Nobody answered the self-assessed question: no respondents, nothing shown.
    assert_group(
        &ckm,
        &w["selfAssessed"][0],
        &y2024,
        |_| None,
        &["YES", "NO"],
    );

    // Two years side by side: 2023 has 12 people in three cells, each below 10.
    let data = app
        .data(
            r#"{ workforce(filter: { years: [2023, 2024] }) {
                years headcount
                distribution(by: [YEAR, EMPLOYER]) {
                    key { year employer employerName }
                    headcount headcountSuppressed respondents respondentsSuppressed declarationRate
                    categories { category count share suppressed }
                }
            } }"#,
        )
        .await;
    let w = &data["workforce"];
    assert_eq!(w["headcount"].as_u64(), ckm.published(all.iter()));
    for year in [2023u32, 2024] {
        let published = group(&w["distribution"], "year", year.into());
        assert_eq!(published["key"]["employer"], "EMP-A");
        assert_occupation(&ckm, published, &select(&all, |p| p.year == year));
    }
    for cell in cells(group(&w["distribution"], "year", 2023.into())).values() {
        assert!(cell["count"].is_null(), "{cell}");
    }
    app.stop().await;
}

async fn who_gets_in_on_and_how_it_feels_from_published_counts(store: Store) {
    let Some(app) = spawn_loaded(store).await else {
        return;
    };
    let ckm = Ckm::default_method();
    let all = emp_a();
    let y2024 = select(&all, |p| p.year == 2024);
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
                  headcount headcountSuppressed respondents respondentsSuppressed declarationRate
                  categories { category count share benchmarkShare suppressed }
                }
              }
            }"#,
        )
        .await;
    let all_2024 = &data["all"];
    let overall = lower_share(&ckm, &y2024).expect("the overall lower share is shown");
    for published in all_2024["whoGetsOn"].as_array().expect("groups") {
        let level = published["key"]["gradeLevel"].as_u64().expect("level") as u32;
        let records = select(&all, |p| p.year == 2024 && p.grade_level() == level);
        match lower_share(&ckm, &records) {
            Some(share) => {
                assert_eq!(
                    published["lowerShare"].as_f64(),
                    Some(round3(share)),
                    "{published}"
                );
                assert_eq!(
                    published["overallLowerShare"].as_f64(),
                    Some(round3(overall))
                );
                assert_eq!(published["gap"].as_f64(), Some(round3(share - overall)));
                assert!(published["suppressed"].is_null());
            }
            None => {
                assert!(published["lowerShare"].is_null(), "{published}");
                assert!(published["gap"].is_null(), "{published}");
                assert!(published["suppressed"].is_string(), "{published}");
            }
        }
    }

    let ratio = &all_2024["progressionRatio"];
    assert_eq!(ratio["seniorGradeLevel"], 3);
    let senior = select(&all, |p| p.year == 2024 && p.grade_level() == 3);
    match lower_share(&ckm, &senior) {
        Some(share) => {
            assert_eq!(ratio["seniorLowerShare"].as_f64(), Some(round3(share)));
            assert_eq!(ratio["overallLowerShare"].as_f64(), Some(round3(overall)));
            assert_eq!(ratio["value"].as_f64(), Some(round3(share / overall)));
        }
        None => {
            assert!(ratio["value"].is_null(), "{ratio}");
            assert!(ratio["suppressed"].is_string(), "{ratio}");
        }
    }

    // Lower: 15 at 60. Others declared: 12 at 70 and 10 at 75. The 3 unknown count in neither.
    let gap = &all_2024["engagementGap"];
    let lower = mean_score(
        &ckm,
        &select(&all, |p| p.year == 2024 && p.group() == Some("LOWER")),
    );
    let other = mean_score(
        &ckm,
        &select(&all, |p| {
            p.year == 2024 && matches!(p.group(), Some("PROFESSIONAL" | "INTERMEDIATE"))
        }),
    );
    assert_eq!(gap["lowerMean"].as_f64(), lower, "{gap}");
    assert_eq!(gap["otherMean"].as_f64(), other, "{gap}");
    assert_eq!(
        gap["value"].as_f64(),
        lower.zip(other).map(|(l, o)| l - o),
        "{gap}"
    );
    // Whole numbers near the true means (60 and 72.3): the noise moves a denominator by at
    // most 2.
    assert!(lower.is_some_and(|m| (52.0..=69.0).contains(&m)), "{gap}");
    assert!(other.is_some_and(|m| (66.0..=80.0).contains(&m)), "{gap}");

    // Who gets in: 25 joiners, 10 professional and 15 lower.
    let joiners = &data["joiners"];
    let joined = select(&all, |p| p.year == 2024 && p.is_joiner());
    assert_eq!(joined.len(), 25);
    assert_eq!(
        joiners["headcount"].as_u64(),
        ckm.published(joined.iter().copied())
    );
    assert_occupation(&ckm, &joiners["distribution"][0], &joined);
    assert_eq!(
        cells(&joiners["distribution"][0])["LOWER"]["benchmarkShare"].as_f64(),
        Some(0.39)
    );
    app.stop().await;
}

async fn filters_by_area_unit_and_grade_and_protect_small_figures(store: Store) {
    let Some(app) = spawn_loaded(store).await else {
        return;
    };
    let ckm = Ckm::default_method();
    let all = emp_a();
    let data = app
        .data(
            r#"{
              london: workforce(filter: { areas: ["E12000007"] }) {
                headcount
                progressionRatio { value seniorGradeLevel seniorLowerShare overallLowerShare suppressed }
                engagementGap { value lowerMean otherMean suppressed }
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
    let in_2024 = |keep: &dyn Fn(&Person) -> bool| -> Vec<&Person> {
        all.iter().filter(|p| p.year == 2024 && keep(p)).collect()
    };
    // A region includes its authorities: Westminster's 40.
    let london = in_2024(&|p| p.region() == "E12000007");
    assert_eq!(london.len(), 40);
    assert_eq!(
        data["london"]["headcount"].as_u64(),
        ckm.published(london.iter().copied())
    );
    // Its most senior grade (15 people: 8 professional, 7 lower): the lower cell is below 10
    // before noise, so at most 9 after.
    let ratio = &data["london"]["progressionRatio"];
    assert_eq!(ratio["seniorGradeLevel"], 3);
    assert!(ratio["value"].is_null(), "{ratio}");
    assert!(ratio["seniorLowerShare"].is_null(), "{ratio}");
    assert!(ratio["suppressed"].is_string(), "{ratio}");
    // Nobody in London has an engagement score: both means withheld.
    assert_eq!(
        data["london"]["engagementGap"]["suppressed"],
        "SUPPRESSED_SMALL_GROUP"
    );
    assert!(data["london"]["engagementGap"]["lowerMean"].is_null());
    // An ITL code names the same region, so the same records and the same figure.
    let midlands = in_2024(&|p| p.region() == "E12000005");
    assert_eq!(
        data["midlandsByItl"]["headcount"].as_u64(),
        ckm.published(midlands.iter().copied())
    );
    // Five people in Cardiff: never shown.
    assert!(data["cardiff"]["headcount"].is_null());
    assert_eq!(
        data["cardiff"]["headcountSuppressed"],
        "SUPPRESSED_SMALL_COUNT"
    );
    assert!(data["cardiff"]["distribution"][0]["headcount"].is_null());
    let senior_london_wales = in_2024(&|p| p.grade_level() == 3);
    assert_eq!(
        data["londonAndWales"]["headcount"].as_u64(),
        ckm.published(senior_london_wales.iter().copied())
    );
    // Digital: 6 people; means over 3 lower and 3 others are not shown.
    assert!(data["digital"]["headcount"].is_null());
    let gap = &data["digital"]["engagementGap"];
    assert!(gap["value"].is_null());
    assert!(gap["lowerMean"].is_null());
    assert!(gap["otherMean"].is_null());
    assert_eq!(gap["suppressed"], "SUPPRESSED_SMALL_GROUP");
    // Grade level 1 in Operations: lower 12 at 60, others 10 at 70 and 9 at 75.
    let ops1 = in_2024(&|p| p.grade_level() == 1 && p.unit == "Operations");
    assert_eq!(
        data["grade1Ops"]["headcount"].as_u64(),
        ckm.published(ops1.iter().copied())
    );
    let gap = &data["grade1Ops"]["engagementGap"];
    let lower = mean_score(
        &ckm,
        &select(&all, |p| {
            p.year == 2024
                && p.grade_level() == 1
                && p.unit == "Operations"
                && p.group() == Some("LOWER")
        }),
    );
    assert_eq!(gap["lowerMean"].as_f64(), lower, "{gap}");
    app.stop().await;
}

async fn the_threshold_and_ptable_come_from_configuration(store: Store) {
    // The bundled table, described without being published.
    let Some(app) = spawn_loaded(store).await else {
        return;
    };
    let data = app
        .data(
            r#"{ workforce { disclosure {
                method minimumCount totalsEqualSumOfCells note
                ptable { name sha256 maxDeviation variance }
            } } }"#,
        )
        .await;
    let d = &data["workforce"]["disclosure"];
    assert_eq!(d["method"], "CELL_KEY_PERTURBATION");
    assert_eq!(d["minimumCount"], 10);
    assert_eq!(d["totalsEqualSumOfCells"], false);
    assert!(
        d["note"].as_str().is_some_and(|n| n.contains("Totals")),
        "{d}"
    );
    assert_eq!(d["ptable"]["maxDeviation"], 2);
    assert_eq!(d["ptable"]["variance"].as_f64(), Some(1.0));
    assert!(
        d["ptable"]["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("default"))
    );
    // The hash is of the table `ptable --out` writes.
    use sha2::Digest;
    let written = hex::encode(sha2::Sha256::digest(staff::default_ptable_csv().as_bytes()));
    assert_eq!(d["ptable"]["sha256"], written.as_str());
    app.stop().await;

    // Another table and threshold: a table that adds 1 to every count, and k = 3. In 2023
    // (5, 2, 5 in one group of 12) the 2 becomes 3 and is shown.
    let mut plus_one = String::from("pcv,ckey,pvalue\n");
    for pcv in 1..=750 {
        for ckey in 0..256 {
            plus_one.push_str(&format!("{pcv},{ckey},1\n"));
        }
    }
    let table = Ptable::read_csv("plus-one.csv", plus_one.as_bytes()).expect("a valid table");
    let Some(app) = spawn_loaded_with(store, |config| {
        config.disclosure.min_count = 3;
        config.disclosure.ptable = Arc::new(table);
    })
    .await
    else {
        return;
    };
    let data = app
        .data(
            r#"{ workforce(filter: { years: [2023] }) {
                headcount
                disclosure { minimumCount ptable { name maxDeviation } }
                distribution {
                    headcount headcountSuppressed respondents respondentsSuppressed declarationRate
                    categories { category count share suppressed }
                }
            } }"#,
        )
        .await;
    let w = &data["workforce"];
    assert_eq!(w["disclosure"]["minimumCount"], 3);
    assert_eq!(w["disclosure"]["ptable"]["name"], "plus-one.csv");
    assert_eq!(w["disclosure"]["ptable"]["maxDeviation"], 1);
    assert_eq!(w["headcount"], 13);
    let ckm = Ckm::from_csv(&plus_one, 3);
    assert_occupation(
        &ckm,
        &w["distribution"][0],
        &select(&emp_a(), |p| p.year == 2023),
    );
    let c = cells(&w["distribution"][0]);
    assert_eq!(c["INTERMEDIATE"]["count"], 3);
    assert_eq!(c["PROFESSIONAL"]["count"], 6);
    app.stop().await;
}

/// The default ptable with each row's noise given out to the cell keys in yet another order
/// for every pcv: a second table whose rows all differ, so that each count is seen to be looked
/// up on its own row (and counts above 750 on the wrapped one) whatever the default holds.
fn scrambled_ptable() -> String {
    let mut rows: std::collections::BTreeMap<u64, Vec<String>> = Default::default();
    for line in staff::default_ptable_csv().lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        rows.entry(fields[0].parse().expect("pcv"))
            .or_default()
            .push(fields[2].to_owned());
    }
    let mut csv = String::from("pcv,ckey,pvalue\n");
    for (pcv, row) in rows {
        for ckey in 0..256u64 {
            let from = ((ckey + 7 * pcv) % 256) as usize;
            csv.push_str(&format!("{pcv},{ckey},{}\n", row[from]));
        }
    }
    csv
}

/// The done-when check of the cell key method: a workforce imported with a `record_key`
/// column, distributed by grade level, equals value for value what the ONS method computes
/// from the same records (headcounts, respondents and cells), including a grade of more than
/// 750 people (whose pcv wraps to 501-750) and grades too small to show; with the bundled
/// ptable and with one whose rows all differ.
async fn the_distribution_by_grade_level_equals_the_ons_method_value_for_value(store: Store) {
    let mut batches = Vec::new();
    for (level, label, sizes) in [
        (1u32, "L1", [420usize, 260, 230, 9]),
        (2, "L2", [60, 47, 52, 12]),
        (3, "L3", [21, 8, 14, 2]),
        (4, "L4", [9, 3, 6, 1]),
        (5, "L5", [2, 0, 1, 0]),
    ] {
        let grade: (&'static str, u32) = (label, level);
        for (occupation, n) in ["professional", "small_business", "routine", "other"]
            .into_iter()
            .zip(sizes)
        {
            if n > 0 {
                batches.push(batch(n, "Operations", grade, BIRMINGHAM, 2015, occupation));
            }
        }
    }
    let records = people("EMP-O", 2024, &batches);
    let scrambled = scrambled_ptable();
    for ptable in [None, Some(scrambled.as_str())] {
        let Some(app) = TestApp::spawn_with(store, |config| {
            if let Some(csv) = ptable {
                let table = Ptable::read_csv("scrambled.csv", csv.as_bytes()).expect("valid");
                config.disclosure.ptable = Arc::new(table);
            }
        })
        .await
        else {
            return;
        };
        let ckm = match ptable {
            None => Ckm::default_method(),
            Some(csv) => Ckm::from_csv(csv, 10),
        };
        load(&app, "emp-o.csv", &staff::csv(&records))
            .await
            .expect("imports");
        let data = app
            .data(
                r#"{ workforce { distribution(by: [GRADE_LEVEL]) {
                    key { gradeLevel }
                    headcount headcountSuppressed respondents respondentsSuppressed declarationRate
                    categories { category count share suppressed }
                } } }"#,
            )
            .await;
        let groups = &data["workforce"]["distribution"];
        assert_eq!(groups.as_array().map(Vec::len), Some(5));
        for level in 1..=5u32 {
            let published = group(groups, "gradeLevel", level.into());
            assert_occupation(
                &ckm,
                published,
                &select(&records, |p| p.grade_level() == level),
            );
        }
        // Level 1 holds 919 people: its headcount is looked up on row ((919 - 1) mod 250) + 501.
        assert!(
            group(groups, "gradeLevel", 1.into())["headcount"]
                .as_u64()
                .is_some_and(|h| h.abs_diff(919) <= 2)
        );
        app.stop().await;
    }
}

async fn employer_codes_in_filters_ignore_case(store: Store) {
    let Some(app) = spawn_loaded(store).await else {
        return;
    };
    let ask = async |codes: &str| {
        app.data(&format!(
            r#"{{ workforce(filter: {{ employers: [{codes}] }}) {{
                headcount distribution(by: [GRADE_LEVEL]) {{ key {{ gradeLevel }} headcount respondents }} }} }}"#
        ))
        .await
    };
    let exact = ask(r#""EMP-A""#).await;
    assert!(
        exact["workforce"]["headcount"].as_i64().is_some(),
        "{exact}"
    );
    assert_eq!(ask(r#""emp-a""#).await, exact);
    // Named twice in two spellings, it is still one employer, counted once.
    assert_eq!(ask(r#""Emp-A", "EMP-A""#).await, exact);
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

/// "Compare with your region": an area without a published reference population gives the
/// staff of the other loaded employers working there in the same years, exactly as a filter
/// naming them answers (so it reveals nothing a filter does not), labelled as computed.
async fn a_benchmark_area_compares_with_other_employers_staff_there(store: Store) {
    let Some(app) = TestApp::spawn_with(store, |config| config.demo_data = true).await else {
        return;
    };
    let data = app.data("{ employers { code } }").await;
    let codes: Vec<String> = data["employers"]
        .as_array()
        .expect("employers")
        .iter()
        .filter_map(|e| e["code"].as_str().map(str::to_owned))
        .collect();
    assert!(codes.len() >= 3, "{codes:?}");
    let (mine, others) = (&codes[0], &codes[1..]);
    let others_json = serde_json::to_string(others).expect("json");
    for (area, name) in [("E12000007", "London"), ("E08000025", "Birmingham")] {
        let data = app
            .data(&format!(
                r#"{{ mine: workforce(filter: {{ employers: ["{mine}"], years: [2023] }}) {{
                       distribution(measure: SCHOOL_TYPE, benchmark: "{area}") {{
                         categories {{ category benchmarkShare
                           benchmark {{ published confirmed population areaCode period caveat measure }} }} }} }}
                     theirs: workforce(filter: {{ employers: {others_json}, years: [2023], areas: ["{area}"] }}) {{
                       distribution(measure: SCHOOL_TYPE) {{ categories {{ category share }} }} }} }}"#
            ))
            .await;
        let ours = data["mine"]["distribution"][0]["categories"]
            .as_array()
            .expect("categories");
        let theirs = data["theirs"]["distribution"][0]["categories"]
            .as_array()
            .expect("categories");
        let mut compared = 0;
        for category in ours {
            let share = theirs
                .iter()
                .find(|t| t["category"] == category["category"])
                .map(|t| t["share"].clone())
                .unwrap_or(Value::Null);
            assert_eq!(category["benchmarkShare"], share, "{area} {category}");
            if share.is_null() {
                assert!(category["benchmark"].is_null());
                continue;
            }
            let benchmark = &category["benchmark"];
            assert_eq!(benchmark["published"], false);
            assert_eq!(benchmark["areaCode"], area);
            assert_eq!(benchmark["period"], "2023");
            assert_eq!(benchmark["measure"], "SCHOOL_TYPE");
            let population = benchmark["population"].as_str().expect("population");
            assert!(
                population.contains(name) && population.contains(&others[0]),
                "{population}"
            );
            assert!(!population.contains(&format!("{mine},")), "{population}");
            assert!(
                benchmark["caveat"]
                    .as_str()
                    .is_some_and(|c| c.contains("Not a published"))
            );
            compared += 1;
        }
        assert!(compared >= 2, "{area}: {ours:?}");
    }
    // The UK keeps its published reference population.
    let data = app
        .data(&format!(
            r#"{{ workforce(filter: {{ employers: ["{mine}"] }}) {{ distribution(benchmark: "UK") {{
                 categories {{ benchmark {{ published areaCode }} }} }} }} }}"#
        ))
        .await;
    let first = &data["workforce"]["distribution"][0]["categories"][0]["benchmark"];
    assert_eq!(first["published"], true, "{data}");
    assert_eq!(first["areaCode"], "K02000001");
    // With every employer in the filter there is no one else to compare with.
    let all = app
        .query(r#"{ workforce { distribution(benchmark: "E12000007") { headcount } } }"#)
        .await;
    assert_eq!(error_code(&all), "BAD_USER_INPUT", "{all}");
    assert!(
        error_message(&all).contains("no other synthetic employer"),
        "{all}"
    );
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

    let emp_a = emp_a();
    load(&app, "emp-a.csv", &staff::csv(&emp_a))
        .await
        .expect("imports");
    let data = app.data(query).await;
    assert_eq!(data["workforce"]["synthetic"], false);
    assert_eq!(
        data["workforce"]["headcount"].as_u64(),
        Ckm::default_method().published(select(&emp_a, |p| p.year == 2024))
    );
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

    // A new 2023 of 15 people in a new business unit, in a file without record keys.
    let new_2023 = [batch(15, "Finance", AO, BIRMINGHAM, 2023, "routine")];
    let csv = snapshot_csv("EMP-A", 2023, &new_2023);
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
    // P1-P12 were in the 2023 snapshot and keep their record keys; P13-P15 are new and get
    // the first byte of their pseudonym.
    let old = emp_a();
    let mut expected = people("EMP-A", 2023, &new_2023);
    for p in &mut expected {
        p.record_key = match old
            .iter()
            .find(|o| o.year == 2023 && o.reference == p.reference)
        {
            Some(kept) => kept.record_key,
            None => u8::from_str_radix(&key().pseudonym(&p.reference)[..2], 16).expect("hex"),
        };
    }
    let ckm = Ckm::default_method();
    assert_eq!(
        data["y2023"]["headcount"].as_u64(),
        ckm.published(&expected)
    );
    assert_eq!(
        data["y2024"]["headcount"].as_u64(),
        ckm.published(select(&old, |p| p.year == 2024))
    );
    let stored = entity::staff_record::Entity::find()
        .all(&app.db)
        .await
        .expect("records");
    for p in &expected {
        let hash = key().pseudonym(&p.reference);
        let record = stored
            .iter()
            .find(|r| r.year == 2023 && r.person_hash == hash)
            .expect("stored");
        assert_eq!(
            record.record_key,
            i32::from(p.record_key),
            "{}",
            p.reference
        );
    }
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
    // The earlier 2023 (12 people) is kept as the version of the release that published it.
    assert_eq!(records.len(), 12 + 15 + 85);
    let versions = entity::workforce_snapshot::Entity::find()
        .all(&app.db)
        .await
        .expect("snapshots");
    let mut versions: Vec<(i32, i64, Option<i32>)> = versions
        .iter()
        .map(|s| (s.year, s.records, s.release_id))
        .collect();
    versions.sort();
    assert_eq!(versions.len(), 3, "{versions:?}");
    assert_eq!((versions[0].0, versions[0].1), (2023, 12));
    assert_eq!((versions[1].0, versions[1].1), (2023, 15));
    assert!(versions[0].2 < versions[1].2, "{versions:?}");
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
    let problems = import_problems(load(&app, "bad.csv", &csv).await);
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

/// A new snapshot is written straight to the records and a replacing one is staged: a
/// person given twice is named by line in both, and a refused file leaves the stored
/// snapshot, and no new one, behind.
async fn a_person_twice_is_found_by_line_in_new_and_replacing_snapshots(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let row = |person: &str, year: u32| {
        format!("{person},EMP-B,{year},Ops,AO,1,E08000025,2020,routine,,,,,")
    };
    let first = [HEADER, &row("P1", 2024), &row("P2", 2024)].join("\n");
    load(&app, "first.csv", &first).await.expect("imports");

    // Lines 2-4 replace 2024 (staged), lines 5-8 are a new 2023 (straight to the records).
    let csv = [
        HEADER,
        &row("P1", 2024),
        &row("P3", 2024),
        &row("P1", 2024),
        &row("P5", 2023),
        &row("P6", 2023),
        &row("P6", 2023),
        &row("P5", 2023),
    ]
    .join("\n");
    let problems = import_problems(load(&app, "both.csv", &csv).await);
    let repeats: Vec<(Option<u64>, &str)> = problems
        .iter()
        .map(|p| (p.line, p.reason.as_str()))
        .collect();
    assert_eq!(
        repeats,
        [
            (
                Some(4),
                "the same person appears twice for EMP-B in 2024 (first on line 2)"
            ),
            (
                Some(7),
                "the same person appears twice for EMP-B in 2023 (first on line 6)"
            ),
            (
                Some(8),
                "the same person appears twice for EMP-B in 2023 (first on line 5)"
            ),
        ],
        "{problems:#?}"
    );
    let snapshots = entity::workforce_snapshot::Entity::find()
        .all(&app.db)
        .await
        .expect("snapshots");
    assert_eq!(
        snapshots
            .iter()
            .map(|s| (s.year, s.records, s.source.as_str()))
            .collect::<Vec<_>>(),
        [(2024, 2, "first.csv")]
    );
    let records = entity::staff_record::Entity::find()
        .all(&app.db)
        .await
        .expect("records");
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|r| r.snapshot_id == snapshots[0].id));

    // Without the repeats both go in, and every record keeps its line.
    let csv = [
        HEADER,
        &row("P1", 2024),
        &row("P3", 2024),
        &row("P5", 2023),
        &row("P6", 2023),
        &row("P7", 2023),
    ]
    .join("\n");
    let summary = load(&app, "both.csv", &csv).await.expect("imports");
    assert_eq!(summary.rows, 5);
    let replaced: Vec<(i32, u64, bool)> = summary
        .snapshots
        .iter()
        .map(|(_, year, records, replaced)| (*year, *records, *replaced))
        .collect();
    assert_eq!(replaced, [(2023, 3, false), (2024, 2, true)]);
    let snapshots = entity::workforce_snapshot::Entity::find()
        .all(&app.db)
        .await
        .expect("snapshots");
    let mut counts: Vec<(i32, i64, &str)> = snapshots
        .iter()
        .map(|s| (s.year, s.records, s.source.as_str()))
        .collect();
    counts.sort();
    // first.csv's 2024 stays, as the version its release published.
    assert_eq!(
        counts,
        [
            (2023, 3, "both.csv"),
            (2024, 2, "both.csv"),
            (2024, 2, "first.csv")
        ]
    );
    let new: Vec<i32> = snapshots
        .iter()
        .filter(|s| s.source == "both.csv")
        .map(|s| s.id)
        .collect();
    let mut lines: Vec<(i32, String, Option<i64>)> = entity::staff_record::Entity::find()
        .all(&app.db)
        .await
        .expect("records")
        .into_iter()
        .filter(|r| new.contains(&r.snapshot_id))
        .map(|r| (r.year, r.person_hash, r.line))
        .collect();
    lines.sort_by_key(|(_, _, line)| *line);
    let expected: Vec<(i32, String, Option<i64>)> = [
        ("P1", 2024, 2),
        ("P3", 2024, 3),
        ("P5", 2023, 4),
        ("P6", 2023, 5),
        ("P7", 2023, 6),
    ]
    .into_iter()
    .map(|(p, year, line)| (year, key().pseudonym(p), Some(line)))
    .collect();
    assert_eq!(lines, expected);
    app.stop().await;
}

async fn synthetic_and_real_rows_never_share_an_employer(store: Store) {
    let Some(app) = spawn_loaded(store).await else {
        return;
    };
    let csv =
        format!("{HEADER},synthetic\nP1,EMP-A,2025,Ops,AO,1,E08000025,2020,routine,,,,,,true\n");
    let problems = import_problems(load(&app, "synthetic.csv", &csv).await);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].reason.contains("real"), "{problems:#?}");
    let data = app
        .data("{ workforce(filter: { years: [2025] }) { headcount headcountSuppressed } }")
        .await;
    // Nobody: withheld like any count below the threshold.
    assert!(data["workforce"]["headcount"].is_null());
    assert_eq!(
        data["workforce"]["headcountSuppressed"],
        "SUPPRESSED_SMALL_COUNT"
    );
    app.stop().await;
}

async fn record_keys_are_checked_kept_and_derived(store: Store) {
    let Some(app) = spawn_loaded(store).await else {
        return;
    };
    // Bad keys are row problems, every one listed, and nothing is written.
    let row = |reference: &str, key: &str| {
        format!("{reference},EMP-B,2024,Ops,AO,1,E08000025,2020,routine,,,,,,{key}")
    };
    let csv = [
        staff::HEADER.to_owned(),
        row("P1", "17"),
        row("P2", "256"),
        row("P3", "-1"),
        row("P4", "x"),
        row("P5", ""),
        row("P6", "3.5"),
    ]
    .join("\n");
    let problems = import_problems(load(&app, "bad-keys.csv", &csv).await);
    for (line, value) in [(3, "256"), (4, "-1"), (5, "x"), (6, ""), (7, "3.5")] {
        let problem = problems
            .iter()
            .find(|p| p.line == Some(line) && p.column.as_deref() == Some("record_key"))
            .unwrap_or_else(|| panic!("no problem on line {line}: {problems:#?}"));
        assert_eq!(problem.value.as_deref(), Some(value));
        assert!(problem.reason.contains("0 to 255"), "{problem:?}");
    }
    assert_eq!(problems.len(), 5, "{problems:#?}");

    // A person already in a snapshot keeps their key: a different one is refused, naming it.
    let mut changed = select(&emp_a(), |p| p.year == 2024)
        .into_iter()
        .cloned()
        .collect::<Vec<Person>>();
    let kept = changed[4].record_key;
    changed[4].record_key = kept.wrapping_add(1);
    let problems = import_problems(load(&app, "rekeyed.csv", &staff::csv(&changed)).await);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].line, Some(6));
    assert!(
        problems[0].reason.contains(&format!("record key {kept}")),
        "{problems:#?}"
    );

    // Without the column, a new person's key is the first byte of their pseudonym.
    let csv = snapshot_csv(
        "EMP-C",
        2024,
        &[batch(12, "Ops", AO, BIRMINGHAM, 2020, "routine")],
    );
    load(&app, "emp-c.csv", &csv).await.expect("imports");
    let stored = entity::staff_record::Entity::find()
        .all(&app.db)
        .await
        .expect("records");
    let emp_c_id = entity::employer::Entity::find()
        .all(&app.db)
        .await
        .expect("employers")
        .into_iter()
        .find(|e| e.code == "EMP-C")
        .expect("EMP-C stored")
        .id;
    let emp_c: Vec<_> = stored
        .iter()
        .filter(|r| r.employer_id == emp_c_id)
        .collect();
    assert_eq!(emp_c.len(), 12);
    for r in emp_c {
        let first = i32::from_str_radix(&r.person_hash[..2], 16).expect("hex");
        assert_eq!(r.record_key, first);
    }
    app.stop().await;
}

/// Records stored before record keys existed get, from the migration that adds them, the key
/// an import derives: the first byte of their person hash.
async fn records_stored_before_record_keys_get_the_derived_key(store: Store) {
    use migration::{Migrator, MigratorTrait};
    use sea_orm::ConnectionTrait;
    let Some(test_store) = crate::helpers::TestStore::new(store).await else {
        return;
    };
    let db = sea_orm::Database::connect(test_store.url.as_str())
        .await
        .expect("connects");
    Migrator::up(&db, Some(4))
        .await
        .expect("the first four migrations");
    let hashes = ["00ff", "a7b2", "ff01", "0a10"];
    let mut sql = vec![
        "INSERT INTO area (code, name, level) VALUES ('E08000025', 'Birmingham', 'LOCAL_AUTHORITY')".to_owned(),
        "INSERT INTO employer (code, name, synthetic) VALUES ('OLD', 'Old', false)".to_owned(),
        "INSERT INTO business_unit (employer_id, name) VALUES (1, 'Ops')".to_owned(),
        "INSERT INTO grade (employer_id, label, grade_level) VALUES (1, 'AO', 1)".to_owned(),
        "INSERT INTO workforce_snapshot (employer_id, year, source, records, imported_at) VALUES (1, 2024, 'old.csv', 4, 0)".to_owned(),
    ];
    for hash in hashes {
        sql.push(format!(
            "INSERT INTO staff_record (snapshot_id, person_hash, employer_id, year, business_unit_id, grade_id, grade_level, work_area, work_region) VALUES (1, '{hash}0000000000000000000000000000', 1, 2024, 1, 1, 1, 'E08000025', 'E12000005')"
        ));
    }
    for statement in sql {
        db.execute_unprepared(&statement).await.expect("inserted");
    }
    Migrator::up(&db, None)
        .await
        .expect("the record keys migration");
    let stored = entity::staff_record::Entity::find()
        .all(&db)
        .await
        .expect("records");
    assert_eq!(stored.len(), hashes.len());
    for r in &stored {
        let expected = i32::from_str_radix(&r.person_hash[..2], 16).expect("hex");
        assert_eq!(r.record_key, expected, "{}", r.person_hash);
    }
    // And back: the column goes, the records stay.
    Migrator::down(&db, Some(1)).await.expect("reverted");
    let left = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM staff_record",
        ))
        .await
        .expect("counted")
        .expect("a row");
    assert_eq!(left.try_get::<i64>("", "n").expect("n"), 4);
    db.close().await.expect("closed");
    test_store.drop_store().await;
}

on_both_stores!(
    a_person_twice_is_found_by_line_in_new_and_replacing_snapshots,
    a_benchmark_area_compares_with_other_employers_staff_there,
    records_stored_before_record_keys_get_the_derived_key,
    the_overall_distribution_follows_the_cell_key_method,
    every_grouping_follows_the_cell_key_method,
    who_gets_in_on_and_how_it_feels_from_published_counts,
    filters_by_area_unit_and_grade_and_protect_small_figures,
    the_threshold_and_ptable_come_from_configuration,
    the_distribution_by_grade_level_equals_the_ons_method_value_for_value,
    record_keys_are_checked_kept_and_derived,
    bad_filters_and_benchmarks_are_refused_by_name,
    employer_codes_in_filters_ignore_case,
    a_fresh_server_shows_synthetic_demo_data_until_real_data_is_loaded,
    a_reimport_replaces_its_snapshot_only,
    a_file_with_bad_rows_lists_every_problem_and_writes_nothing,
    synthetic_and_real_rows_never_share_an_employer,
);
