//! Programme outcomes: the Ministry of Justice's published figures, and a hand-built set for
//! the percentage rule, reach by region and the share in cold spots.

use mobility_explorer::import::{self, ImportError, Input};
use serde_json::{Value, json};

use crate::helpers::{Store, TestApp, bundled_csv, error_code, error_message};
use crate::helpers::{assert_one_problem, import_problems};
use crate::on_both_stores;

fn close(actual: &Value, expected: f64) {
    let x = actual
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {actual}"));
    assert!((x - expected).abs() < 1e-3, "{x} is not {expected}");
}

async fn the_schools_programme_series_is_as_published(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let data = app
        .data(
            r#"{ programme(code: "schools_programme") {
                name stage owner { code name } synthetic
                metrics { code unit kind }
                events: series(metric: "events") {
                  period actual target attainment change changeFrom actualNotAggregated }
                later: series(metric: "students_engaged", from: "2018", to: "2019") { period actual target }
              }
              moj: programmes(owner: "MOJ") { code }
              outreach: programmes(stage: "outreach") { code }
              missing: programme(code: "nope") { code } }"#,
        )
        .await;
    let p = &data["programme"];
    assert_eq!(
        p["owner"],
        json!({ "code": "MOJ", "name": "Ministry of Justice" })
    );
    assert_eq!(p["synthetic"], false);
    assert_eq!(p["stage"], "outreach");
    assert!(
        p["metrics"]
            .as_array()
            .expect("metrics")
            .iter()
            .any(|m| m["code"] == "events" && m["kind"] == "COUNT")
    );
    // The Schools Programme Pathway table: 204 events in 2017, 427 in 2018, then targets.
    let events = p["events"].as_array().expect("series");
    let periods: Vec<&str> = events.iter().filter_map(|e| e["period"].as_str()).collect();
    assert_eq!(periods, ["2017", "2018", "2019", "2020", "2021", "2022"]);
    assert_eq!(events[0]["actual"].as_f64(), Some(204.0));
    assert!(events[0]["change"].is_null());
    assert_eq!(events[1]["actual"].as_f64(), Some(427.0));
    assert_eq!(events[1]["change"].as_f64(), Some(223.0));
    assert_eq!(events[1]["changeFrom"], "2017");
    for (point, target) in events[2..].iter().zip([650.0, 900.0, 1200.0, 1500.0]) {
        assert_eq!(point["target"].as_f64(), Some(target), "{point}");
        assert!(point["actual"].is_null(), "{point}");
        assert!(
            point["attainment"].is_null(),
            "no actual to compare: {point}"
        );
        assert!(point["change"].is_null(), "{point}");
    }
    assert_eq!(
        p["later"],
        json!([
            { "period": "2018", "actual": 32335.0, "target": null },
            { "period": "2019", "actual": null, "target": 55000.0 }
        ])
    );
    assert_eq!(data["moj"].as_array().map(Vec::len), Some(12));
    let outreach: Vec<&str> = data["outreach"]
        .as_array()
        .expect("programmes")
        .iter()
        .filter_map(|p| p["code"].as_str())
        .collect();
    assert_eq!(
        outreach,
        [
            "schools_mentoring",
            "schools_programme",
            "step_into_justice"
        ]
    );
    assert!(data["missing"].is_null());
    app.stop().await;
}

const INDICATORS: &str = "\
code,name,description,unit,domain,higher_is_better,source,licence
att,Attainment,Pupils reaching the standard,percent,school,true,Test publisher,OGL v3.0
";

/// One indicator over five authorities: Birmingham is the worst, the one cold spot.
const VALUES: &str = "\
indicator,area_code,period,value,lower,upper
att,E08000025,2017,10,,
att,E08000026,2017,20,,
att,E08000027,2017,30,,
att,E09000033,2017,40,,
att,W06000015,2017,50,,
";

