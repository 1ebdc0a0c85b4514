//! The pre-aggregated workforce: the cells every published workforce figure is summed from.
//!
//! A cell is one combination of the dimensions the API offers (employer, year, business
//! unit, grade level, place of work, joiner or not) and one measure's background group (or
//! its unknown answers), with the record count and record-key sum of its records. Both add
//! up over disjoint cells (see [`Aggregate`]), so every filter and grouping the API offers is
//! a sum of cells, and the cell key of the sum is the one the records themselves would give.
//! Engagement cells hold, per background (lower or other declared), the people with a score,
//! their record-key sum and the sum of their scores.
//!
//! [`Cells`] holds them column by column, sorted into blocks of one measure and snapshot
//! (every stored version of every employer-year), so a question reads only the blocks its
//! filter selects in its [`View`] and groups by dense ordinals, never by hashing strings.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::disclosure::Aggregate;
use super::release::View;
use super::seb::{self, Measure};
use super::workforce::{Dimension, GroupKey, Scope};

/// The measure name of engagement cells.
pub const ENGAGEMENT: &str = "engagement";
/// The category of engagement cells of other declared staff (professional and intermediate);
/// lower-SEB staff have [`seb::LOWER`].
pub const OTHER_DECLARED: &str = "OTHER";

/// One cell as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// The snapshot (one version of one employer-year) it was built from.
    pub snapshot: i32,
    /// Employer id.
    pub employer: i32,
    /// Snapshot year.
    pub year: i32,
    /// Business unit id.
    pub business_unit: i32,
    /// Grade level.
    pub grade_level: i32,
    /// Place of work (local authority code).
    pub work_area: String,
    /// Region of the place of work.
    pub work_region: String,
    /// Whether its people joined in the snapshot's year.
    pub joiner: bool,
    /// A measure's column name, or [`ENGAGEMENT`].
    pub measure: String,
    /// The background group; `None`: not declared (measures only).
    pub category: Option<String>,
    /// Its records: count and record-key sum.
    pub records: Aggregate,
    /// The sum of its engagement scores (engagement cells only; 0 otherwise).
    pub score_sum: f64,
}

/// One group's cells, before disclosure control: everyone, and each background group (in the
/// measure's order), each as a record count and record-key sum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupCounts {
    /// The group.
    pub key: GroupKey,
    /// Everyone in the group, declared or not.
    pub headcount: Aggregate,
    /// Each background group, every group of the measure present (empty ones included).
    pub categories: Vec<(&'static str, Aggregate)>,
}

/// Engagement scores of lower-SEB staff and of other declared staff (parental occupation):
/// the people with a score (as a cell) and the sum of their scores.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EngagementSums {
    /// Lower-SEB staff with a score.
    pub lower: Aggregate,
    /// The sum of their scores.
    pub lower_sum: f64,
    /// Other declared staff (professional and intermediate) with a score.
    pub other: Aggregate,
    /// The sum of their scores.
    pub other_sum: f64,
}

/// A stored cell the code cannot read.
#[derive(Debug, thiserror::Error)]
#[error("workforce cell not understood: {0}")]
pub struct CellError(String);

/// Cells are sorted into slots: one per measure (in [`Measure::ALL`] order), then
/// engagement.
const ENGAGEMENT_SLOT: usize = Measure::ALL.len();
/// The category of answers with no background group.
const UNKNOWN: u8 = u8::MAX;

fn slot_of(measure: Measure) -> usize {
    Measure::ALL.iter().position(|m| *m == measure).unwrap_or(0)
}

/// The distinct values of one dimension, each with its dense ordinal.
#[derive(Debug, Default)]
struct Dictionary<T> {
    values: Vec<T>,
    ordinals: HashMap<T, u32>,
}

impl<T: Clone + Eq + std::hash::Hash> Dictionary<T> {
    fn ordinal(&mut self, value: &T) -> u32 {
        if let Some(o) = self.ordinals.get(value) {
            return *o;
        }
        let o = self.values.len() as u32;
        self.values.push(value.clone());
        self.ordinals.insert(value.clone(), o);
        o
    }

