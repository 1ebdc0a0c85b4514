//! Disclosure control: the one place every published workforce figure passes through.
//!
//! The method is the cell key method (CKM) of the ONS `cell-key-perturbation` package
//! (`create_perturbed_table`), plus a threshold:
//! 1. every staff record carries a permanent record key, 0-255;
//! 2. a cell (any set of records: a category within a group, a group's headcount, its
//!    respondents) is described by its record count n and the sum of its record keys, both of
//!    which add up over disjoint parts ([`Aggregate`]);
//! 3. its cell key is that sum mod 256, and its published count is n plus the ptable's noise
//!    for (pcv(n), cell key): the same set of records always gets the same noise, however it
//!    was asked for, so averaging repeated or differently-filtered answers gains nothing and the
//!    difference of two answers is uncertain by the noise of both;
//! 4. a published count below the threshold k is withheld (zeros too), and a group whose
//!    published headcount or respondents is below k has every figure withheld;
//! 5. everything derived (shares, rates, gaps, ratios) is computed from published counts only;
//!    means are published over at least k (perturbed) people, divided by the perturbed count and
//!    rounded to a whole number.

use std::ops::{Add, AddAssign};
use std::sync::Arc;

use super::ptable::Ptable;

/// A set of staff records as far as disclosure control needs it: how many, and the sum of
/// their record keys. Both add up over disjoint sets, so any cell is a sum of smaller cells.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Aggregate {
    /// The number of records.
    pub count: u64,
    /// The sum of their record keys.
    pub key_sum: u64,
}

impl Aggregate {
    /// One record with record key `key`.
    pub fn record(key: u8) -> Aggregate {
        Aggregate {
            count: 1,
            key_sum: u64::from(key),
        }
    }

    /// The cell key: the record-key sum mod 256.
    pub fn cell_key(&self) -> u64 {
        self.key_sum % 256
    }
}

impl Add for Aggregate {
    type Output = Aggregate;

    fn add(self, other: Aggregate) -> Aggregate {
        Aggregate {
            count: self.count + other.count,
            key_sum: self.key_sum + other.key_sum,
        }
    }
}

impl AddAssign for Aggregate {
    fn add_assign(&mut self, other: Aggregate) {
        *self = *self + other;
    }
}

impl std::iter::Sum for Aggregate {
    fn sum<I: Iterator<Item = Aggregate>>(iter: I) -> Aggregate {
        iter.fold(Aggregate::default(), Add::add)
    }
}

/// How figures are protected; configuration, not constants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The threshold k: published counts below it are withheld.
    pub min_count: u64,
    /// The perturbation table.
    pub ptable: Arc<Ptable>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            min_count: 10,
            ptable: Arc::new(Ptable::default()),
        }
    }
}

/// Why a value is withheld.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suppression {
    /// The published (perturbed) count is below the threshold.
    SmallCount,
    /// The group it belongs to has a published headcount, respondents or number of people
    /// with a score below the threshold.
    SmallGroup,
}

/// A count as published: the value, or why it is withheld.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    /// The published (perturbed) value, `None` when withheld.
    pub value: Option<u64>,
    /// Why it is withheld.
    pub suppressed: Option<Suppression>,
}

impl Count {
    fn withheld(reason: Suppression) -> Count {
        Count {
            value: None,
            suppressed: Some(reason),
        }
    }
}

/// One background group's cell of a table, as published.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// The background group.
    pub category: &'static str,
    /// Its count.
    pub count: Count,
    /// Its share of the published respondents (a fraction rounded to 3 decimals), `None`
    /// when withheld.
    pub share: Option<f64>,
    /// The same share before rounding, for derived figures; computed from published counts
    /// only.
    pub unrounded_share: Option<f64>,
}

/// One group's table (a distribution over background groups), as published.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Everyone in the group, declared or not.
    pub headcount: Count,
    /// Those whose background group is known (the declared total).
    pub respondents: Count,
    /// Published respondents over published headcount (at most 1), rounded to 3 decimals.
    pub declaration_rate: Option<f64>,
    /// One cell per background group, in the measure's order.
    pub cells: Vec<Cell>,
}

impl Table {
    /// The cell of a background group.
    pub fn cell(&self, category: &str) -> Option<&Cell> {
        self.cells.iter().find(|c| c.category == category)
    }
}

/// A mean as published.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mean {
    /// The mean as published (a whole number), `None` when withheld.
    pub value: Option<f64>,
    /// Why it is withheld.
    pub suppressed: Option<Suppression>,
}

