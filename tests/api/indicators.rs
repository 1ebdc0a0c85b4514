//! Indicators and the social mobility index on a small hand-built set whose z-scores, domain
//! scores, ranks and classifications are worked out here by hand.

use mobility_explorer::import::{self, ImportError, Input, indicators::Summary};
use serde_json::Value;

use crate::helpers::{Store, TestApp, bundled_csv, error_code, error_message};
use crate::helpers::{assert_one_problem, import_problems};
use crate::on_both_stores;

const DEFINITIONS: &str = "\
code,name,description,unit,domain,higher_is_better,source,licence
att,Attainment,Pupils reaching the standard,percent,school,true,Test publisher,OGL v3.0
ks4,Key stage 4,Pupils passing,percent,school,yes,Test publisher,OGL v3.0
hpe,House prices to earnings,Median house price over median earnings,ratio,working_lives,false,Test publisher,OGL v3.0
comp,Composite,A published composite z-score,z-score,composite,true,Test publisher,OGL v3.0
";

const BIRMINGHAM: &str = "E08000025"; // West Midlands
const COVENTRY: &str = "E08000026"; // West Midlands
const DUDLEY: &str = "E08000027"; // West Midlands
const WESTMINSTER: &str = "E09000033"; // London
const CARDIFF: &str = "W06000015"; // Wales

/// Period 2017:
///
/// | area | att | ks4 | hpe (lower is better) |
/// |---|---|---|---|
/// | Birmingham | 50 | 40 | 5 |
/// | Coventry | 60 | 40 | 7 |
/// | Dudley | 70 | 60 | 9 |
/// | Westminster | 80 | 60 | 11 |
/// | Cardiff | 90 | (none) | 13 |
///
/// att: mean 70, population sd √200 = 14.1421; z = -1.4142, -0.7071, 0, 0.7071, 1.4142.
/// ks4: mean 50, sd 10; z = -1, -1, 1, 1. hpe: mean 9, sd √8 = 2.8284, negated:
/// z = 1.4142, 0.7071, 0, -0.7071, -1.4142.
/// school = mean(att, ks4), working_lives = hpe, score = mean of the two:
/// Birmingham (-1.2071 + 1.4142) / 2 = 0.1036; Coventry (-0.8536 + 0.7071) / 2 = -0.0732;
/// Dudley (0.5 + 0) / 2 = 0.25; Westminster (0.8536 - 0.7071) / 2 = 0.0732;
/// Cardiff (1.4142 - 1.4142) / 2 = 0.
/// Ranks: Dudley 1, Birmingham 2, Westminster 3, Cardiff 4, Coventry 5; with 5 areas each
/// quintile holds one: Dudley is the hot spot, Coventry the cold spot.
fn values_csv() -> String {
    let mut csv = String::from(
        "indicator,area_code,period,value,lower,upper,sample_size,breakdown,note,published_group\n",
    );
    let rows: [(&str, &str, &str); 14] = [
        ("att", BIRMINGHAM, "50"),
        ("att", COVENTRY, "60"),
        ("att", DUDLEY, "70"),
        ("att", WESTMINSTER, "80"),
        ("att", CARDIFF, "90"),
        ("ks4", BIRMINGHAM, "40"),
        ("ks4", COVENTRY, "40"),
        ("ks4", DUDLEY, "60"),
        ("ks4", WESTMINSTER, "60"),
        ("hpe", BIRMINGHAM, "5"),
        ("hpe", COVENTRY, "7"),
        ("hpe", DUDLEY, "9"),
        ("hpe", WESTMINSTER, "11"),
        ("hpe", CARDIFF, "13"),
    ];
    for (indicator, area, value) in rows {
        csv.push_str(&format!("{indicator},{area},2017,{value},,,,,,\n"));
    }
    // A breakdown never enters the index.
    csv.push_str(&format!(
        "att,{BIRMINGHAM},2017,30,25.5,34.5,1200,fsm=Disadvantaged,provisional,\n"
    ));
    // Published z-scores with published bands, in their own period.
    for (area, z, group) in [
        (BIRMINGHAM, "-1.6", "most unfavourable"),
        (COVENTRY, "-1.0", "unfavourable"),
        (DUDLEY, "-0.5", "lower middling"),
        (WESTMINSTER, "0.5", "upper middling"),
        (CARDIFF, "1.5", "most favourable"),
    ] {
        csv.push_str(&format!("comp,{area},2021 to 2024,{z},,,,,,{group}\n"));
    }
    csv
}

async fn load(
    app: &TestApp,
    values: &str,
    definitions: Option<&str>,
) -> Result<Summary, ImportError> {
    import::indicators::import(
        &app.db,
        Input {
            name: "values.csv".to_owned(),
            reader: values.as_bytes(),
        },
        definitions.map(|d| Input {
            name: "indicators.csv".to_owned(),
            reader: d.as_bytes(),
        }),
    )
    .await
}

async fn spawn_loaded(store: Store) -> Option<TestApp> {
    let app = TestApp::spawn(store).await?;
    load(&app, &values_csv(), Some(DEFINITIONS))
        .await
        .expect("the fixture imports");
    Some(app)
}

fn close(actual: &Value, expected: f64) {
    let x = actual
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {actual}"));
    assert!((x - expected).abs() < 1e-4, "{x} is not {expected}");
}

