//! Areas of the UK over GraphQL: the real ONS geography, levels, hierarchy and pagination.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};

use crate::helpers::{Store, TestApp, error_code, error_message};
use crate::on_both_stores;

/// Rows of the bundled district lookup, as the test reads them itself.
fn districts() -> Vec<HashMap<String, String>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/reference/geography/lad20_itl_uk.csv"
    );
    let mut reader = csv::Reader::from_path(path).expect("lookup file");
    reader.deserialize().map(|r| r.expect("row")).collect()
}

fn names(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["name"].as_str().expect("name").to_owned())
        .collect()
}

async fn the_regions_query_returns_real_regions_with_their_authorities(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let data = app
        .data(
            "{ areas(level: REGION) { totalCount edges { node { code name \
             children(first: 5) { edges { node { name } } } } } } }",
        )
        .await;
    let regions = &data["areas"];
    // Nine English regions plus Wales, Scotland and Northern Ireland.
    assert_eq!(regions["totalCount"], 12);
    let by_code: HashMap<&str, &Value> = regions["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| (e["node"]["code"].as_str().expect("code"), &e["node"]))
        .collect();
    assert_eq!(by_code["E12000007"]["name"], "London");
    assert_eq!(by_code["W92000004"]["name"], "Wales");
    // The first five children by code are the first five districts of the lookup in code order.
    let rows = districts();
    for (region, itl1) in [("E12000001", "TLC"), ("W92000004", "TLL")] {
        let mut expected: Vec<(&str, &str)> = rows
            .iter()
            .filter(|r| r["ITL121CD"] == itl1)
            .map(|r| (r["LAD20CD"].as_str(), r["LAD20NM"].as_str()))
            .collect();
        expected.sort();
        let expected: Vec<String> = expected
            .iter()
            .take(5)
            .map(|(_, n)| n.to_string())
            .collect();
        assert_eq!(names(&by_code[region]["children"]), expected, "{region}");
    }
    assert!(names(&by_code["E12000001"]["children"]).contains(&"Hartlepool".to_owned()));
    app.stop().await;
}

async fn every_level_holds_the_areas_the_ons_lookup_lists(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let rows = districts();
    let distinct = |column: &str| {
        rows.iter()
            .map(|r| r[column].clone())
            .collect::<BTreeSet<_>>()
            .len()
    };
    let data = app
        .data(
            "{ uk: areas(level: UK) { totalCount } countries: areas(level: COUNTRY) { totalCount } \
             itl2: areas(level: ITL2) { totalCount } itl3: areas(level: ITL3) { totalCount } \
             la: areas(level: LOCAL_AUTHORITY) { totalCount } all: areas { totalCount } \
             localAreas: areas(level: LOCAL_AREA) { totalCount } }",
        )
        .await;
    assert_eq!(data["uk"]["totalCount"], 1);
    assert_eq!(data["countries"]["totalCount"], 4);
    assert_eq!(data["itl2"]["totalCount"], distinct("ITL221CD"));
    assert_eq!(data["itl3"]["totalCount"], distinct("ITL321CD"));
    // The 2020 districts and the six unitary authorities created since.
    assert_eq!(rows.len(), 379);
    assert_eq!(data["la"]["totalCount"], rows.len() + 6);
    // The Commission's 205 local areas: 22 are areas of their own (21 counties and Cumbria);
    // the rest are existing areas, the four newer authorities among them.
    assert_eq!(data["localAreas"]["totalCount"], 205);
    // And one comparator, the OECD average.
    let all = 1 + 4 + 9 + distinct("ITL221CD") + distinct("ITL321CD") + rows.len() + 6 + 22 + 1;
    assert_eq!(data["all"]["totalCount"], all);
    app.stop().await;
}

async fn paging_through_authorities_visits_each_once_in_code_order(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let mut seen = Vec::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        let answer = app
            .query_with(
                "query($after: String) { areas(level: LOCAL_AUTHORITY, first: 100, after: $after) \
                 { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { code } } } }",
                json!({ "after": after }),
            )
            .await;
        let areas = &answer["data"]["areas"];
        assert_eq!(areas["totalCount"], 385, "{answer}");
        assert_eq!(areas["pageInfo"]["hasPreviousPage"], pages > 0);
        for edge in areas["edges"].as_array().expect("edges") {
            seen.push(edge["node"]["code"].as_str().expect("code").to_owned());
        }
        pages += 1;
        if areas["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = areas["pageInfo"]["endCursor"].clone();
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 4);
    let mut expected: Vec<String> = districts().iter().map(|r| r["LAD20CD"].clone()).collect();
    expected.extend((61..=66).map(|n| format!("E060000{n}")));
    expected.sort();
    assert_eq!(seen, expected);
    app.stop().await;
}

/// The unitary authorities created since the 2020 boundaries are found under their ONS names,
/// lie where the districts they replaced lay, and take staff records as a place of work.
async fn the_authorities_created_since_2020_are_places_like_any_other(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let data = app
        .data(
            r#"{ cumberland: area(code: "E06000063") { name level parent { code }
                   itl2: within(level: ITL2) { code } itl3: within(level: ITL3) { code }
                   local: within(level: LOCAL_AREA) { code name } }
                 westmorland: area(code: "E06000064") { name }
                 yorkshire: area(code: "E06000065") { name level itl3: within(level: ITL3) { code name }
                   local: within(level: LOCAL_AREA) { code name } }
                 somerset: area(code: "E06000066") { name within(level: REGION) { code } } }"#,
        )
        .await;
    assert_eq!(
        data["cumberland"],
        json!({ "name": "Cumberland", "level": "LOCAL_AUTHORITY", "parent": { "code": "E12000002" },
                "itl2": { "code": "TLD1" }, "itl3": null,
                "local": { "code": "SMC25-CUMBRIA", "name": "Cumbria" } })
    );
    assert_eq!(data["westmorland"]["name"], "Westmorland and Furness");
    // The ONS name, not the Commission's "North Yorkshire CC"; the area is its own local area.
    assert_eq!(
        data["yorkshire"],
        json!({ "name": "North Yorkshire", "level": "LOCAL_AUTHORITY",
                "itl3": { "code": "TLE22", "name": "North Yorkshire CC" },
                "local": { "code": "E06000065", "name": "North Yorkshire" } })
    );
    assert_eq!(data["somerset"]["name"], "Somerset");
    assert_eq!(data["somerset"]["within"]["code"], "E12000009");
    // A 2024 workforce in Cumberland and North Yorkshire imports and counts in their regions.
    let mut csv = String::from(
        "person_ref,employer,year,business_unit,grade,grade_level,work_area,parental_occupation,\
         school_type,free_school_meals,parental_degree,self_assessed\n",
    );
    for i in 0..30 {
        let area = if i < 20 { "E06000063" } else { "E06000065" };
        csv.push_str(&format!(
            "P{i},NEWER,2024,Ops,EO,3,{area},professional,state_non_selective,no,yes,no\n"
        ));
    }
    mobility_explorer::import::workforce::import(
        &app.db,
        "newer.csv",
        std::io::Cursor::new(csv.into_bytes()),
        &mobility_explorer::domain::workforce::PersonKey::new(
            b"a test key of more than sixteen bytes",
        )
        .expect("long enough"),
    )
    .await
    .expect("places of work created since 2020 are accepted");
    let data = app
        .data(
            r#"{ workforce(filter: { employers: ["NEWER"], years: [2024] }) {
                   distribution(by: [REGION]) { key { region } } } }"#,
        )
        .await;
    let regions: Vec<&str> = data["workforce"]["distribution"]
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["key"]["region"].as_str())
        .collect();
    assert_eq!(regions, ["E12000002", "E12000003"], "{data}");
    app.stop().await;
}

