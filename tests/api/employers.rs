//! The employer list costs a number of SQL statements that does not depend on how many
//! employers it lists (no statement per employer).

use std::io::Cursor;
use std::time::Duration;

use mobility_explorer::domain::workforce::PersonKey;
use mobility_explorer::import;

use crate::helpers::{Store, TestApp};
use crate::on_both_stores;
use crate::staff::{self, BIRMINGHAM, WESTMINSTER, batch, people};

/// Employer codes `EMP-01`, `EMP-02`...
fn code(number: usize) -> String {
    format!("EMP-{number:02}")
}

/// Employers `from` to `to` (inclusive), each with two snapshots (2023 and 2024), two business
/// units and two grades, in one file.
fn employers_csv(from: usize, to: usize) -> String {
    let mut all = Vec::new();
    for number in from..=to {
        for year in [2023, 2024] {
            all.extend(people(
                &code(number),
                year,
                &[
                    batch(6, "Operations", ("AO", 1), BIRMINGHAM, 2020, "routine"),
                    batch(6, "Policy", ("G7", 3), WESTMINSTER, 2015, "professional"),
                ],
            ));
        }
    }
    staff::csv(&all)
}

async fn load(app: &TestApp, from: usize, to: usize) {
    let key = PersonKey::new(b"a test key of more than sixteen bytes").expect("long enough");
    import::workforce::import(
        &app.db,
        "employers.csv",
        Cursor::new(employers_csv(from, to)),
        &key,
    )
    .await
    .expect("the employers import");
}

/// What each query reads: the list alone, then each nested field of `EmployerNode`, then all.
const QUERIES: [(&str, &str); 5] = [
    ("employers", "{ employers { code name sector synthetic } }"),
    (
        "EmployerNode.snapshots",
        "{ employers { code snapshots { year source importedAt } } }",
    ),
    (
        "EmployerNode.businessUnits",
        "{ employers { code businessUnits } }",
    ),
    (
        "EmployerNode.grades",
        "{ employers { code grades { label level } } }",
    ),
    (
        "all fields",
        "{ employers { code name sector synthetic snapshots { year source importedAt } \
         businessUnits grades { label level } } }",
    ),
];

/// The statements each query of `QUERIES` costs, after checking that every one of the
/// `employers` employers is listed with all it holds.
async fn costs(app: &TestApp, employers: usize) -> Vec<u64> {
    let mut costs = Vec::new();
    for (_, query) in QUERIES {
        let before = app.statements();
        let data = app.data(query).await;
        costs.push(app.statements() - before);
        let listed = data["employers"].as_array().expect("a list");
        let codes: Vec<&str> = listed
            .iter()
            .map(|e| e["code"].as_str().expect("a code"))
            .collect();
        let expected: Vec<String> = (1..=employers).map(code).collect();
        assert_eq!(codes, expected, "{query}");
        for employer in listed {
            for (field, len) in [("snapshots", 2), ("businessUnits", 2), ("grades", 2)] {
                if let Some(items) = employer.get(field) {
                    assert_eq!(items.as_array().map(Vec::len), Some(len), "{employer}");
                }
            }
        }
    }
    costs
}

/// Statements of each query of `QUERIES` with 2 employers, then with 8.
async fn costs_for_2_and_8_employers(store: Store) -> Option<(Vec<u64>, Vec<u64>)> {
    // Batching is by time window. In a debug build on a busy 2-core machine, resolving a list
    // takes tens of milliseconds, so the window is widened to keep each burst whole: what is
    // checked is that one burst is one statement, however many employers it covers.
    let wide = Duration::from_millis(1000);
    let app = TestApp::spawn_with(store, |c| c.batch_window = wide).await?;
    load(&app, 1, 2).await;
    let few = costs(&app, 2).await;
    load(&app, 3, 8).await;
    let many = costs(&app, 8).await;
    app.stop().await;
    for ((field, _), (f, m)) in QUERIES.iter().zip(few.iter().zip(&many)) {
        eprintln!("{store:?} {field}: {f} statement(s) for 2 employers, {m} for 8");
    }
    Some((few, many))
}

/// Names each query whose cost grows from 2 to 8 employers, with both costs.
fn growing(few: &[u64], many: &[u64]) -> Vec<String> {
    QUERIES
        .iter()
        .zip(few.iter().zip(many))
        .filter(|(_, (f, m))| f != m)
        .map(|((field, _), (f, m))| format!("{field}: {f} statement(s) for 2 employers, {m} for 8"))
        .collect()
}

async fn the_employer_list_costs_the_same_for_2_and_8_employers(store: Store) {
    let Some((few, many)) = costs_for_2_and_8_employers(store).await else {
        return;
    };
    // The list itself: one statement, whatever it holds.
    assert_eq!(few[0], many[0], "{:?}", growing(&few[..1], &many[..1]));
    assert!(many[0] <= 2, "the employer list alone costs {}", many[0]);
}

on_both_stores!(the_employer_list_costs_the_same_for_2_and_8_employers);

/// `EmployerNode.snapshots`, `.businessUnits` and `.grades` go through batching loaders:
/// one statement per field for the whole list, not one per employer.
async fn the_employer_fields_cost_the_same_for_2_and_8_employers(store: Store) {
    let Some((few, many)) = costs_for_2_and_8_employers(store).await else {
        return;
    };
    let growing = growing(&few, &many);
    assert!(
        growing.is_empty(),
        "statements grow with the number of employers:\n{}",
        growing.join("\n")
    );
    assert!(
        many.iter().all(|&n| n <= 8),
        "too many statements: {many:?} for {:?}",
        QUERIES.map(|(field, _)| field)
    );
}

on_both_stores!(the_employer_fields_cost_the_same_for_2_and_8_employers);