async fn the_index_scores_ranks_and_classifies_by_hand(store: Store) {
    let Some(app) = spawn_loaded(store).await else {
        return;
    };
    let data = app
        .data(
            r#"{ socialMobilityIndex(period: "2017") {
                totalCount
                method { level period method domains areasScored quintileCutOffs bandCutOffs
                         indicators { code domain higherIsBetter areas mean standardDeviation } }
                nodes { areaCode score rank quintile zBand classification indicatorsUsed
                        domainScores { domain score } area { name } }
            } }"#,
        )
        .await;
    let index = &data["socialMobilityIndex"];
    assert_eq!(index["totalCount"], 5);
    let method = &index["method"];
    assert_eq!(method["level"], "LOCAL_AUTHORITY");
    assert_eq!(method["method"], "QUINTILES");
    assert_eq!(
        method["domains"],
        serde_json::json!(["school", "working_lives"])
    );
    assert_eq!(method["quintileCutOffs"], serde_json::json!([1, 2, 3, 4]));
    assert!(method["bandCutOffs"].is_null());
    let used = method["indicators"].as_array().expect("indicators");
    let codes: Vec<&str> = used.iter().filter_map(|i| i["code"].as_str()).collect();
    assert_eq!(codes, ["att", "hpe", "ks4"], "comp has no 2017 values");
    close(&used[0]["mean"], 70.0);
    close(&used[0]["standardDeviation"], 200f64.sqrt());
    assert_eq!(used[1]["higherIsBetter"], false);
    close(&used[1]["standardDeviation"], 8f64.sqrt());
    assert_eq!(used[2]["areas"], 4);

    let nodes = index["nodes"].as_array().expect("nodes");
    let order: Vec<&str> = nodes
        .iter()
        .filter_map(|n| n["areaCode"].as_str())
        .collect();
    assert_eq!(order, [DUDLEY, BIRMINGHAM, WESTMINSTER, CARDIFF, COVENTRY]);
    let ranks: Vec<i64> = nodes.iter().filter_map(|n| n["rank"].as_i64()).collect();
    assert_eq!(ranks, [1, 2, 3, 4, 5]);
    let quintiles: Vec<i64> = nodes
        .iter()
        .filter_map(|n| n["quintile"].as_i64())
        .collect();
    assert_eq!(quintiles, [1, 2, 3, 4, 5]);
    let classes: Vec<&str> = nodes
        .iter()
        .filter_map(|n| n["classification"].as_str())
        .collect();
    assert_eq!(
        classes,
        ["HOT_SPOT", "NEITHER", "NEITHER", "NEITHER", "COLD_SPOT"]
    );
    let s2 = 2f64.sqrt();
    close(&nodes[0]["score"], 0.25);
    close(&nodes[1]["score"], ((-s2 - 1.0) / 2.0 + s2) / 2.0);
    close(
        &nodes[4]["score"],
        ((-s2 / 2.0 - 1.0) / 2.0 + s2 / 2.0) / 2.0,
    );
    close(&nodes[3]["score"], 0.0);
    // Birmingham's domain scores: school (att -1.4142, ks4 -1), working lives (hpe flipped).
    let birmingham = &nodes[1];
    assert_eq!(birmingham["area"]["name"], "Birmingham");
    assert_eq!(birmingham["indicatorsUsed"], 3);
    assert_eq!(birmingham["domainScores"][0]["domain"], "school");
    close(&birmingham["domainScores"][0]["score"], (-s2 - 1.0) / 2.0);
    assert_eq!(birmingham["domainScores"][1]["domain"], "working_lives");
    close(&birmingham["domainScores"][1]["score"], s2);
    // Cardiff has no ks4 value: a score from the two it has.
    assert_eq!(nodes[3]["indicatorsUsed"], 2);
    close(&nodes[3]["domainScores"][0]["score"], s2);
    assert!(nodes[0]["zBand"].is_null());

    // The same with z-score bands: every score is within ±0.5.
    let data = app
        .data(
            r#"{ socialMobilityIndex(period: "2017", method: Z_BANDS) {
                method { bandCutOffs quintileCutOffs }
                nodes { zBand quintile classification } } }"#,
        )
        .await;
    let index = &data["socialMobilityIndex"];
    assert_eq!(
        index["method"]["bandCutOffs"],
        serde_json::json!([-1.5, -1.0, -0.5, 0.5, 1.0, 1.5])
    );
    for node in index["nodes"].as_array().expect("nodes") {
        assert_eq!(node["zBand"], "MIDDLING");
        assert_eq!(node["classification"], "NEITHER");
        assert!(node["quintile"].is_null());
    }
    app.stop().await;
}

async fn published_z_scores_are_banded_as_published(store: Store) {
    let Some(app) = spawn_loaded(store).await else {
        return;
    };
    let data = app
        .data(
            r#"{ socialMobilityIndex(period: "2021 to 2024", method: Z_BANDS, indicators: ["comp"]) {
                method { indicators { code mean standardDeviation } }
                nodes { areaCode score zBand classification publishedClassification } } }"#,
        )
        .await;
    let index = &data["socialMobilityIndex"];
    // Already z-scores: used as they are.
    close(&index["method"]["indicators"][0]["mean"], 0.0);
    close(&index["method"]["indicators"][0]["standardDeviation"], 1.0);
    let nodes = index["nodes"].as_array().expect("nodes");
    let by_area = |code: &str| {
        nodes
            .iter()
            .find(|n| n["areaCode"] == code)
            .unwrap_or_else(|| panic!("{code} in {nodes:?}"))
    };
    // Values on a cut-off go to the outer band.
    for (area, band, class, published) in [
        (
            BIRMINGHAM,
            "MOST_UNFAVOURABLE",
            "COLD_SPOT",
            "most unfavourable",
        ),
        (COVENTRY, "UNFAVOURABLE", "COLD_SPOT", "unfavourable"),
        (DUDLEY, "LOWER_MIDDLING", "NEITHER", "lower middling"),
        (WESTMINSTER, "UPPER_MIDDLING", "NEITHER", "upper middling"),
        (CARDIFF, "MOST_FAVOURABLE", "HOT_SPOT", "most favourable"),
    ] {
        let node = by_area(area);
        assert_eq!(node["zBand"], band, "{node}");
        assert_eq!(node["classification"], class, "{node}");
        assert_eq!(node["publishedClassification"], published, "{node}");
    }
    close(&by_area(BIRMINGHAM)["score"], -1.6);
    app.stop().await;
}