async fn an_area_is_found_by_any_of_its_codes_and_unknown_codes_give_null(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let data = app
        .data(
            r#"{ gss: area(code: "E12000007") { name level alternativeCodes { code scheme } }
                 itl: area(code: "tli") { code }
                 cardiff: area(code: "W06000015") { name level parent { name }
                   itl3: within(level: ITL3) { code } itl2: within(level: ITL2) { code }
                   region: within(level: REGION) { name } country: within(level: COUNTRY) { name }
                   uk: within(level: UK) { name } self: within(level: LOCAL_AUTHORITY) { name } }
                 wales: area(code: "TLL") { level region: within(level: REGION) { name } }
                 nothing: area(code: "X99999999") { name } }"#,
        )
        .await;
    assert_eq!(data["gss"]["name"], "London");
    assert_eq!(data["gss"]["level"], "REGION");
    assert_eq!(
        data["gss"]["alternativeCodes"],
        json!([{ "code": "TLI", "scheme": "ITL1" }])
    );
    assert_eq!(data["itl"]["code"], "E12000007");
    let cardiff_row = districts()
        .into_iter()
        .find(|r| r["LAD20CD"] == "W06000015")
        .expect("Cardiff in the lookup");
    let cardiff = &data["cardiff"];
    assert_eq!(cardiff["name"], "Cardiff");
    assert_eq!(cardiff["level"], "LOCAL_AUTHORITY");
    assert_eq!(cardiff["parent"]["name"], "Wales");
    assert_eq!(cardiff["itl3"]["code"], cardiff_row["ITL321CD"].as_str());
    assert_eq!(cardiff["itl2"]["code"], cardiff_row["ITL221CD"].as_str());
    assert_eq!(cardiff["region"]["name"], "Wales");
    assert_eq!(cardiff["country"]["name"], "Wales");
    assert_eq!(cardiff["uk"]["name"], "United Kingdom");
    assert_eq!(cardiff["self"]["name"], "Cardiff");
    assert_eq!(data["wales"]["level"], "COUNTRY");
    assert_eq!(data["wales"]["region"]["name"], "Wales");
    assert_eq!(data["nothing"], Value::Null);
    app.stop().await;
}