    fn find(&self, value: &T) -> Option<u32> {
        self.ordinals.get(value).copied()
    }

    /// A mask over ordinals: true for the values in `wanted`.
    fn mask<'a>(&self, wanted: impl IntoIterator<Item = &'a T>) -> Vec<bool>
    where
        T: 'a,
    {
        let mut mask = vec![false; self.values.len()];
        for value in wanted {
            if let Some(o) = self.find(value) {
                mask[o as usize] = true;
            }
        }
        mask
    }
}

/// Every cell of one data version, column by column.
#[derive(Debug, Default)]
pub struct Cells {
    employers: Dictionary<i32>,
    years: Dictionary<i32>,
    units: Dictionary<i32>,
    levels: Dictionary<i32>,
    regions: Dictionary<String>,
    areas: Dictionary<String>,
    /// The rows of each slot and snapshot.
    blocks: HashMap<(usize, i32), Range<usize>>,
    /// The employer and year (ordinals) of each snapshot.
    owners: HashMap<i32, (u32, u32)>,
    unit: Vec<u32>,
    level: Vec<u32>,
    region: Vec<u32>,
    area: Vec<u32>,
    joiner: Vec<bool>,
    category: Vec<u8>,
    count: Vec<u64>,
    key_sum: Vec<u64>,
    score_sum: Vec<f64>,
}

/// The rows of one slot, employer and year (ordinals), which share both.
struct Block {
    rows: Range<usize>,
    employer: u32,
    year: u32,
}

/// A cell reduced to ordinals, before sorting into blocks.
struct Coded {
    slot: usize,
    snapshot: i32,
    unit: u32,
    level: u32,
    region: u32,
    area: u32,
    joiner: bool,
    category: u8,
    records: Aggregate,
    score_sum: f64,
}

/// The slot and category ordinal of a stored measure and category.
fn classify(measure: &str, category: Option<&str>) -> Result<(usize, u8), CellError> {
    let unknown = || CellError(format!("measure {measure}, category {category:?}"));
    if measure == ENGAGEMENT {
        let category = match category {
            Some(seb::LOWER) => 0,
            Some(OTHER_DECLARED) => 1,
            _ => return Err(unknown()),
        };
        return Ok((ENGAGEMENT_SLOT, category));
    }
    let m = Measure::ALL
        .into_iter()
        .find(|m| m.column() == measure)
        .ok_or_else(unknown)?;
    let category = match category {
        None => UNKNOWN,
        Some(c) => m
            .groups()
            .iter()
            .position(|g| *g == c)
            .map(|p| p as u8)
            .ok_or_else(unknown)?,
    };
    Ok((slot_of(m), category))
}

/// Cells gathered one row at a time (as they stream from the store), each reduced to
/// ordinals at once, so no row is held as text.
#[derive(Default)]
pub struct CellsBuilder {
    cells: Cells,
    coded: Vec<Coded>,
}

impl CellsBuilder {
    /// Adds one stored row; refuses a measure or category the code does not know (a store
    /// written by a newer version).
    pub fn push(&mut self, row: Cell) -> Result<(), CellError> {
        let cells = &mut self.cells;
        let (slot, category) = classify(&row.measure, row.category.as_deref())?;
        let owner = (
            cells.employers.ordinal(&row.employer),
            cells.years.ordinal(&row.year),
        );
        if *cells.owners.entry(row.snapshot).or_insert(owner) != owner {
            return Err(CellError(format!(
                "snapshot {} has cells of two employer-years",
                row.snapshot
            )));
        }
        self.coded.push(Coded {
            slot,
            snapshot: row.snapshot,
            unit: cells.units.ordinal(&row.business_unit),
            level: cells.levels.ordinal(&row.grade_level),
            region: cells.regions.ordinal(&row.work_region),
            area: cells.areas.ordinal(&row.work_area),
            joiner: row.joiner,
            category,
            records: row.records,
            score_sum: row.score_sum,
        });
        Ok(())
    }