async fn areas_carry_their_values_index_and_cold_spot_share(store: Store) {
    let Some(app) = spawn_loaded(store).await else {
        return;
    };
    let data = app
        .data(
            r#"{
              birmingham: area(code: "E08000025") {
                index(period: "2017") { rank quintile classification synthetic }
                indicators(period: "2017") { indicator { code unit synthetic } value breakdown }
              }
              midlands: area(code: "E12000005") {
                coldSpotShare(period: "2017")
                coldSpots(period: "2017") { period share coldSpots scored synthetic } }
              london: area(code: "E12000007") { coldSpotShare(period: "2017") }
              scotland: area(code: "S92000003") { coldSpotShare(period: "2017") }
              regional: socialMobilityIndex(period: "2017", parent: "TLG") { totalCount nodes { areaCode rank } }
              cold: socialMobilityIndex(period: "2017", classification: COLD_SPOT) { nodes { areaCode } }
              values: indicatorValues(indicator: "ks4", period: "2017", level: LOCAL_AUTHORITY) {
                totalCount nodes { areaCode value }
              }
              breakdown: indicatorValues(indicator: "att", breakdown: "fsm=Disadvantaged") {
                nodes { areaCode period value lower upper sampleSize note breakdown }
              }
              school: indicators(domain: "school") { code periods }
            }"#,
        )
        .await;
    let birmingham = &data["birmingham"];
    assert_eq!(birmingham["index"]["rank"], 2);
    assert_eq!(birmingham["index"]["quintile"], 2);
    let values = birmingham["indicators"].as_array().expect("values");
    let codes: Vec<&str> = values
        .iter()
        .filter_map(|v| v["indicator"]["code"].as_str())
        .collect();
    assert_eq!(codes.len(), 3, "totals only: {values:?}");
    assert!(values.iter().all(|v| v["breakdown"] == ""));
    // West Midlands: Birmingham, Coventry (cold) and Dudley have scores.
    close(&data["midlands"]["coldSpotShare"], 0.333);
    assert_eq!(birmingham["index"]["synthetic"], false);
    assert_eq!(
        data["midlands"]["coldSpots"],
        serde_json::json!({ "period": "2017", "share": 0.333, "coldSpots": 1, "scored": 3,
                            "synthetic": false })
    );
    close(&data["london"]["coldSpotShare"], 0.0);
    assert!(data["scotland"]["coldSpotShare"].is_null());
    // Listing one region keeps the national ranks.
    assert_eq!(data["regional"]["totalCount"], 3);
    let ranks: Vec<(String, i64)> = data["regional"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| {
            (
                n["areaCode"].as_str().unwrap_or("").to_owned(),
                n["rank"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        ranks,
        [
            (DUDLEY.to_owned(), 1),
            (BIRMINGHAM.to_owned(), 2),
            (COVENTRY.to_owned(), 5)
        ]
    );
    assert_eq!(
        data["cold"]["nodes"],
        serde_json::json!([{ "areaCode": COVENTRY }])
    );
    assert_eq!(data["values"]["totalCount"], 4);
    let breakdown = &data["breakdown"]["nodes"][0];
    assert_eq!(breakdown["period"], "2017");
    assert_eq!(breakdown["value"].as_f64(), Some(30.0));
    assert_eq!(breakdown["lower"].as_f64(), Some(25.5));
    assert_eq!(breakdown["sampleSize"], 1200);
    assert_eq!(breakdown["note"], "provisional");
    assert_eq!(breakdown["breakdown"], "fsm=Disadvantaged");
    let school: Vec<&str> = data["school"]
        .as_array()
        .expect("indicators")
        .iter()
        .filter_map(|i| i["code"].as_str())
        .collect();
    assert_eq!(school, ["att", "ks4"]);
    app.stop().await;
}

async fn bad_index_arguments_are_refused(store: Store) {
    let Some(app) = spawn_loaded(store).await else {
        return;
    };
    for (query, code, needle) in [
        (
            r#"{ socialMobilityIndex(period: "2017", indicators: ["att", "nope"]) { totalCount } }"#,
            "BAD_USER_INPUT",
            "nope",
        ),
        (
            r#"{ socialMobilityIndex(period: "2017", parent: "X1") { totalCount } }"#,
            "NOT_FOUND",
            "X1",
        ),
        (
            r#"{ indicatorValues(indicator: "nope") { totalCount } }"#,
            "NOT_FOUND",
            "nope",
        ),
        (
            r#"{ socialMobilityIndex(period: "2017", first: 501) { totalCount } }"#,
            "BAD_USER_INPUT",
            "500",
        ),
    ] {
        let answer = app.query(query).await;
        assert_eq!(error_code(&answer), code, "{query}: {answer}");
        assert!(error_message(&answer).contains(needle), "{query}: {answer}");
    }
    app.stop().await;
}

async fn an_import_with_bad_rows_lists_every_problem_and_writes_nothing(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let values = "\
indicator,area_code,period,value,lower,upper,breakdown
att,E08000025,2017,50,,,
nope,E08000025,2017,50,,,
att,X99999999,2017,50,,,
att,E08000026,,50,,,
att,E08000027,2017,lots,,,
att,E09000033,2017,50,60,70,
att,E08000025,2017,51,,,
att,W06000015,2017,50,,,seb
";
    let problems = import_problems(load(&app, values, Some(DEFINITIONS)).await);
    let at = |line: u64, column: &str| {
        problems
            .iter()
            .any(|p| p.line == Some(line) && p.column.as_deref() == Some(column))
    };
    assert!(at(3, "indicator"), "{problems:#?}");
    assert!(at(4, "area_code"), "{problems:#?}");
    assert!(at(5, "period"), "{problems:#?}");
    assert!(at(6, "value"), "{problems:#?}");
    assert!(at(7, "lower"), "{problems:#?}");
    assert!(at(8, "area_code"), "a second value: {problems:#?}");
    assert!(at(9, "breakdown"), "{problems:#?}");
    assert_eq!(problems.len(), 7, "{problems:#?}");
    let data = app
        .data(r#"{ indicators(domain: "school") { code } }"#)
        .await;
    assert_eq!(
        data["indicators"],
        serde_json::json!([]),
        "definitions not written either"
    );

    // A bad definitions file is listed too.
    let bad = "code,name,description,unit,domain,higher_is_better,source,licence\natt,,x,percent,school,maybe,S,L\n";
    let problems = import_problems(
        load(
            &app,
            "indicator,area_code,period,value,lower,upper\n",
            Some(bad),
        )
        .await,
    );
    assert!(problems.iter().any(|p| p.column.as_deref() == Some("name")));
    assert!(
        problems
            .iter()
            .any(|p| p.column.as_deref() == Some("higher_is_better"))
    );
    app.stop().await;
}

async fn a_definition_stored_with_the_other_synthetic_flag_is_refused(store: Store) {
    let Some(app) = spawn_loaded(store).await else {
        return;
    };
    // `att` is stored as real data; the same code marked synthetic is refused, not overwritten.
    let definitions = "code,name,description,unit,domain,higher_is_better,source,licence,synthetic\n\
        att,Attainment (synthetic),Invented,percent,school,true,Demo,none,true\n";
    let values =
        format!("indicator,area_code,period,value,lower,upper\natt,{BIRMINGHAM},2030,1,,\n");
    let problems = import_problems(load(&app, &values, Some(definitions)).await);
    assert_one_problem(
        &problems,
        ("indicators.csv", 2, "synthetic"),
        "stored as real data",
    );
    let data = app
        .data(r#"{ indicators(domain: "school") { code name synthetic } }"#)
        .await;
    let att = data["indicators"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["code"] == "att"))
        .expect("att");
    assert_eq!(att["synthetic"], false, "{att}");
    assert_eq!(att["name"], "Attainment", "nothing written: {att}");

    // The other way round: a synthetic indicator is not turned real either.
    let synthetic = "code,name,description,unit,domain,higher_is_better,source,licence,synthetic\n\
        demo_x,Demo (synthetic),Invented,percent,demo,true,Demo,none,yes\n";
    load(
        &app,
        "indicator,area_code,period,value,lower,upper\n",
        Some(synthetic),
    )
    .await
    .expect("a new synthetic indicator imports");
    let real = synthetic.replace(",yes\n", ",false\n");
    let problems = import_problems(
        load(
            &app,
            "indicator,area_code,period,value,lower,upper\n",
            Some(&real),
        )
        .await,
    );
    assert!(
        problems.len() == 1 && problems[0].reason.contains("stored as synthetic data"),
        "{problems:#?}"
    );
    app.stop().await;
}

async fn a_reimport_replaces_the_same_values_only(store: Store) {
    let Some(app) = spawn_loaded(store).await else {
        return;
    };
    // Definitions are already stored: values alone import.
    let summary = load(
        &app,
        "indicator,area_code,period,value,lower,upper\natt,E08000025,2017,55,,\natt,E08000025,2018,57,,\n",
        None,
    )
    .await
    .expect("imports");
    assert_eq!(summary.values.get("att"), Some(&2));
    let data = app
        .data(
            r#"{ y2017: indicatorValues(indicator: "att", period: "2017") { totalCount nodes { areaCode value } }
                 y2018: indicatorValues(indicator: "att") { totalCount nodes { period value } }
                 fsm: indicatorValues(indicator: "att", period: "2017", breakdown: "fsm=Disadvantaged") { totalCount } }"#,
        )
        .await;
    assert_eq!(data["y2017"]["totalCount"], 5);
    assert_eq!(data["y2017"]["nodes"][0]["areaCode"], BIRMINGHAM);
    assert_eq!(data["y2017"]["nodes"][0]["value"].as_f64(), Some(55.0));
    assert_eq!(data["y2017"]["nodes"][1]["value"].as_f64(), Some(60.0));
    // The latest period is the default.
    assert_eq!(data["y2018"]["totalCount"], 1);
    assert_eq!(data["y2018"]["nodes"][0]["period"], "2018");
    assert_eq!(data["fsm"]["totalCount"], 1);
    app.stop().await;
}

/// Every English local authority of the bundled geography.
fn english_authorities() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/reference/geography/lad20_itl_uk.csv"
    );
    let mut reader = csv::Reader::from_path(path).expect("bundled geography");
    reader
        .records()
        .map(|r| r.expect("row")[0].to_owned())
        .filter(|code| code.starts_with('E'))
        .collect()
}