async fn areas_filter_by_parent_level_and_name(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let rows = districts();
    let london = rows.iter().filter(|r| r["ITL121CD"] == "TLI").count();
    let london_itl2 = rows
        .iter()
        .filter(|r| r["ITL121CD"] == "TLI")
        .map(|r| r["ITL221CD"].clone())
        .collect::<BTreeSet<_>>();
    let with_city = rows
        .iter()
        .filter(|r| r["LAD20NM"].to_lowercase().contains("city"))
        .count();
    let data = app
        .data(
            r#"{ byGss: areas(parent: "E12000007", level: LOCAL_AUTHORITY) { totalCount }
                 byItl: areas(parent: "TLI", level: LOCAL_AUTHORITY) { totalCount }
                 inner: areas(parent: "TLI3", level: LOCAL_AUTHORITY, first: 100) { edges { node { within(level: ITL2) { code } } } }
                 city: areas(level: LOCAL_AUTHORITY, nameContains: "CiTy") { totalCount }
                 literal: areas(nameContains: "%") { totalCount }
                 london: area(code: "E12000007") {
                   itl2: children(level: ITL2) { totalCount edges { node { code } } }
                   all: children(first: 0) { totalCount edges { node { code } } pageInfo { hasNextPage } } } }"#,
        )
        .await;
    assert_eq!(data["byGss"]["totalCount"], london);
    assert_eq!(data["byItl"]["totalCount"], london);
    for edge in data["inner"]["edges"].as_array().expect("edges") {
        assert_eq!(edge["node"]["within"]["code"], "TLI3");
    }
    assert_eq!(data["city"]["totalCount"], with_city);
    assert!(with_city > 0);
    assert_eq!(data["literal"]["totalCount"], 0);
    let itl2: BTreeSet<String> = data["london"]["itl2"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["code"].as_str().expect("code").to_owned())
        .collect();
    assert_eq!(itl2, london_itl2);
    assert_eq!(data["london"]["itl2"]["totalCount"], london_itl2.len());
    assert_eq!(
        data["london"]["all"]["totalCount"],
        london + london_itl2.len()
    );
    assert_eq!(data["london"]["all"]["edges"], json!([]));
    assert_eq!(data["london"]["all"]["pageInfo"]["hasNextPage"], true);
    app.stop().await;
}