/// Events: Birmingham 30, Coventry 10, Westminster 20, and 5 recorded for the West Midlands
/// as a whole. Placement rates with their counts: Birmingham 5 of 10, Coventry 3 of 12.
/// Satisfaction: two percentages with no counts.
const FIGURES: &str = "\
programme,metric,unit,period,kind,value,area_code,note,numerator,denominator
outreach,events,events,2023,actual,30,E08000025,,,
outreach,events,events,2023,actual,10,E08000026,,,
outreach,events,events,2023,actual,20,E09000033,,,
outreach,events,events,2023,actual,5,E12000005,region-wide,,
outreach,events,events,2023,target,80,,,,
outreach,offers,people,2023,actual,5,E08000025,,,
outreach,offers,people,2023,actual,3,E08000026,,,
outreach,candidates,people,2023,actual,10,E08000025,,,
outreach,candidates,people,2023,actual,12,E08000026,,,
outreach,placement_rate,percent,2023,actual,50,E08000025,,offers,candidates
outreach,placement_rate,percent,2023,actual,25,E08000026,,offers,candidates
outreach,satisfaction,percent,2023,actual,90,E08000025,,,
outreach,satisfaction,percent,2023,actual,70,E08000026,,,
";

async fn spawn_hand_built(store: Store) -> Option<TestApp> {
    let app = TestApp::spawn(store).await?;
    import::indicators::import(
        &app.db,
        Input {
            name: "values.csv".to_owned(),
            reader: VALUES.as_bytes(),
        },
        Some(Input {
            name: "indicators.csv".to_owned(),
            reader: INDICATORS.as_bytes(),
        }),
    )
    .await
    .expect("indicators import");
    import::programmes::import(
        &app.db,
        Input {
            name: "figures.csv".to_owned(),
            reader: FIGURES.as_bytes(),
        },
        None::<Input<&[u8]>>,
    )
    .await
    .expect("figures import");
    Some(app)
}

async fn percentages_are_re_derived_never_summed(store: Store) {
    let Some(app) = spawn_hand_built(store).await else {
        return;
    };
    let data = app
        .data(
            r#"{ programme(code: "outreach") {
                events: totals(metric: "events") { period actual target actualAreas notAggregated }
                wide: series(metric: "events") { actual target attainment }
                midlands: series(metric: "events", area: "E12000005") { actual }
                rate: totals(metric: "placement_rate", period: "2023") { actual actualAreas notAggregated }
                birmingham: series(metric: "placement_rate", area: "E08000025") { actual }
                satisfaction: totals(metric: "satisfaction") { actual notAggregated }
                metrics { code kind numerator denominator }
              } }"#,
        )
        .await;
    let p = &data["programme"];
    // Counts add up over areas: 30 + 10 + 20 + 5; the programme-wide target is not an area's.
    assert_eq!(p["events"][0]["actual"].as_f64(), Some(65.0));
    assert_eq!(p["events"][0]["actualAreas"], 4);
    assert!(p["events"][0]["target"].is_null());
    // The series uses the programme-wide target and the sum of areas for the actual.
    assert_eq!(p["wide"][0]["actual"].as_f64(), Some(65.0));
    assert_eq!(p["wide"][0]["target"].as_f64(), Some(80.0));
    close(&p["wide"][0]["attainment"], 65.0 / 80.0);
    // Within the West Midlands: Birmingham, Coventry and the region-wide 5.
    assert_eq!(p["midlands"][0]["actual"].as_f64(), Some(45.0));
    // 50% and 25% are not averaged: (5 + 3) / (10 + 12) = 36.36%.
    close(&p["rate"][0]["actual"], 100.0 * 8.0 / 22.0);
    assert_eq!(p["rate"][0]["actualAreas"], 2);
    assert!(p["rate"][0]["notAggregated"].is_null());
    // One area's percentage is given as is.
    assert_eq!(p["birmingham"][0]["actual"].as_f64(), Some(50.0));
    // Two percentages with nothing to re-derive them from: not aggregated, and why.
    assert!(p["satisfaction"][0]["actual"].is_null());
    assert!(
        p["satisfaction"][0]["notAggregated"]
            .as_str()
            .is_some_and(|r| r.contains("not summed")),
        "{p}"
    );
    let rate = p["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .find(|m| m["code"] == "placement_rate")
        .cloned()
        .expect("metric");
    assert_eq!(
        rate,
        json!({ "code": "placement_rate", "kind": "PERCENTAGE", "numerator": "offers", "denominator": "candidates" })
    );
    app.stop().await;
}

