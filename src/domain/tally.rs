//! Cells summed from records as an import reads them, so the cells of a file are ready when
//! its last row is: no second pass over the records, in memory bounded by the number of
//! cells (one per combination of dimensions and background group), not of records.
//!
//! The import learns some record keys only at the end (a person already stored keeps their
//! key, see [`Tally::rekey`]); a rekeyed record moves only its cells' key sums.

use super::cells::{Cell, ENGAGEMENT, OTHER_DECLARED};
use super::disclosure::Aggregate;
use super::seb::{self, Measure};

/// One record as the tally needs it; snapshots and places of work are the caller's
/// ordinals, turned into ids and codes by [`Tally::into_cells`].
#[derive(Debug, Clone, PartialEq)]
pub struct TallyRecord<'a> {
    /// The caller's number of the record's snapshot.
    pub snapshot: usize,
    /// Business unit id.
    pub business_unit: i32,
    /// Grade level.
    pub grade_level: i32,
    /// The caller's number of the place of work.
    pub area: usize,
    /// Whether the person joined in the snapshot's year.
    pub joiner: bool,
    /// Answer codes, in the order of [`Measure::ALL`].
    pub answers: [Option<&'a str>; 5],
    /// Engagement score.
    pub engagement: Option<f64>,
}

/// The key of a tallied cell: `slot` is the measure's position in [`Measure::ALL`], or 5 for
/// engagement; `category` the group's position in the measure's groups (engagement: 0
/// lower, 1 other declared), [`UNDECLARED`] for none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    snapshot: u32,
    business_unit: i32,
    grade_level: i32,
    area: u32,
    joiner: bool,
    slot: u8,
    category: u8,
}

const UNDECLARED: u8 = u8::MAX;
const ENGAGEMENT_SLOT: u8 = Measure::ALL.len() as u8;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Sums {
    records: u64,
    key_sum: u64,
    score_sum: f64,
}

/// The cells of the records added so far.
#[derive(Debug, Default)]
pub struct Tally {
    // Each record updates six cells: SipHash, the standard map's, cost more than the
    // update itself; keys are ids and small codes, and the seed is still random.
    cells: foldhash::HashMap<Key, Sums>,
}

/// The position of `answer`'s group among `measure`'s groups.
fn category(measure: Measure, answer: Option<&str>) -> u8 {
    let group = answer.and_then(|a| {
        measure
            .codes()
            .iter()
            .find(|(code, _)| *code == a)
            .and_then(|(_, group)| *group)
    });
    group
        .and_then(|g| measure.groups().iter().position(|x| *x == g))
        .map_or(UNDECLARED, |i| i as u8)
}

impl Tally {
    /// The cells `record` counts in: one per measure, and one engagement cell when it has a
    /// score and a declared parental occupation.
    fn keys(record: &TallyRecord<'_>) -> impl Iterator<Item = (Key, bool)> {
        let base = Key {
            snapshot: record.snapshot as u32,
            business_unit: record.business_unit,
            grade_level: record.grade_level,
            area: record.area as u32,
            joiner: record.joiner,
            slot: 0,
            category: UNDECLARED,
        };
        let measures = Measure::ALL
            .into_iter()
            .zip(record.answers)
            .enumerate()
            .map(move |(slot, (measure, answer))| {
                let key = Key {
                    slot: slot as u8,
                    category: category(measure, answer),
                    ..base
                };
                (key, false)
            });
        let po = Measure::ParentalOccupation;
        let engagement = match (record.engagement, category(po, record.answers[0])) {
            (Some(_), c) if c != UNDECLARED => {
                let lower = po.groups()[c as usize] == seb::LOWER;
                Some((
                    Key {
                        slot: ENGAGEMENT_SLOT,
                        category: u8::from(!lower),
                        ..base
                    },
                    true,
                ))
            }
            _ => None,
        };
        measures.chain(engagement)
    }

    /// Counts `record`, with record key `key`, in its cells.
    pub fn add(&mut self, record: &TallyRecord<'_>, key: u8) {
        for (cell, scored) in Self::keys(record) {
            let sums = self.cells.entry(cell).or_default();
            sums.records += 1;
            sums.key_sum += u64::from(key);
            if scored {
                sums.score_sum += record.engagement.unwrap_or(0.0);
            }
        }
    }

    /// Changes the key sums of `record`'s cells by `change`: records counted there with one
    /// record key that end with another (a key sum never falls below zero).
    pub fn rekey(&mut self, record: &TallyRecord<'_>, change: i64) {
        for (cell, _) in Self::keys(record) {
            if let Some(sums) = self.cells.get_mut(&cell) {
                sums.key_sum = sums.key_sum.saturating_add_signed(change);
            }
        }
    }