async fn a_map_of_every_authority_costs_a_constant_number_of_statements(store: Store) {
    // A wide batch window, so a slow debug build cannot split one burst of look-ups in two.
    let wide = std::time::Duration::from_secs(1);
    let Some(app) = TestApp::spawn_with(store, |c| c.batch_window = wide).await else {
        return;
    };
    let authorities = english_authorities();
    let mut values = String::from("indicator,area_code,period,value,lower,upper\n");
    for (i, code) in authorities.iter().enumerate() {
        for (indicator, value) in [
            ("att", 40 + (i * 7) % 50),
            ("ks4", 30 + (i * 11) % 40),
            ("hpe", 4 + (i * 3) % 12),
        ] {
            values.push_str(&format!("{indicator},{code},2017,{value},,\n"));
        }
    }
    load(&app, &values, Some(DEFINITIONS))
        .await
        .expect("imports");
    let query = |first: usize| {
        format!(
            r#"{{ socialMobilityIndex(period: "2017", parent: "E92000001", first: {first}) {{
                totalCount
                nodes {{ classification area {{ code name }}
                        indicators: area {{ indicators(period: "2017") {{ indicator {{ code }} value }} }} }} }} }}"#
        )
    };
    // The first answer computes the index; later ones, whatever their page size, take it
    // from memory until the data changes.
    let before = app.statements();
    app.data(&query(1)).await;
    let computing = app.statements() - before;
    let mut costs = Vec::new();
    for first in [10, 500] {
        let before = app.statements();
        let data = app.data(&query(first)).await;
        costs.push(app.statements() - before);
        let nodes = data["socialMobilityIndex"]["nodes"]
            .as_array()
            .expect("nodes");
        assert_eq!(nodes.len(), first.min(authorities.len()));
        assert!(nodes.iter().all(|n| {
            n["area"]["name"].is_string()
                && n["indicators"]["indicators"].as_array().map(Vec::len) == Some(3)
        }));
        assert_eq!(
            data["socialMobilityIndex"]["totalCount"],
            authorities.len() as u64
        );
    }
    assert_eq!(
        costs[0], costs[1],
        "statements for 10 vs every authority: {costs:?}"
    );
    assert!(costs[1] <= 12, "too many statements: {costs:?}");
    assert!(
        costs[0] < computing,
        "the index was computed again: {computing} then {costs:?} statements"
    );
    app.stop().await;
}

on_both_stores!(
    the_index_scores_ranks_and_classifies_by_hand,
    published_z_scores_are_banded_as_published,
    areas_carry_their_values_index_and_cold_spot_share,
    bad_index_arguments_are_refused,
    an_import_with_bad_rows_lists_every_problem_and_writes_nothing,
    a_definition_stored_with_the_other_synthetic_flag_is_refused,
    a_reimport_replaces_the_same_values_only,
    a_map_of_every_authority_costs_a_constant_number_of_statements,
);

async fn the_commissions_2023_quintiles_are_reproduced_from_its_values(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let data = app.data(r#"{ indicators(domain: "smc_2023_composites") { code higherIsBetter synthetic source } }"#).await;
    let composites = data["indicators"].as_array().expect("indicators").clone();
    assert_eq!(composites.len(), 5);
    for composite in &composites {
        assert_eq!(composite["synthetic"], false);
        assert!(
            composite["source"]
                .as_str()
                .is_some_and(|s| s.contains("Social Mobility Commission"))
        );
        let code = composite["code"].as_str().expect("code");
        let data = app
            .data(&format!(
                r#"{{ socialMobilityIndex(level: ITL2, period: "2023", indicators: ["{code}"], first: 100) {{
                    totalCount method {{ synthetic quintileCutOffs }}
                    nodes {{ areaCode quintile publishedClassification }} }} }}"#
            ))
            .await;
        let index = &data["socialMobilityIndex"];
        assert_eq!(index["totalCount"], 41, "{code}");
        assert_eq!(index["method"]["synthetic"], false);
        assert_eq!(
            index["method"]["quintileCutOffs"],
            serde_json::json!([8, 16, 25, 33])
        );
        // The Commission's quintile 5 holds the highest values; ours holds the worst areas.
        // Its quintiles are not of equal size (8, 8, 9, 7, 9 for some composites), so areas
        // at a boundary may sit one quintile apart; ranks follow the values, so no further.
        let higher_is_better = composite["higherIsBetter"] == true;
        let mut same = 0;
        for node in index["nodes"].as_array().expect("nodes") {
            let ours = node["quintile"].as_i64().expect("quintile");
            let published: i64 = node["publishedClassification"]
                .as_str()
                .and_then(|q| q.parse().ok())
                .expect("published quintile");
            let expected = if higher_is_better {
                6 - published
            } else {
                published
            };
            assert!((ours - expected).abs() <= 1, "{code} {node}");
            same += usize::from(ours == expected);
        }
        assert!(
            same >= 37,
            "{code}: only {same} of 41 in the published quintile"
        );
    }
    app.stop().await;
}