async fn reach_by_region_and_the_share_in_cold_spots(store: Store) {
    let Some(app) = spawn_hand_built(store).await else {
        return;
    };
    let data = app
        .data(
            r#"{ reach: programmeReach(programme: "outreach", metric: "events", indexPeriod: "2017") {
                  areaCode area { name } value valueInAuthorities coldSpotValue coldSpotShare indexPeriod }
                 authorities: programmeReach(metric: "events", level: LOCAL_AUTHORITY, period: "2023", indexPeriod: "2017") {
                  areaCode value coldSpotShare }
                 cold: socialMobilityIndex(period: "2017", classification: COLD_SPOT) { nodes { areaCode } } }"#,
        )
        .await;
    assert_eq!(data["cold"]["nodes"], json!([{ "areaCode": "E08000025" }]));
    let reach = data["reach"].as_array().expect("reach");
    let by_code = |code: &str| {
        reach
            .iter()
            .find(|r| r["areaCode"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("{code} in {reach:?}"))
    };
    // West Midlands: 45 in all, 40 recorded in its authorities, 30 of them in Birmingham.
    let midlands = by_code("E12000005");
    assert_eq!(midlands["area"]["name"], "West Midlands");
    assert_eq!(midlands["value"].as_f64(), Some(45.0));
    assert_eq!(midlands["valueInAuthorities"].as_f64(), Some(40.0));
    assert_eq!(midlands["coldSpotValue"].as_f64(), Some(30.0));
    assert_eq!(midlands["coldSpotShare"].as_f64(), Some(0.75));
    assert_eq!(midlands["indexPeriod"], "2017");
    let london = by_code("E12000007");
    assert_eq!(london["value"].as_f64(), Some(20.0));
    assert_eq!(london["coldSpotShare"].as_f64(), Some(0.0));
    assert_eq!(reach.len(), 2);
    let authorities = data["authorities"].as_array().expect("authorities");
    assert_eq!(authorities.len(), 3, "{authorities:?}");
    assert_eq!(authorities[0]["areaCode"], "E08000025");
    assert_eq!(authorities[0]["coldSpotShare"].as_f64(), Some(1.0));

    let answer = app
        .query(r#"{ programmeReach(programme: "outreach", metric: "placement_rate") { value } }"#)
        .await;
    assert_eq!(error_code(&answer), "BAD_USER_INPUT");
    assert!(error_message(&answer).contains("percentage"), "{answer}");
    let answer = app
        .query(r#"{ programme(code: "outreach") { series(metric: "nope") { period } } }"#)
        .await;
    assert_eq!(error_code(&answer), "NOT_FOUND");
    assert!(error_message(&answer).contains("events"), "{answer}");
    app.stop().await;
}

async fn an_import_with_bad_rows_lists_every_problem_and_writes_nothing(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let figures = "\
programme,metric,unit,period,kind,value,area_code,note
p1,events,events,2023,actual,10,,
p1,events,hours,2023,target,10,,
p1,events,events,2023,forecast,10,,
p1,events,events,2024,actual,-1,,
p1,events,events,2025,actual,10,X99999999,
p1,rate,percent,2023,actual,140,,
p1,events,events,2023,actual,12,,
,events,events,2023,actual,1,,
";
    let problems = import_problems(
        import::programmes::import(
            &app.db,
            Input {
                name: "figures.csv".to_owned(),
                reader: figures.as_bytes(),
            },
            None::<Input<&[u8]>>,
        )
        .await,
    );
    let at = |line: u64, column: &str| {
        problems
            .iter()
            .any(|p| p.line == Some(line) && p.column.as_deref() == Some(column))
    };
    assert!(at(3, "unit"), "{problems:#?}");
    assert!(at(4, "kind"), "{problems:#?}");
    assert!(at(5, "value"), "{problems:#?}");
    assert!(at(6, "area_code"), "{problems:#?}");
    assert!(at(7, "value"), "a percentage above 100: {problems:#?}");
    assert!(at(8, "period"), "a second actual: {problems:#?}");
    assert!(at(9, "programme"), "{problems:#?}");
    let data = app.data(r#"{ programme(code: "p1") { code } }"#).await;
    assert!(data["programme"].is_null(), "nothing written");

    // A re-import replaces the same figure only.
    let load = |text: &'static str| {
        import::programmes::import(
            &app.db,
            Input {
                name: "figures.csv".to_owned(),
                reader: text.as_bytes(),
            },
            None::<Input<&[u8]>>,
        )
    };
    load("programme,metric,unit,period,kind,value,area_code,note\np1,events,events,2023,actual,10,,\np1,events,events,2024,actual,15,,\n")
        .await
        .expect("imports");
    load("programme,metric,unit,period,kind,value,area_code,note\np1,events,events,2023,actual,11,,corrected\n")
        .await
        .expect("imports");
    let data = app
        .data(r#"{ programme(code: "p1") { name series(metric: "events") { period actual } } }"#)
        .await;
    assert_eq!(
        data["programme"]["name"], "p1",
        "an unknown programme is created"
    );
    assert_eq!(
        data["programme"]["series"],
        json!([{ "period": "2023", "actual": 11.0 }, { "period": "2024", "actual": 15.0 }])
    );
    app.stop().await;
}

/// Imports a programmes file (with a figures file holding only its header).
async fn describe(
    app: &TestApp,
    programmes: &str,
) -> Result<import::programmes::Summary, ImportError> {
    import::programmes::import(
        &app.db,
        Input {
            name: "figures.csv".to_owned(),
            reader: "programme,metric,unit,period,kind,value,area_code,note\n".as_bytes(),
        },
        Some(Input {
            name: "programmes.csv".to_owned(),
            reader: programmes.as_bytes(),
        }),
    )
    .await
}

async fn a_programme_stored_with_the_other_synthetic_flag_is_refused(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let header = "code,name,description,stage,owner,owner_name,synthetic\n";
    // The published schools programme is real; described as synthetic it is refused, not
    // ignored.
    let problems = import_problems(
        describe(
            &app,
            &format!("{header}schools_programme,Renamed,Invented,live,DEMO,Demo,true\n"),
        )
        .await,
    );
    assert_one_problem(
        &problems,
        ("programmes.csv", 2, "synthetic"),
        "stored as real data",
    );
    let data = app
        .data(r#"{ programme(code: "schools_programme") { name synthetic } }"#)
        .await;
    assert_eq!(data["programme"]["synthetic"], false);
    assert_ne!(data["programme"]["name"], "Renamed", "nothing written");

    // A synthetic programme is not turned real either.
    describe(
        &app,
        &format!("{header}demo_p,Demo (synthetic),Invented,live,DEMO,Demo,true\n"),
    )
    .await
    .expect("a new synthetic programme imports");
    let problems = import_problems(
        describe(
            &app,
            &format!("{header}demo_p,Demo,Invented,live,DEMO,Demo,\n"),
        )
        .await,
    );
    assert!(
        problems.len() == 1 && problems[0].reason.contains("stored as synthetic data"),
        "{problems:#?}"
    );
    let data = app
        .data(r#"{ programme(code: "demo_p") { synthetic } }"#)
        .await;
    assert_eq!(data["programme"]["synthetic"], true);
    app.stop().await;
}

on_both_stores!(
    the_schools_programme_series_is_as_published,
    percentages_are_re_derived_never_summed,
    reach_by_region_and_the_share_in_cold_spots,
    an_import_with_bad_rows_lists_every_problem_and_writes_nothing,
    a_programme_stored_with_the_other_synthetic_flag_is_refused,
);

async fn a_fresh_server_shows_synthetic_activity_never_summed_with_published(store: Store) {
    let Some(app) = TestApp::spawn_with(store, |c| c.demo_data = true).await else {
        return;
    };
    let data = app
        .data(
            r#"{ programmes(owner: "DEMO") { code name synthetic }
                 reach: programmeReach(programme: "demo_schools_outreach", metric: "events", period: "2023") {
                   areaCode value coldSpotShare indexPeriod } }"#,
        )
        .await;
    let demo = data["programmes"].as_array().expect("programmes");
    assert_eq!(demo.len(), 2);
    assert!(demo.iter().all(|p| {
        p["synthetic"] == true
            && p["name"]
                .as_str()
                .is_some_and(|n| n.contains("(synthetic)"))
    }));
    let reach = data["reach"].as_array().expect("reach");
    assert!(reach.len() >= 5, "{reach:?}");
    assert!(
        reach
            .iter()
            .all(|r| r["areaCode"].as_str().is_some_and(|c| c.starts_with("E12")))
    );
    assert!(
        reach
            .iter()
            .all(|r| r["value"].as_f64().is_some_and(|v| v > 0.0))
    );
    assert!(
        reach
            .iter()
            .any(|r| r["coldSpotShare"].as_f64().is_some_and(|s| s > 0.0))
    );
    // `events` is also a metric of the published Schools Programme: never summed together.
    let mixed = app
        .query(r#"{ programmeReach(metric: "events") { value } }"#)
        .await;
    assert_eq!(error_code(&mixed), "BAD_USER_INPUT");
    assert!(error_message(&mixed).contains("synthetic"), "{mixed}");
    app.stop().await;
}

on_both_stores!(a_fresh_server_shows_synthetic_activity_never_summed_with_published);

async fn every_published_figure_says_where_it_came_from_with_its_caveats(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let figures = bundled_csv("programmes/programme_figures.csv");
    assert_eq!(
        figures.iter().filter(|f| !f["caveat"].is_empty()).count(),
        5,
        "the figures the plan contradicts or gives no year"
    );
    let mut points = 0;
    let mut wide_figures = 0;
    for programme in bundled_csv("programmes/programmes.csv") {
        let code = &programme["code"];
        let mut metrics: Vec<&str> = figures
            .iter()
            .filter(|f| &f["programme"] == code)
            .map(|f| f["metric"].as_str())
            .collect();
        metrics.sort();
        metrics.dedup();
        let series: String = metrics
            .iter()
            .enumerate()
            .map(|(i, m)| {
                format!(
                    r#"m{i}: series(metric: "{m}") {{ period actual target synthetic source licence caveats }} "#
                )
            })
            .collect();
        let data = app
            .data(&format!(
                r#"{{ programme(code: "{code}") {{ synthetic source licence {series} }} }}"#
            ))
            .await;
        let served = &data["programme"];
        assert_eq!(served["synthetic"], false, "{code}");
        assert_eq!(served["source"], programme["source"].as_str(), "{code}");
        assert_eq!(served["licence"], programme["licence"].as_str(), "{code}");
        assert!(
            programme["source"].contains("Ministry of Justice"),
            "{programme:?}"
        );
        for (i, metric) in metrics.iter().enumerate() {
            for point in served[format!("m{i}")].as_array().expect("series") {
                let period = point["period"].as_str().expect("period");
                let mut expected: Vec<&str> = figures
                    .iter()
                    .filter(|f| {
                        &f["programme"] == code && f["metric"] == *metric && f["period"] == period
                    })
                    .map(|f| f["caveat"].as_str())
                    .filter(|c| !c.is_empty())
                    .collect();
                expected.sort();
                expected.dedup();
                assert_eq!(
                    point["caveats"],
                    json!(expected),
                    "{code} {metric} {period}"
                );
                assert_eq!(point["source"], served["source"], "{code} {metric}");
                assert_eq!(point["licence"], served["licence"], "{code} {metric}");
                assert_eq!(point["synthetic"], false, "{code} {metric}");
                // The programme-wide figures of the period, as published.
                for kind in ["actual", "target"] {
                    let wide: Vec<f64> = figures
                        .iter()
                        .filter(|f| {
                            &f["programme"] == code
                                && f["metric"] == *metric
                                && f["period"] == period
                                && f["kind"] == kind
                                && f["area_code"].is_empty()
                        })
                        .map(|f| f["value"].parse().expect("value"))
                        .collect();
                    if let [value] = wide[..] {
                        assert_eq!(
                            point[kind].as_f64(),
                            Some(value),
                            "{code} {metric} {period}"
                        );
                        wide_figures += 1;
                    }
                }
                points += 1;
            }
        }
    }
    assert!(points >= 40, "{points} points checked");
    // Every figure, row by row: the programme-wide ones above, each area's through its area.
    let local: Vec<_> = figures
        .iter()
        .filter(|f| !f["area_code"].is_empty())
        .collect();
    for f in &local {
        let data = app
            .data(&format!(
                r#"{{ programme(code: "{}") {{ series(metric: "{}", area: "{}", from: "{p}", to: "{p}") {{ actual target }} }} }}"#,
                f["programme"],
                f["metric"],
                f["area_code"],
                p = f["period"]
            ))
            .await;
        let value: f64 = f["value"].parse().expect("value");
        assert_eq!(
            data["programme"]["series"][0][f["kind"].as_str()].as_f64(),
            Some(value),
            "{f:?}"
        );
    }
    assert_eq!(
        wide_figures + local.len(),
        figures.len(),
        "every published figure"
    );
    // The plan's own contradictions, as the issue found them.
    let data = app
        .data(
            r#"{ step: programme(code: "step_into_justice") { series(metric: "placements", from: "2018", to: "2018") { actual caveats } }
                 starts: programme(code: "apprenticeships") { series(metric: "starts", from: "2018", to: "2018") { actual caveats } } }"#,
        )
        .await;
    let step = &data["step"]["series"][0];
    assert_eq!(step["actual"].as_f64(), Some(200.0));
    assert!(
        step["caveats"][0]
            .as_str()
            .is_some_and(|c| c.contains("204")),
        "{step}"
    );
    let starts = &data["starts"]["series"][0];
    assert_eq!(starts["actual"].as_f64(), Some(511.0));
    assert!(
        starts["caveats"][0]
            .as_str()
            .is_some_and(|c| c.contains("500")),
        "{starts}"
    );
    app.stop().await;
}

async fn an_imported_file_states_its_source_licence_and_caveats_or_says_nothing(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let figures = "programme,metric,unit,period,kind,value,area_code,note,caveat\n\
        club,visits,events,2023,actual,10,E08000025,,\n\
        club,visits,events,2023,actual,5,E08000026,,\"Counted twice in the source; 4 or 5\"\n\
        club,visits,events,2024,actual,7,E08000025,,\n";
    let programmes = "code,name,description,stage,owner,owner_name,source,licence\n\
        club,Club,After-school club,outreach,ACME,Acme,Acme annual report 2024,CC BY 4.0\n";
    import::programmes::import(
        &app.db,
        Input {
            name: "figures.csv".to_owned(),
            reader: figures.as_bytes(),
        },
        Some(Input {
            name: "programmes.csv".to_owned(),
            reader: programmes.as_bytes(),
        }),
    )
    .await
    .expect("import");
    let query = r#"{ programme(code: "club") { source licence
        series(metric: "visits") { period actual caveats source }
        within: series(metric: "visits", area: "E08000025") { period caveats }
        totals(metric: "visits") { period actual caveats licence } } }"#;
    let data = app.data(query).await;
    let p = &data["programme"];
    assert_eq!(p["source"], "Acme annual report 2024");
    assert_eq!(p["licence"], "CC BY 4.0");
    assert_eq!(
        p["series"],
        json!([
            { "period": "2023", "actual": 15.0, "caveats": ["Counted twice in the source; 4 or 5"],
              "source": "Acme annual report 2024" },
            { "period": "2024", "actual": 7.0, "caveats": [], "source": "Acme annual report 2024" },
        ])
    );
    // Birmingham's own figures carry no caveat: Coventry's does not follow it there.
    assert_eq!(
        p["within"],
        json!([{ "period": "2023", "caveats": [] }, { "period": "2024", "caveats": [] }])
    );
    assert_eq!(
        p["totals"],
        json!([
            { "period": "2023", "actual": 15.0, "caveats": ["Counted twice in the source; 4 or 5"],
              "licence": "CC BY 4.0" },
            { "period": "2024", "actual": 7.0, "caveats": [], "licence": "CC BY 4.0" },
        ])
    );
    // A programme whose file states neither: null, never a guess.
    import::programmes::import(
        &app.db,
        Input {
            name: "more.csv".to_owned(),
            reader: "programme,metric,unit,period,kind,value,area_code,note\n\
                     quiet,visits,events,2023,actual,3,,\n"
                .as_bytes(),
        },
        None::<Input<&[u8]>>,
    )
    .await
    .expect("import without sources");
    let data = app
        .data(r#"{ programme(code: "quiet") { source licence series(metric: "visits") { source licence caveats } } }"#)
        .await;
    assert_eq!(
        data["programme"],
        json!({ "source": null, "licence": null,
                "series": [{ "source": null, "licence": null, "caveats": [] }] })
    );
    app.stop().await;
}

on_both_stores!(
    every_published_figure_says_where_it_came_from_with_its_caveats,
    an_imported_file_states_its_source_licence_and_caveats_or_says_nothing,
);