    /// The cells, sorted into blocks.
    pub fn finish(self) -> Cells {
        let CellsBuilder {
            mut cells,
            mut coded,
        } = self;
        coded.sort_by_key(|c| (c.slot, c.snapshot));
        for (i, c) in coded.iter().enumerate() {
            cells.blocks.entry((c.slot, c.snapshot)).or_insert(i..i).end = i + 1;
        }
        cells.unit = coded.iter().map(|c| c.unit).collect();
        cells.level = coded.iter().map(|c| c.level).collect();
        cells.region = coded.iter().map(|c| c.region).collect();
        cells.area = coded.iter().map(|c| c.area).collect();
        cells.joiner = coded.iter().map(|c| c.joiner).collect();
        cells.category = coded.iter().map(|c| c.category).collect();
        cells.count = coded.iter().map(|c| c.records.count).collect();
        cells.key_sum = coded.iter().map(|c| c.records.key_sum).collect();
        cells.score_sum = coded.iter().map(|c| c.score_sum).collect();
        cells
    }
}

impl Cells {
    /// How many cells there are.
    pub fn len(&self) -> usize {
        self.count.len()
    }

    /// Whether there are none (no staff records at all).
    pub fn is_empty(&self) -> bool {
        self.count.is_empty()
    }

    /// How many of the snapshots `view` reads (one employer's staff records of one year)
    /// have cells.
    pub fn snapshots(&self, view: &View) -> usize {
        let headline = slot_of(Measure::ALL[0]);
        view.snapshots()
            .filter(|s| self.blocks.contains_key(&(headline, *s)))
            .count()
    }

    /// How many staff records of the snapshots `view` reads the cells were built from: every record is in exactly one
    /// cell of each measure (its group, or the measure's unknown answers), so one measure's
    /// cells count each record once.
    pub fn records(&self, view: &View) -> u64 {
        let headline = slot_of(Measure::ALL[0]);
        view.snapshots()
            .filter_map(|s| self.blocks.get(&(headline, s)))
            .map(|rows| self.count[rows.clone()].iter().sum::<u64>())
            .sum()
    }

    /// The business units with records in the snapshots `view` reads of `employer`: a unit
    /// only a draft (or an earlier release) has is not among them.
    pub fn business_units(&self, view: &View, employer: i32) -> HashSet<i32> {
        let headline = slot_of(Measure::ALL[0]);
        view.snapshots_of(employer)
            .filter_map(|s| self.blocks.get(&(headline, s)))
            .flat_map(|rows| self.unit[rows.clone()].iter())
            .map(|u| self.units.values[*u as usize])
            .collect()
    }