on_both_stores!(the_commissions_2023_quintiles_are_reproduced_from_its_values);

async fn a_fresh_server_maps_synthetic_authority_indicators_never_mixed_with_real(store: Store) {
    let Some(app) = TestApp::spawn_with(store, |c| c.demo_data = true).await else {
        return;
    };
    let data = app
        .data(
            r#"{ socialMobilityIndex(period: "2017", first: 500) {
                totalCount method { synthetic indicators { code } domains }
                nodes { classification } }
                indicators { code synthetic name } }"#,
        )
        .await;
    let index = &data["socialMobilityIndex"];
    assert_eq!(index["totalCount"], 314, "every English authority");
    assert_eq!(index["method"]["synthetic"], true);
    assert_eq!(index["method"]["domains"].as_array().map(Vec::len), Some(4));
    let cold = index["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|n| n["classification"] == "COLD_SPOT")
        .count();
    assert_eq!(cold, 63, "the last fifth of 314 ranks (cut-off 251)");
    for indicator in data["indicators"].as_array().expect("indicators") {
        let synthetic = indicator["synthetic"] == true;
        let named = indicator["name"]
            .as_str()
            .is_some_and(|n| n.contains("(synthetic)"));
        assert_eq!(synthetic, named, "{indicator}");
    }
    let mixed = app
        .query(
            r#"{ socialMobilityIndex(period: "2017", indicators: ["demo_school_ks2", "smc23_promising_prospects"]) { totalCount } }"#,
        )
        .await;
    assert_eq!(error_code(&mixed), "BAD_USER_INPUT");
    assert!(error_message(&mixed).contains("synthetic"), "{mixed}");
    app.stop().await;
}

on_both_stores!(a_fresh_server_maps_synthetic_authority_indicators_never_mixed_with_real);

/// Bradford's 2017 place in the index comes from synthetic demo indicators (the real 2025
/// data rates it unfavourable): every answer built on it must say so.
async fn answers_built_on_synthetic_indicators_say_so_wherever_they_appear(store: Store) {
    let Some(app) = TestApp::spawn_with(store, |c| c.demo_data = true).await else {
        return;
    };
    let data = app
        .data(
            r#"{ bradford: area(code: "E08000032") { index(period: "2017") { classification synthetic } }
                 yorkshire: area(code: "E12000003") {
                   coldSpots(period: "2017") { period share coldSpots scored synthetic }
                   coldSpotShare(period: "2017") }
                 real: programmeReach(programme: "smart_futures", metric: "volunteers",
                                      level: LOCAL_AUTHORITY, indexPeriod: "2017") {
                   areaCode value synthetic }
                 demo: programmeReach(programme: "demo_schools_outreach", metric: "events", period: "2023") {
                   synthetic }
                 smart: programme(code: "smart_futures") { synthetic }
                 cold: socialMobilityIndex(period: "2017", classification: COLD_SPOT, first: 500) {
                   nodes { areaCode synthetic area { within(level: REGION) { code } } } } }"#,
        )
        .await;
    assert_eq!(data["bradford"]["index"]["synthetic"], true, "{data}");
    let cold_spots = &data["yorkshire"]["coldSpots"];
    assert_eq!(cold_spots["synthetic"], true, "{cold_spots}");
    assert_eq!(cold_spots["period"], "2017");
    assert_eq!(cold_spots["share"], data["yorkshire"]["coldSpotShare"]);
    // The share is the region's cold spots in the index over its authorities with a score.
    let cold = data["cold"]["nodes"].as_array().expect("nodes");
    assert!(cold.iter().all(|n| n["synthetic"] == true));
    let in_yorkshire = cold
        .iter()
        .filter(|n| n["area"]["within"]["code"] == "E12000003")
        .count();
    assert_eq!(cold_spots["coldSpots"], in_yorkshire as u64);
    let scored = cold_spots["scored"].as_f64().expect("scored");
    assert!(scored > 0.0);
    close(
        &cold_spots["share"],
        (in_yorkshire as f64 / scored * 1000.0).round() / 1000.0,
    );
    // Real Ministry of Justice figures (Bradford's volunteers) set against the synthetic index.
    assert_eq!(data["smart"]["synthetic"], false);
    let real = data["real"].as_array().expect("reach");
    assert_eq!(real.len(), 1, "{real:?}");
    assert_eq!(real[0]["areaCode"], "E08000032");
    assert_eq!(real[0]["value"].as_f64(), Some(25.0));
    assert_eq!(real[0]["synthetic"], true, "the index is synthetic");
    let demo = data["demo"].as_array().expect("reach");
    assert!(!demo.is_empty() && demo.iter().all(|r| r["synthetic"] == true));
    app.stop().await;
}

on_both_stores!(answers_built_on_synthetic_indicators_say_so_wherever_they_appear);

async fn z_bands_reproduce_the_commissions_2025_groups_for_every_area_and_period(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let data = app
        .data(r#"{ indicators(domain: "smc_2025_composites") { code unit periods } }"#)
        .await;
    let composites = data["indicators"].as_array().expect("indicators").clone();
    assert_eq!(composites.len(), 4);
    let mut compared = 0;
    for composite in &composites {
        let code = composite["code"].as_str().expect("code");
        assert_eq!(composite["unit"], "z-score");
        for period in composite["periods"].as_array().expect("periods") {
            let period = period.as_str().expect("period");
            let data = app
                .data(&format!(
                    r#"{{ socialMobilityIndex(level: LOCAL_AREA, period: "{period}", method: Z_BANDS,
                          indicators: ["{code}"], first: 500) {{
                        totalCount nodes {{ areaCode zBand classification publishedClassification }} }} }}"#
                ))
                .await;
            let index = &data["socialMobilityIndex"];
            assert_eq!(index["totalCount"], 205, "{code} {period}");
            for node in index["nodes"].as_array().expect("nodes") {
                let band = node["zBand"].as_str().expect("band");
                let ours = band.to_lowercase().replace('_', " ");
                assert_eq!(
                    node["publishedClassification"].as_str(),
                    Some(ours.as_str()),
                    "{code} {period} {node}"
                );
                let cold = band.ends_with("UNFAVOURABLE");
                assert_eq!(node["classification"] == "COLD_SPOT", cold, "{node}");
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 2870, "every published area-period value");
    app.stop().await;
}