/// Rounds a fraction for output: 3 decimals.
pub fn round_fraction(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Rounds a score for output: 1 decimal.
pub fn round_score(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

impl Policy {
    /// The policy in words, for readers of the figures.
    pub fn describe(&self) -> String {
        format!(
            "Every count has small, fixed noise added (at most {} either way) and is withheld when below {}; the same people always give the same figure. Totals need not equal the sum of their parts, and shares, rates and gaps are computed from the published counts.",
            self.ptable.max_deviation(),
            self.min_count
        )
    }

    /// The perturbed count of a cell: n + pvalue(pcv(n), cell key), before the threshold.
    pub fn perturbed(&self, cell: Aggregate) -> u64 {
        let noise = self.ptable.pvalue(cell.count, cell.cell_key());
        (cell.count as i64 + noise).max(0) as u64
    }

    /// A count as published: perturbed, and withheld when below the threshold.
    pub fn count(&self, cell: Aggregate) -> Count {
        let published = self.perturbed(cell);
        if published < self.min_count {
            Count::withheld(Suppression::SmallCount)
        } else {
            Count {
                value: Some(published),
                suppressed: None,
            }
        }
    }

    /// A mean of scores over the records of `scored` (whose scores add up to `score_sum`),
    /// as published: withheld when their perturbed count is below the threshold, else the sum
    /// over the perturbed count, rounded to a whole number within `range`.
    pub fn mean(&self, scored: Aggregate, score_sum: f64, range: (f64, f64)) -> Mean {
        let people = self.perturbed(scored);
        if people < self.min_count {
            return Mean {
                value: None,
                suppressed: Some(Suppression::SmallGroup),
            };
        }
        Mean {
            value: Some((score_sum / people as f64).round().clamp(range.0, range.1)),
            suppressed: None,
        }
    }

    /// Protects one group's table: `headcount` is everyone in the group, `cells` each
    /// background group's records (people whose group is unknown are in the headcount only).
    pub fn table(&self, headcount: Aggregate, cells: &[(&'static str, Aggregate)]) -> Table {
        let respondents_cell: Aggregate = cells.iter().map(|(_, a)| *a).sum();
        let headcount = self.count(headcount);
        let respondents = self.count(respondents_cell);
        let (Some(people), Some(declared)) = (headcount.value, respondents.value) else {
            let reason = Suppression::SmallGroup;
            return Table {
                headcount: match headcount.value {
                    Some(_) => headcount,
                    None => Count::withheld(reason),
                },
                respondents: Count::withheld(reason),
                declaration_rate: None,
                cells: cells
                    .iter()
                    .map(|(category, _)| Cell {
                        category,
                        count: Count::withheld(reason),
                        share: None,
                        unrounded_share: None,
                    })
                    .collect(),
            };
        };
        Table {
            headcount,
            respondents,
            declaration_rate: Some(round_fraction((declared as f64 / people as f64).min(1.0))),
            cells: cells
                .iter()
                .map(|(category, cell)| {
                    let count = self.count(*cell);
                    let share = count.value.map(|n| n as f64 / declared as f64);
                    Cell {
                        category,
                        count,
                        share: share.map(round_fraction),
                        unrounded_share: share,
                    }
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cell of `n` records whose keys sum to `key_sum`.
    fn cell(n: u64, key_sum: u64) -> Aggregate {
        Aggregate { count: n, key_sum }
    }

    /// A cell of `n` records whose cell key gets `noise` from the default table (plus `turns`
    /// times 256, which the cell key ignores).
    fn noisy(n: u64, noise: i64, turns: u64) -> Aggregate {
        let table = Ptable::default();
        let key = (0..256)
            .find(|k| table.pvalue(n, *k) == noise)
            .unwrap_or_else(|| panic!("no key gives {n} a noise of {noise}"));
        cell(n, key + 256 * turns)
    }

    #[test]
    fn a_count_is_perturbed_by_its_cell_key_and_withheld_below_the_threshold() {
        let policy = Policy::default();
        for (noise, published) in [(-2, 10), (-1, 11), (0, 12), (1, 13), (2, 14)] {
            assert_eq!(policy.count(noisy(12, noise, 0)).value, Some(published));
            assert_eq!(
                policy.count(noisy(12, noise, 3)).value,
                Some(published),
                "mod 256"
            );
        }
        // 11 - 2 = 9: withheld although 11 people are in it.
        assert_eq!(
            policy.count(noisy(11, -2, 0)).suppressed,
            Some(Suppression::SmallCount)
        );
        // 8 + 2 = 10: published, though fewer than 10 people are in it.
        assert_eq!(policy.count(noisy(8, 2, 0)).value, Some(10));
        // Zeros are withheld too: published 0 is below the threshold.
        assert_eq!(policy.count(cell(0, 0)).value, None);
    }

    #[test]
    fn a_cell_always_gets_the_same_noise_and_sums_of_parts_give_the_same_cell() {
        let policy = Policy::default();
        let parts = [cell(7, 300), cell(9, 41), cell(30, 1000)];
        let whole: Aggregate = parts.iter().copied().sum();
        assert_eq!(whole, cell(46, 1341));
        let again = parts[2] + parts[0] + parts[1];
        assert_eq!(policy.count(whole), policy.count(again));
    }

    #[test]
    fn shares_and_rates_come_from_published_counts() {
        let policy = Policy::default();
        let cells = [
            ("A", noisy(12, 2, 0)),
            ("B", noisy(10, 0, 0)),
            ("C", noisy(10, -1, 0)),
        ];
        let respondents: Aggregate = cells.iter().map(|(_, c)| *c).sum();
        let declared = policy.perturbed(respondents);
        let t = policy.table(noisy(40, 0, 0), &cells);
        assert_eq!(t.respondents.value, Some(declared));
        assert!((30..=34).contains(&declared));
        let counts: Vec<Option<u64>> = t.cells.iter().map(|c| c.count.value).collect();
        assert_eq!(counts, [Some(14), Some(10), None]);
        assert_eq!(t.cells[2].count.suppressed, Some(Suppression::SmallCount));
        assert_eq!(
            t.cells[0].share,
            Some(round_fraction(14.0 / declared as f64))
        );
        assert_eq!(t.cells[0].unrounded_share, Some(14.0 / declared as f64));
        assert_eq!(
            t.cells[1].share,
            Some(round_fraction(10.0 / declared as f64))
        );
        assert_eq!(
            t.declaration_rate,
            Some(round_fraction(declared as f64 / 40.0))
        );
    }

    #[test]
    fn a_group_with_a_small_published_total_is_withheld_whole() {
        let policy = Policy::default();
        let t = policy.table(noisy(25, 0, 0), &[("A", cell(5, 0)), ("B", cell(4, 100))]);
        assert_eq!(t.headcount.value, Some(25));
        assert_eq!(t.respondents.suppressed, Some(Suppression::SmallGroup));
        assert_eq!(t.declaration_rate, None);
        assert!(
            t.cells
                .iter()
                .all(|c| c.count.suppressed == Some(Suppression::SmallGroup))
        );
        let t = policy.table(cell(9, 100), &[("A", cell(0, 0))]);
        assert_eq!(t.headcount.suppressed, Some(Suppression::SmallGroup));
    }

    #[test]
    fn a_declaration_rate_never_exceeds_one() {
        let policy = Policy::default();
        // Everyone declared; the headcount loses 2, the respondents (another cell key) gain 2.
        let everyone = noisy(50, -2, 0);
        let declared = (0..256)
            .map(|k| cell(50, k))
            .find(|c| policy.perturbed(*c) == 52)
            .expect("a key giving +2");
        let t = policy.table(everyone, &[("A", declared)]);
        assert_eq!(t.headcount.value, Some(48));
        assert_eq!(t.respondents.value, Some(52));
        assert_eq!(t.declaration_rate, Some(1.0));
    }

    #[test]
    fn a_mean_uses_the_perturbed_count_and_is_rounded_to_a_whole_number() {
        let policy = Policy::default();
        let range = (0.0, 100.0);
        // 20 people scoring 70 in all: 1400, over 20 - 2 = 18 -> 77.8 -> 78.
        assert_eq!(
            policy.mean(noisy(20, -2, 0), 1400.0, range).value,
            Some(78.0)
        );
        assert_eq!(
            policy.mean(noisy(20, 0, 0), 1400.0, range).value,
            Some(70.0)
        );
        // Never beyond the score range.
        assert_eq!(
            policy.mean(noisy(20, -2, 0), 2000.0, range).value,
            Some(100.0)
        );
        // 11 - 2 = 9 people: withheld.
        assert_eq!(
            policy.mean(noisy(11, -2, 0), 770.0, range).suppressed,
            Some(Suppression::SmallGroup)
        );
    }

    #[test]
    fn the_threshold_is_configuration() {
        let k5 = Policy {
            min_count: 5,
            ..Policy::default()
        };
        assert_eq!(k5.count(noisy(5, 0, 0)).value, Some(5));
        assert_eq!(k5.count(noisy(4, 0, 0)).value, None);
    }
}