async fn children_list_authorities_before_itl_areas_across_pages(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let rows = districts();
    let mut authorities: Vec<String> = rows
        .iter()
        .filter(|r| r["ITL121CD"] == "TLI")
        .map(|r| r["LAD20CD"].clone())
        .collect();
    authorities.sort();
    let itl2: BTreeSet<String> = rows
        .iter()
        .filter(|r| r["ITL121CD"] == "TLI")
        .map(|r| r["ITL221CD"].clone())
        .collect();
    let mut expected = authorities;
    expected.extend(itl2);
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let answer = app
            .query_with(
                r#"query($after: String) { area(code: "E12000007") { children(first: 30, after: $after) {
                     totalCount pageInfo { hasNextPage endCursor } edges { node { code } } } } }"#,
                json!({ "after": after }),
            )
            .await;
        let children = &answer["data"]["area"]["children"];
        assert_eq!(children["totalCount"], expected.len(), "{answer}");
        seen.extend(
            children["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|e| e["node"]["code"].as_str().expect("code").to_owned()),
        );
        if children["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = children["pageInfo"]["endCursor"].clone();
        assert!(seen.len() <= expected.len(), "paging does not end");
    }
    assert_eq!(seen, expected);
    let answer = app
        .query(
            r#"{ area(code: "E12000007") { children(after: "bm90IGEgY3Vyc29y") { totalCount } } }"#,
        )
        .await;
    assert_eq!(error_code(&answer), "BAD_USER_INPUT");
    app.stop().await;
}

async fn an_unknown_parent_is_reported_as_not_found(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let answer = app
        .query(r#"{ areas(parent: "E12999999") { totalCount } }"#)
        .await;
    assert_eq!(error_code(&answer), "NOT_FOUND");
    assert!(error_message(&answer).contains("E12999999"));
    app.stop().await;
}

async fn a_page_of_areas_with_relations_costs_a_constant_number_of_statements(store: Store) {
    // Batching is by time window. In a debug build on a busy 2-core machine, resolving a page
    // of 100 areas takes tens of milliseconds, so the test widens the window to keep bursts
    // whole; what it checks is that one burst is one statement, however many areas it holds.
    let wide = std::time::Duration::from_millis(1000);
    let Some(app) = TestApp::spawn_with(store, |c| c.batch_window = wide).await else {
        return;
    };
    let query = |first: u32| {
        format!(
            "{{ areas(level: LOCAL_AUTHORITY, first: {first}) {{ edges {{ node {{ name \
             parent {{ name parent {{ name }} }} within(level: ITL2) {{ name }} \
             alternativeCodes {{ code }} children(first: 5) {{ totalCount edges {{ node {{ name }} }} }} }} }} }} }}"
        )
    };
    let mut costs = Vec::new();
    for first in [10, 100] {
        let before = app.statements();
        let data = app.data(&query(first)).await;
        costs.push(app.statements() - before);
        let edges = data["areas"]["edges"].as_array().expect("edges");
        assert_eq!(edges.len(), first as usize);
        assert!(
            edges
                .iter()
                .all(|e| e["node"]["parent"]["name"].is_string())
        );
        assert!(
            edges
                .iter()
                .all(|e| e["node"]["within"]["name"].is_string())
        );
    }
    // count + page, parents, grandparents, containment, alternative codes, children page and
    // children totals: the same for 10 areas as for 100.
    assert_eq!(
        costs[0], costs[1],
        "statements for 10 vs 100 areas: {costs:?}"
    );
    assert!(costs[1] <= 8, "too many statements: {costs:?}");
    app.stop().await;
}

async fn reloading_the_reference_data_changes_nothing(store: Store) {
    let Some(app) = TestApp::spawn(store).await else {
        return;
    };
    let before = app
        .data("{ areas { totalCount } area(code: \"TLI\") { name } }")
        .await;
    let summary = mobility_explorer::import::reference::load(&app.db)
        .await
        .expect("reload");
    assert_eq!(
        summary.areas.values().sum::<usize>(),
        before["areas"]["totalCount"].as_u64().expect("n") as usize
    );
    let after = app
        .data("{ areas { totalCount } area(code: \"TLI\") { name } }")
        .await;
    assert_eq!(before, after);
    app.stop().await;
}

on_both_stores!(
    the_authorities_created_since_2020_are_places_like_any_other,
    the_regions_query_returns_real_regions_with_their_authorities,
    every_level_holds_the_areas_the_ons_lookup_lists,
    paging_through_authorities_visits_each_once_in_code_order,
    an_area_is_found_by_any_of_its_codes_and_unknown_codes_give_null,
    areas_filter_by_parent_level_and_name,
    children_list_authorities_before_itl_areas_across_pages,
    an_unknown_parent_is_reported_as_not_found,
    a_page_of_areas_with_relations_costs_a_constant_number_of_statements,
    reloading_the_reference_data_changes_nothing,
);