on_both_stores!(z_bands_reproduce_the_commissions_2025_groups_for_every_area_and_period);

async fn the_commissions_son25_indicators_are_served_with_breakdowns(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let data = app
        .data(
            r#"{
              total: indicatorValues(indicator: "son25_in11", period: "2019", level: COUNTRY) {
                nodes { areaCode value sampleSize breakdown }
              }
              fsm: indicatorValues(indicator: "son25_in11", period: "2019",
                                   breakdown: "seb=Eligible for free school meals") {
                nodes { areaCode value }
              }
              in11: indicators(domain: "son25_in1") { code unit source synthetic }
            }"#,
        )
        .await;
    let england = data["total"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|n| n["areaCode"] == "E92000001")
        .cloned()
        .expect("England");
    // As published: 72% of 638,946 children; 57% of those eligible for free school meals.
    assert_eq!(england["value"].as_f64(), Some(72.0));
    assert_eq!(england["sampleSize"], 638946);
    assert_eq!(england["breakdown"], "");
    assert_eq!(data["fsm"]["nodes"][0]["areaCode"], "E92000001");
    assert_eq!(data["fsm"]["nodes"][0]["value"].as_f64(), Some(57.0));
    let in1 = data["in11"].as_array().expect("indicators");
    assert!(
        in1.iter()
            .any(|i| i["code"] == "son25_in11" && i["unit"] == "percent")
    );
    assert!(in1.iter().all(|i| i["synthetic"] == false));
    app.stop().await;
}

/// How many values `indicatorValues` gives for the indicator in the period, breakdown and
/// level.
async fn values_count(
    app: &TestApp,
    code: &str,
    period: &str,
    breakdown: &str,
    level: &str,
) -> u64 {
    let level = if level.is_empty() {
        String::new()
    } else {
        format!(", level: {level}")
    };
    let data = app
        .data(&format!(
            r#"{{ indicatorValues(indicator: "{code}", period: "{period}",
                   breakdown: "{breakdown}"{level}) {{ totalCount }} }}"#
        ))
        .await;
    data["indicatorValues"]["totalCount"]
        .as_u64()
        .expect("a count")
}