    /// The rows of `slot` that `scope` selects in `view`: its blocks, and a test for each
    /// row.
    fn select<'a>(
        &'a self,
        view: &View,
        slot: usize,
        scope: &'a Scope,
    ) -> (Vec<Block>, impl Fn(usize) -> bool + 'a) {
        let mut blocks = Vec::new();
        for employer in &scope.employers {
            for year in &scope.years {
                let Some(snapshot) = view.snapshot(*employer, *year) else {
                    continue;
                };
                if let (Some(rows), Some(&(employer, year))) = (
                    self.blocks.get(&(slot, snapshot)),
                    self.owners.get(&snapshot),
                ) {
                    blocks.push(Block {
                        rows: rows.clone(),
                        employer,
                        year,
                    });
                }
            }
        }
        let units = scope.business_units.as_ref().map(|u| self.units.mask(u));
        let levels = scope.grade_levels.as_ref().map(|l| self.levels.mask(l));
        let areas = scope.work_areas.as_ref().map(|a| self.areas.mask(a));
        let joiners_only = scope.joiners_only;
        let keep = move |i: usize| {
            (!joiners_only || self.joiner[i])
                && units.as_ref().is_none_or(|m| m[self.unit[i] as usize])
                && levels.as_ref().is_none_or(|m| m[self.level[i] as usize])
                && areas.as_ref().is_none_or(|m| m[self.area[i] as usize])
        };
        (blocks, keep)
    }

    /// Record counts and record-key sums per group (formed by `dimensions`) and background
    /// group of `measure`, over the versions `view` reads; groups sorted by key. The same
    /// answer as grouping the records.
    pub fn category_counts(
        &self,
        view: &View,
        scope: &Scope,
        measure: Measure,
        dimensions: &[Dimension],
    ) -> Vec<GroupCounts> {
        let groups = measure.groups();
        let (blocks, keep) = self.select(view, slot_of(measure), scope);
        let mut found: HashMap<[u32; 6], (Aggregate, Vec<Aggregate>)> = HashMap::new();
        for block in blocks {
            for i in block.rows.clone() {
                if !keep(i) {
                    continue;
                }
                let key = self.group_ordinals(i, &block, dimensions);
                let (headcount, categories) = found.entry(key).or_insert_with(|| {
                    (
                        Aggregate::default(),
                        vec![Aggregate::default(); groups.len()],
                    )
                });
                let cell = Aggregate {
                    count: self.count[i],
                    key_sum: self.key_sum[i],
                };
                *headcount += cell;
                if let Some(c) = categories.get_mut(usize::from(self.category[i])) {
                    *c += cell;
                }
            }
        }
        let mut counts: Vec<GroupCounts> = found
            .into_iter()
            .map(|(key, (headcount, categories))| GroupCounts {
                key: self.group_key(key, dimensions),
                headcount,
                categories: groups.iter().copied().zip(categories).collect(),
            })
            .collect();
        counts.sort_by(|a, b| a.key.cmp(&b.key));
        counts
    }

    /// Engagement sums by background over `scope`, in the versions `view` reads.
    pub fn engagement_sums(&self, view: &View, scope: &Scope) -> EngagementSums {
        let (blocks, keep) = self.select(view, ENGAGEMENT_SLOT, scope);
        let mut sums = EngagementSums::default();
        for i in blocks.into_iter().flat_map(|b| b.rows).filter(|i| keep(*i)) {
            let cell = Aggregate {
                count: self.count[i],
                key_sum: self.key_sum[i],
            };
            if self.category[i] == 0 {
                sums.lower += cell;
                sums.lower_sum += self.score_sum[i];
            } else {
                sums.other += cell;
                sums.other_sum += self.score_sum[i];
            }
        }
        sums
    }

    /// Row `i`'s ordinals of `dimensions` (every other position `u32::MAX`).
    fn group_ordinals(&self, i: usize, block: &Block, dimensions: &[Dimension]) -> [u32; 6] {
        let mut key = [u32::MAX; 6];
        for d in dimensions {
            match d {
                Dimension::Employer => key[0] = block.employer,
                Dimension::Year => key[1] = block.year,
                Dimension::BusinessUnit => key[2] = self.unit[i],
                Dimension::GradeLevel => key[3] = self.level[i],
                Dimension::Region => key[4] = self.region[i],
                Dimension::LocalAuthority => key[5] = self.area[i],
            }
        }
        key
    }

    /// The group key of ordinals from [`Cells::group_ordinals`].
    fn group_key(&self, ordinals: [u32; 6], dimensions: &[Dimension]) -> GroupKey {
        let mut key = GroupKey::default();
        for d in dimensions {
            match d {
                Dimension::Employer => {
                    key.employer = Some(self.employers.values[ordinals[0] as usize])
                }
                Dimension::Year => key.year = Some(self.years.values[ordinals[1] as usize]),
                Dimension::BusinessUnit => {
                    key.business_unit = Some(self.units.values[ordinals[2] as usize])
                }
                Dimension::GradeLevel => {
                    key.grade_level = Some(self.levels.values[ordinals[3] as usize])
                }
                Dimension::Region => {
                    key.region = Some(self.regions.values[ordinals[4] as usize].clone())
                }
                Dimension::LocalAuthority => {
                    key.local_authority = Some(self.areas.values[ordinals[5] as usize].clone())
                }
            }
        }
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cells from rows, through the builder the store uses.
    fn cells_of(rows: impl IntoIterator<Item = Cell>) -> Result<Cells, CellError> {
        let mut builder = CellsBuilder::default();
        for row in rows {
            builder.push(row)?;
        }
        Ok(builder.finish())
    }

    fn cell(employer: i32, year: i32, level: i32, area: &str, category: Option<&str>) -> Cell {
        Cell {
            snapshot: snapshot_of(employer, year),
            employer,
            year,
            business_unit: employer * 10,
            grade_level: level,
            work_area: area.into(),
            work_region: format!("R-{}", &area[..1]),
            joiner: level == 1,
            measure: "parental_occupation".into(),
            category: category.map(str::to_owned),
            records: Aggregate {
                count: u64::try_from(level).expect("positive") * 10,
                key_sum: 300,
            },
            score_sum: 0.0,
        }
    }

    /// The snapshot of the test cells of an employer-year.
    fn snapshot_of(employer: i32, year: i32) -> i32 {
        employer * 10_000 + year
    }

    /// The view reading the test cells' one version of every employer-year.
    fn every() -> View {
        View::of(
            [1, 2]
                .into_iter()
                .flat_map(|e| [2023, 2024].map(|y| ((e, y), snapshot_of(e, y)))),
        )
    }

    fn scope(employers: &[i32], years: &[i32]) -> Scope {
        Scope {
            employers: employers.to_vec(),
            years: years.to_vec(),
            ..Scope::default()
        }
    }

    fn sample() -> Cells {
        cells_of([
            cell(1, 2024, 1, "E1", Some(seb::LOWER)),
            cell(1, 2024, 2, "E1", Some(seb::PROFESSIONAL)),
            cell(1, 2024, 2, "W1", None),
            cell(1, 2023, 3, "E1", Some(seb::LOWER)),
            cell(2, 2024, 1, "W1", Some(seb::INTERMEDIATE)),
        ])
        .expect("known measures")
    }

    fn lower(g: &GroupCounts) -> Aggregate {
        g.categories
            .iter()
            .find(|(c, _)| *c == seb::LOWER)
            .map(|(_, a)| *a)
            .expect("every group present")
    }

    #[test]
    fn a_filter_sums_the_cells_it_selects_and_unknown_answers_count_only_in_the_headcount() {
        let cells = sample();
        let all = cells.category_counts(
            &every(),
            &scope(&[1], &[2024]),
            Measure::ParentalOccupation,
            &[],
        );
        assert_eq!(all.len(), 1);
        assert_eq!(
            all[0].headcount,
            Aggregate {
                count: 50,
                key_sum: 900
            }
        );
        assert_eq!(
            lower(&all[0]),
            Aggregate {
                count: 10,
                key_sum: 300
            }
        );
        let categories: u64 = all[0].categories.iter().map(|(_, a)| a.count).sum();
        assert_eq!(categories, 30, "the unknown answers are in no category");

        let mut joiners = scope(&[1, 2], &[2024]);
        joiners.joiners_only = true;
        let joined = cells.category_counts(&every(), &joiners, Measure::ParentalOccupation, &[]);
        assert_eq!(joined[0].headcount.count, 20);

        let mut in_wales = scope(&[1, 2], &[2023, 2024]);
        in_wales.work_areas = Some(vec!["W1".into(), "nowhere".into()]);
        let wales = cells.category_counts(&every(), &in_wales, Measure::ParentalOccupation, &[]);
        assert_eq!(wales[0].headcount.count, 30);
    }

    #[test]
    fn snapshots_and_records_are_counted_once_whatever_the_measures() {
        let mut rows: Vec<Cell> = Vec::new();
        for row in [
            cell(1, 2024, 1, "E1", Some(seb::LOWER)),
            cell(1, 2024, 2, "E1", Some(seb::PROFESSIONAL)),
            cell(1, 2024, 2, "W1", None),
            cell(1, 2023, 3, "E1", Some(seb::LOWER)),
            cell(2, 2024, 1, "W1", Some(seb::INTERMEDIATE)),
        ] {
            // The same records under a second measure (all unknown) and engagement.
            let mut school = row.clone();
            school.measure = Measure::SchoolType.column().into();
            school.category = None;
            let mut engagement = row.clone();
            engagement.measure = ENGAGEMENT.into();
            engagement.category = Some(seb::LOWER.into());
            rows.extend([row, school, engagement]);
        }
        let cells = cells_of(rows).expect("known measures");
        assert_eq!(cells.snapshots(&every()), 3);
        assert_eq!(cells.records(&every()), 10 + 20 + 20 + 30 + 10);
        let one = View::of([((1, 2024), snapshot_of(1, 2024))]);
        assert_eq!(
            (cells.snapshots(&one), cells.records(&one)),
            (1, 10 + 20 + 20)
        );
        assert_eq!(Cells::default().snapshots(&every()), 0);
        assert_eq!(Cells::default().records(&every()), 0);
    }

    #[test]
    fn groups_come_sorted_by_key_with_every_category_present() {
        let cells = sample();
        let by = [Dimension::Employer, Dimension::Region];
        let groups = cells.category_counts(
            &every(),
            &scope(&[1, 2], &[2024]),
            Measure::ParentalOccupation,
            &by,
        );
        let keys: Vec<(Option<i32>, Option<&str>)> = groups
            .iter()
            .map(|g| (g.key.employer, g.key.region.as_deref()))
            .collect();
        assert_eq!(
            keys,
            [
                (Some(1), Some("R-E")),
                (Some(1), Some("R-W")),
                (Some(2), Some("R-W"))
            ]
        );
        assert!(groups.iter().all(|g| g.categories.len() == 3));
        assert_eq!(groups[1].headcount.count, 20);
        assert!(groups.iter().all(|g| g.key.year.is_none()));
    }

    #[test]
    fn a_view_reads_only_the_version_it_chooses_of_each_employer_year() {
        // A second version of employer 1's 2024, twice the people of the first.
        let mut rows: Vec<Cell> = vec![
            cell(1, 2024, 1, "E1", Some(seb::LOWER)),
            cell(1, 2024, 2, "E1", Some(seb::PROFESSIONAL)),
        ];
        for mut c in rows.clone() {
            c.snapshot = 99;
            c.records.count *= 2;
            rows.push(c);
        }
        let cells = cells_of(rows).expect("known measures");
        assert_eq!(cells.snapshots(&every()), 1, "every() reads one version");
        let first = View::of([((1, 2024), snapshot_of(1, 2024))]);
        let second = View::of([((1, 2024), 99)]);
        let everyone = scope(&[1], &[2024]);
        let count = |view: &View| {
            cells.category_counts(view, &everyone, Measure::ParentalOccupation, &[])[0]
                .headcount
                .count
        };
        assert_eq!((count(&first), count(&second)), (30, 60));
        assert!(
            cells
                .category_counts(
                    &View::default(),
                    &everyone,
                    Measure::ParentalOccupation,
                    &[]
                )
                .is_empty(),
            "a view without the employer-year reads nothing of it"
        );
        let mut builder = CellsBuilder::default();
        builder.push(cell(1, 2024, 1, "E1", None)).expect("known");
        let mut moved = cell(1, 2023, 1, "E1", None);
        moved.snapshot = snapshot_of(1, 2024);
        assert!(builder.push(moved).is_err(), "one snapshot, two years");
        assert!(Cells::default().is_empty());
    }

    #[test]
    fn engagement_cells_sum_by_background() {
        let mut rows = vec![cell(1, 2024, 1, "E1", Some(seb::LOWER))];
        for (category, score_sum) in [(seb::LOWER, 600.0), (OTHER_DECLARED, 1400.0)] {
            let mut c = cell(1, 2024, 2, "E1", Some(category));
            c.measure = ENGAGEMENT.into();
            c.score_sum = score_sum;
            rows.push(c);
        }
        let sums = cells_of(rows)
            .expect("known measures")
            .engagement_sums(&every(), &scope(&[1], &[2024]));
        assert_eq!(sums.lower.count, 20);
        assert_eq!(sums.lower_sum, 600.0);
        assert_eq!(sums.other_sum, 1400.0);
    }

    #[test]
    fn cells_of_an_unknown_measure_or_group_are_refused() {
        let mut odd = cell(1, 2024, 1, "E1", Some("NOT_A_GROUP"));
        assert!(cells_of([odd.clone()]).is_err());
        odd.measure = "shoe_size".into();
        odd.category = None;
        assert!(cells_of([odd]).is_err());
    }
}