    /// The cells: `snapshot(n)` gives the file's snapshot `n`'s stored id, employer id and
    /// year, `area(n)` place of work `n`'s code and region.
    pub fn into_cells<'s>(
        self,
        snapshot: impl Fn(usize) -> [i32; 3] + 's,
        area: impl Fn(usize) -> (&'s str, &'s str) + 's,
    ) -> impl Iterator<Item = Cell> + 's {
        self.cells.into_iter().map(move |(key, sums)| {
            let [id, employer, year] = snapshot(key.snapshot as usize);
            let (work_area, work_region) = area(key.area as usize);
            let (measure, category) = match Measure::ALL.get(usize::from(key.slot)) {
                Some(m) => (
                    m.column(),
                    m.groups().get(usize::from(key.category)).copied(),
                ),
                None => (
                    ENGAGEMENT,
                    Some(if key.category == 0 {
                        seb::LOWER
                    } else {
                        OTHER_DECLARED
                    }),
                ),
            };
            Cell {
                snapshot: id,
                employer,
                year,
                business_unit: key.business_unit,
                grade_level: key.grade_level,
                work_area: work_area.to_owned(),
                work_region: work_region.to_owned(),
                joiner: key.joiner,
                measure: measure.to_owned(),
                category: category.map(str::to_owned),
                records: Aggregate {
                    count: sums.records,
                    key_sum: sums.key_sum,
                },
                score_sum: sums.score_sum,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(answers: [Option<&str>; 5], engagement: Option<f64>) -> TallyRecord<'_> {
        TallyRecord {
            snapshot: 0,
            business_unit: 7,
            grade_level: 3,
            area: 1,
            joiner: false,
            answers,
            engagement,
        }
    }

    fn cells(tally: Tally) -> Vec<Cell> {
        let areas = [("E1", "R1"), ("E2", "R2")];
        let mut cells: Vec<Cell> = tally
            .into_cells(|_| [7, 1, 2024], move |a| areas[a])
            .collect();
        cells.sort_by(|a, b| (&a.measure, &a.category).cmp(&(&b.measure, &b.category)));
        cells
    }

    #[test]
    fn each_record_counts_once_per_measure_and_engagement_only_when_declared() {
        let mut tally = Tally::default();
        let routine = [Some("routine"), None, Some("yes"), Some("no"), None];
        tally.add(&record(routine, Some(40.0)), 10);
        tally.add(&record(routine, Some(60.0)), 20);
        // Parental occupation not declared: no engagement cell.
        tally.add(
            &record([Some("other"), None, None, None, None], Some(99.0)),
            5,
        );
        let cells = cells(tally);
        let find = |measure: &str, category: Option<&str>| {
            cells
                .iter()
                .find(|c| c.measure == measure && c.category.as_deref() == category)
                .unwrap_or_else(|| panic!("{measure} {category:?}"))
        };
        let engagement = find(ENGAGEMENT, Some(seb::LOWER));
        assert_eq!(
            (engagement.records.count, engagement.records.key_sum),
            (2, 30)
        );
        assert_eq!(engagement.score_sum, 100.0);
        let lower = find("parental_occupation", Some(seb::LOWER));
        assert_eq!((lower.records.count, lower.records.key_sum), (2, 30));
        let unknown = find("parental_occupation", None);
        assert_eq!((unknown.records.count, unknown.records.key_sum), (1, 5));
        assert_eq!(find("school_type", None).records.count, 3);
        assert_eq!(find("free_school_meals", Some("YES")).records.count, 2);
        assert!(cells.iter().all(|c| c.work_area == "E2" && c.year == 2024));
        assert_eq!(
            cells.iter().filter(|c| c.measure == ENGAGEMENT).count(),
            1,
            "the undeclared score is in no engagement cell"
        );
    }

    #[test]
    fn rekeying_moves_key_sums_only() {
        let answers = [Some("professional"), None, None, None, None];
        let mut tally = Tally::default();
        tally.add(&record(answers, Some(70.0)), 200);
        tally.rekey(&record(answers, Some(70.0)), 3 - 200);
        for cell in cells(tally) {
            assert_eq!(
                (cell.records.count, cell.records.key_sum),
                (1, 3),
                "{cell:?}"
            );
            if cell.measure == ENGAGEMENT {
                assert_eq!(cell.category.as_deref(), Some(OTHER_DECLARED));
                assert_eq!(cell.score_sum, 70.0);
            }
        }
    }
}