async fn every_breakdown_and_level_an_indicator_lists_has_values(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    for code in ["son25_in11", "son25_dr14", "son25_in23_percent"] {
        let data = app
            .data(&format!(
                r#"{{ indicator(code: "{code}") {{
                    periods levels breakdowns {{ breakdown parts {{ type value }} }}
                    breakdownTypes {{ type values }} }} }}"#
            ))
            .await;
        let indicator = &data["indicator"];
        let periods: Vec<String> = indicator["periods"]
            .as_array()
            .expect("periods")
            .iter()
            .map(|p| p.as_str().expect("text").to_owned())
            .collect();
        let breakdowns = indicator["breakdowns"].as_array().expect("breakdowns");
        assert!(!breakdowns.is_empty(), "{code} has breakdowns: {indicator}");
        let mut texts = vec![String::new()];
        let mut types: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
            Default::default();
        for b in breakdowns {
            let text = b["breakdown"].as_str().expect("text").to_owned();
            // The parts put back together are the text, which the argument takes as it is.
            let mut joined = Vec::new();
            for p in b["parts"].as_array().expect("parts") {
                let (kind, value) = (
                    p["type"].as_str().expect("a type"),
                    p["value"].as_str().expect("a value"),
                );
                joined.push(format!("{kind}={value}"));
                types
                    .entry(kind.to_owned())
                    .or_default()
                    .insert(value.to_owned());
            }
            assert_eq!(joined.join(";"), text);
            let mut found = 0;
            for period in &periods {
                found += values_count(&app, code, period, &text, "").await;
                if found > 0 {
                    break;
                }
            }
            assert!(
                found > 0,
                "{code} {text}: listed, yet no value in any period"
            );
            texts.push(text);
        }
        // The types and values are those of the breakdowns listed.
        let listed: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
            indicator["breakdownTypes"]
                .as_array()
                .expect("types")
                .iter()
                .map(|t| {
                    let values = t["values"].as_array().expect("values").iter();
                    let values = values.map(|v| v.as_str().expect("text").to_owned());
                    (
                        t["type"].as_str().expect("a type").to_owned(),
                        values.collect(),
                    )
                })
                .collect();
        assert_eq!(listed, types, "{code}");
        let levels = indicator["levels"].as_array().expect("levels");
        assert!(!levels.is_empty(), "{code}: {indicator}");
        for level in levels {
            let level = level.as_str().expect("a level");
            let mut found = 0;
            'search: for period in &periods {
                for text in &texts {
                    found += values_count(&app, code, period, text, level).await;
                    if found > 0 {
                        break 'search;
                    }
                }
            }
            assert!(
                found > 0,
                "{code} {level}: listed, yet no value at that level"
            );
        }
    }
    // The Commission's breakdown of children by free school meals, as published.
    let data = app
        .data(r#"{ indicator(code: "son25_in11") { breakdowns { breakdown parts { type value } } } }"#)
        .await;
    assert!(
        data["indicator"]["breakdowns"]
            .as_array()
            .expect("breakdowns")
            .contains(&serde_json::json!({
                "breakdown": "seb=Eligible for free school meals",
                "parts": [{ "type": "seb", "value": "Eligible for free school meals" }]
            })),
        "{data}"
    );
    // Many indicators at once: the short form fits the complexity limit.
    let many = app
        .query(r#"{ indicators { code periods levels breakdownTypes { type values } } }"#)
        .await;
    assert!(many.get("errors").is_none(), "{many}");
    let unknown = app.query(r#"{ indicator(code: "nope") { code } }"#).await;
    assert_eq!(
        crate::helpers::error_code(&unknown),
        "NOT_FOUND",
        "{unknown}"
    );
    app.stop().await;
}

on_both_stores!(
    the_commissions_son25_indicators_are_served_with_breakdowns,
    every_breakdown_and_level_an_indicator_lists_has_values,
);

/// One row of a bundled `son25` file with a value, as the file gives it.
struct Son25Row {
    file: String,
    line: usize,
    measure: String,
    itl2: bool,
    area: String,
    period: String,
    /// `type=value` pairs (not the area, period, quintile or a "Total"), sorted.
    breakdown: Vec<String>,
    quintile: Option<String>,
    /// The comparator the value is of (`area=OECD` beside the UK's own row).
    comparator: Option<String>,
    value: f64,
}

/// Every row with a value in the bundled `son25` files, read here on its own terms.
fn son25_rows() -> Vec<Son25Row> {
    let dir = format!("{}/data/reference/smc/son25", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("son25 files")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut rows = Vec::new();
    for file in files {
        for (i, record) in bundled_csv(&format!("smc/son25/{file}")).iter().enumerate() {
            let get = |name: &str| record.get(name).cloned().unwrap_or_default();
            if get("value") == "NA" || get("measure_code").is_empty() {
                continue;
            }
            let mut row = Son25Row {
                file: file.clone(),
                line: i + 2,
                measure: get("measure_code"),
                itl2: get("area_type").eq_ignore_ascii_case("ITL2"),
                area: get("area_name"),
                period: get("time_period"),
                breakdown: Vec::new(),
                quintile: None,
                comparator: None,
                value: get("value").parse().expect("value"),
            };
            for split in ["primary", "secondary", "tertiary", "fourth"] {
                let (kind, value) = (
                    get(&format!("{split}_split_type")),
                    get(&format!("{split}_split_value")),
                );
                match kind.as_str() {
                    "NA" | "" => {}
                    "time_period" | "year" => row.period = value,
                    "area_name" | "itl2_current_geo" | "itl2_adolescent_geo" => row.area = value,
                    "quintile" if row.itl2 => row.quintile = Some(value),
                    "area" if value != get("area_name") => row.comparator = Some(value),
                    "area" => {}
                    _ if value.eq_ignore_ascii_case("total") => {}
                    _ => row.breakdown.push(format!("{kind}={value}")),
                }
            }
            row.breakdown.sort();
            rows.push(row);
        }
    }
    rows
}

/// The data-truth check of the Commission's 2025 indicators: every value of every bundled
/// `son25` file, row by row, is served for its area (found by name within its area type),
/// period and breakdown, with its ITL2 area's quintile as the published group. An ITL2 value
/// is the area's own, not under a `quintile=N` breakdown (which made every area's figure
/// unreachable); the OECD's averages are the OECD comparator's (they were served as the UK's
/// under a breakdown `area=OECD`). The only rows not served are GVA per head for the 2025
/// ITL2 areas, never attached by name to the 2021 areas.
async fn every_son25_value_is_served_as_its_file_gives_it(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let data = app
        .data(
            r#"{ itl2: areas(level: ITL2, first: 100) { nodes { code name } }
                 uk: areas(level: UK) { nodes { code name } }
                 countries: areas(level: COUNTRY) { nodes { code name } }
                 comparators: areas(level: COMPARATOR) { nodes { code name } }
                 indicators { code } }"#,
        )
        .await;
    let names = |key: &str| -> std::collections::HashMap<String, String> {
        data[key]["nodes"]
            .as_array()
            .expect("areas")
            .iter()
            .map(|a| {
                let name = a["name"].as_str().unwrap_or("").to_lowercase();
                (name, a["code"].as_str().unwrap_or("").to_owned())
            })
            .collect()
    };
    let itl2_code = names("itl2");
    let mut country_code = names("uk");
    country_code.extend(names("countries"));
    let codes: Vec<String> = data["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .filter_map(|i| i["code"].as_str().map(str::to_owned))
        .collect();
    let comparator_code: std::collections::HashMap<String, String> = data["comparators"]["nodes"]
        .as_array()
        .expect("comparators")
        .iter()
        .map(|a| {
            let code = a["code"].as_str().unwrap_or("").to_owned();
            (code.to_lowercase(), code)
        })
        .collect();
    let (not_served, rows): (Vec<Son25Row>, Vec<Son25Row>) = son25_rows()
        .into_iter()
        .partition(|r| r.itl2 && r.measure == "dr55");
    assert_eq!(not_served.len(), 44);
    assert_eq!(rows.iter().filter(|r| r.comparator.is_some()).count(), 13);
    // One alias per (measure, period, breakdown) and code the measure has, 10 to a request
    // (the root fields an operation may have).
    let mut groups: std::collections::BTreeMap<(String, String, String), Vec<&Son25Row>> =
        Default::default();
    for row in &rows {
        let key = (
            row.measure.clone(),
            row.period.clone(),
            row.breakdown.join(";"),
        );
        groups.entry(key).or_default().push(row);
    }
    let mut asks: Vec<(usize, String)> = Vec::new();
    for (g, (measure, period, breakdown)) in groups.keys().enumerate() {
        let own = format!("son25_{measure}");
        for code in codes
            .iter()
            .filter(|c| **c == own || c.starts_with(&format!("{own}_")))
        {
            asks.push((
                g,
                format!(
                    r#"indicatorValues(indicator: "{code}", period: {period:?}, breakdown: {breakdown:?}, first: 50) {{
                        nodes {{ areaCode value publishedGroup }} }}"#
                ),
            ));
        }
    }
    // A measure published in several units is one indicator per unit (`son25_in12_percent`,
    // `son25_in12_disadvantage_index`): an area may have a value under each.
    let mut served: Vec<std::collections::HashMap<String, Vec<Value>>> =
        vec![Default::default(); groups.len()];
    for batch in asks.chunks(10) {
        let query: String = batch
            .iter()
            .enumerate()
            .map(|(i, (_, ask))| format!("a{i}: {ask} "))
            .collect();
        let answer = app.query(&format!("{{ {query} }}")).await;
        assert!(answer.get("errors").is_none(), "{answer}");
        for (i, (g, _)) in batch.iter().enumerate() {
            for node in answer["data"][format!("a{i}")]["nodes"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let area = node["areaCode"].as_str().unwrap_or("").to_owned();
                served[*g].entry(area).or_default().push(node.clone());
            }
        }
    }
    let mut checked = 0;
    for (g, ((measure, period, breakdown), group)) in groups.iter().enumerate() {
        for row in group {
            let at = format!("{} line {}", row.file, row.line);
            // A comparator's value is the comparator's, never the row's area's.
            let (by_name, name) = match &row.comparator {
                Some(comparator) => (&comparator_code, comparator),
                None if row.itl2 => (&itl2_code, &row.area),
                None => (&country_code, &row.area),
            };
            let code = by_name
                .get(&name.to_lowercase())
                .unwrap_or_else(|| panic!("{at}: no area named {name}"));
            let nodes = served[g].get(code).unwrap_or_else(|| {
                panic!(
                    "{at}: {measure} {period} [{breakdown}] of {} is not served",
                    row.area
                )
            });
            let node = nodes
                .iter()
                .find(|n| n["value"].as_f64() == Some(row.value))
                .unwrap_or_else(|| panic!("{at}: {} is served as {nodes:?}", row.value));
            assert_eq!(
                node["publishedGroup"].as_str(),
                row.quintile.as_deref(),
                "{at}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, rows.len());
    assert!(checked > 4000, "{checked} values checked");
    assert!(rows.iter().filter(|r| r.itl2).count() > 800);
    // GVA per head: the UK's and countries' series, no ITL2 figure.
    let gva = app
        .data(
            r#"{ regional: indicatorValues(indicator: "son25_dr55", period: "2023", level: ITL2) { totalCount }
                 uk: indicatorValues(indicator: "son25_dr55", period: "2023", level: UK) { nodes { value } } }"#,
        )
        .await;
    assert_eq!(gva["regional"]["totalCount"], 0);
    assert_eq!(gva["uk"]["nodes"].as_array().map(Vec::len), Some(1));
    // Access to higher education: the UK's own series, and the OECD's average as a
    // comparator, which is no UK area and is never ranked.
    let access = app
        .data(
            r#"{ indicator(code: "son25_dr23") { breakdownTypes { type } levels }
                 oecd: area(code: "OECD") { name level parent { code } within(level: UK) { code }
                   index(period: "2010") { rank } }
                 ranked: socialMobilityIndex(level: COMPARATOR, period: "2010", indicators: ["son25_dr23"]) { totalCount } }"#,
        )
        .await;
    assert_eq!(access["indicator"]["breakdownTypes"], serde_json::json!([]));
    assert_eq!(
        access["indicator"]["levels"],
        serde_json::json!(["UK", "COMPARATOR"])
    );
    assert_eq!(
        access["oecd"],
        serde_json::json!({ "name": "OECD average", "level": "COMPARATOR", "parent": null,
                            "within": null, "index": null })
    );
    assert_eq!(access["ranked"]["totalCount"], 0);
    app.stop().await;
}

on_both_stores!(every_son25_value_is_served_as_its_file_gives_it);

/// Every value of (code, period) at `level`, by area code: (value, published group).
async fn served_values(
    app: &TestApp,
    code: &str,
    period: &str,
    level: &str,
) -> std::collections::HashMap<String, (Option<f64>, Option<String>)> {
    let data = app
        .data(&format!(
            r#"{{ indicatorValues(indicator: "{code}", period: "{period}", level: {level}, first: 500) {{
                 totalCount nodes {{ areaCode value publishedGroup }} }} }}"#
        ))
        .await;
    let values = &data["indicatorValues"];
    let nodes = values["nodes"].as_array().expect("nodes");
    assert_eq!(
        values["totalCount"],
        nodes.len(),
        "{code} {period}: one page"
    );
    nodes
        .iter()
        .map(|n| {
            (
                n["areaCode"].as_str().unwrap_or("").to_owned(),
                (
                    n["value"].as_f64(),
                    n["publishedGroup"].as_str().map(str::to_owned),
                ),
            )
        })
        .collect()
}

/// The data-truth check of the Commission's composites: every row of the 2023 ITL2 file and
/// of the four 2025 local-area files is served for its area and period with its value and
/// published group, and nothing else is.
async fn every_composite_value_is_served_as_its_file_gives_it(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    // 2023: ITL2 areas by code, one period; the file's codes as the data sources name them.
    let rows = bundled_csv("smc/composite_indices_2023_itl2.csv");
    assert_eq!(rows.len(), 205);
    for (file_code, code) in [
        ("CI1", "smc23_promising_prospects"),
        ("CI2", "smc23_precarious_situations"),
        ("CI3", "smc23_socio_cultural_advantage"),
        ("CI4", "smc23_childhood_poverty"),
        ("CI5", "smc23_research_development"),
    ] {
        let served = served_values(&app, code, "2023", "ITL2").await;
        let mine: Vec<_> = rows.iter().filter(|r| r["Ind_code"] == file_code).collect();
        assert_eq!(served.len(), mine.len(), "{code}");
        for row in mine {
            let value: f64 = row["Value"].parse().expect("value");
            assert_eq!(
                served.get(&row["Area_code"]),
                Some(&(Some(value), Some(row["Quintile"].clone()))),
                "{code} {}",
                row["Area_code"]
            );
        }
    }
    // 2025: local areas by name, through the Commission's code list and its short names.
    let list: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/data/reference/smc/areas_2025_codes.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("code list"),
    )
    .expect("JSON");
    let mut code_of: std::collections::HashMap<String, String> = Default::default();
    let specs = list["205_regions"].as_array().expect("areas");
    assert_eq!(specs.len(), 205);
    for chunk in specs.chunks(10) {
        let query: String = chunk
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let slug = s["url"].as_str().expect("short name").to_uppercase();
                format!(r#"a{i}: area(code: "{slug}") {{ code }} "#)
            })
            .collect();
        let data = app.data(&format!("{{ {query} }}")).await;
        for (i, s) in chunk.iter().enumerate() {
            let name = s["name"].as_str().expect("name").to_lowercase();
            let code = data[format!("a{i}")]["code"]
                .as_str()
                .expect("found by short name");
            code_of.insert(name, code.to_owned());
        }
    }
    let mut checked = 0;
    for (file, code) in [
        (
            "2025-01-01-ci1-full-dataset.csv",
            "smc25_conditions_of_childhood",
        ),
        (
            "2025-01-01-ci2-full-dataset.csv",
            "smc25_labour_market_opportunities",
        ),
        (
            "2025-01-01-ci3-full-dataset.csv",
            "smc25_innovation_and_growth",
        ),
        (
            "2025-01-01-ci4-full-dataset.csv",
            "smc25_promising_prospects",
        ),
    ] {
        let rows = bundled_csv(&format!("smc/{file}"));
        let mut periods: Vec<&str> = rows.iter().map(|r| r["time_period"].as_str()).collect();
        periods.sort();
        periods.dedup();
        for period in periods {
            let served = served_values(&app, code, period, "LOCAL_AREA").await;
            let mine: Vec<_> = rows.iter().filter(|r| r["time_period"] == period).collect();
            assert_eq!(served.len(), mine.len(), "{code} {period}");
            for row in mine {
                let area = &code_of[&row["area_name"].to_lowercase()];
                let value: f64 = row["value"].parse().expect("value");
                assert_eq!(
                    served.get(area),
                    Some(&(Some(value), Some(row["secondary_split_value"].clone()))),
                    "{file} {period} {}",
                    row["area_name"]
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 2870);
    app.stop().await;
}

on_both_stores!(every_composite_value_is_served_as_its_file_gives_it);
