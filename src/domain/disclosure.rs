//! Disclosure control: the one place every published workforce figure passes through.
//!
//! The rules (see the project's disclosure rules, after the GSS guidance on tables):
//! 1. a count of 1 to k-1 is suppressed (0 is shown);
//! 2. a group whose declared total (or headcount) is below k has every figure suppressed;
//! 3. within a group whose total is shown, a lone suppressed cell takes the next smallest
//!    non-zero cell with it, so it cannot be recovered by subtraction;
//! 4. every group obeys 1-3 on its own, whatever filter produced it; headcounts below k are
//!    never shown;
//! 5. shares are computed from exact counts, then rounded; a suppressed count means a
//!    suppressed share;
//! 6. optionally, every published count is rounded to the nearest 5.

/// How strictly figures are protected; configuration, not constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The threshold k: counts from 1 to k-1 are suppressed.
    pub min_count: u64,
    /// Publish counts rounded to the nearest 5.
    pub round_to_5: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            min_count: 10,
            round_to_5: false,
        }
    }
}

/// Why a value is withheld.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suppression {
    /// The count is between 1 and k-1.
    SmallCount,
    /// The value could be recovered by subtraction from a suppressed neighbour.
    Secondary,
    /// The group it belongs to has fewer than k people (declared, or in all).
    SmallGroup,
}

/// A count as published: the value, or why it is withheld.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    /// The published value (rounded when the policy says so), `None` when suppressed.
    pub value: Option<u64>,
    /// Why it is withheld.
    pub suppressed: Option<Suppression>,
}

impl Count {
    fn shown(policy: Policy, exact: u64) -> Count {
        Count {
            value: Some(policy.publish(exact)),
            suppressed: None,
        }
    }

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
    /// Its share of the declared total (a fraction rounded to 3 decimals), `None` when
    /// suppressed or when nobody declared.
    pub share: Option<f64>,
    /// The exact share, for derived figures (gaps, ratios) computed before rounding; never
    /// published when the cell is suppressed.
    pub exact_share: Option<f64>,
}

/// One group's table (a distribution over background groups), as published.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Everyone in the group, declared or not.
    pub headcount: Count,
    /// Those whose background group is known (the declared total).
    pub respondents: Count,
    /// Respondents over headcount, rounded to 3 decimals.
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
    /// The mean rounded to 1 decimal, `None` when withheld.
    pub value: Option<f64>,
    /// The exact mean, for derived figures; `None` when withheld.
    pub exact: Option<f64>,
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
    /// A count as published (rounded to 5 when the policy says so; halves go up).
    fn publish(self, exact: u64) -> u64 {
        if self.round_to_5 {
            (exact + 2) / 5 * 5
        } else {
            exact
        }
    }

    fn is_small(self, n: u64) -> bool {
        n > 0 && n < self.min_count
    }

    /// A stand-alone count (a headcount): shown unless it is 1 to k-1.
    pub fn count(self, exact: u64) -> Count {
        if self.is_small(exact) {
            Count::withheld(Suppression::SmallCount)
        } else {
            Count::shown(self, exact)
        }
    }

    /// A mean over `people` values: withheld when fewer than k people contribute.
    pub fn mean(self, people: u64, mean: Option<f64>) -> Mean {
        match mean {
            Some(m) if people >= self.min_count => Mean {
                value: Some(round_score(m)),
                exact: Some(m),
                suppressed: None,
            },
            _ if people == 0 => Mean {
                value: None,
                exact: None,
                suppressed: None,
            },
            _ => Mean {
                value: None,
                exact: None,
                suppressed: Some(Suppression::SmallGroup),
            },
        }
    }

    /// Protects one group's table: `headcount` people, of whom `cells` give the exact count
    /// per background group (people whose group is unknown are in the headcount only).
    pub fn table(self, headcount: u64, cells: &[(&'static str, u64)]) -> Table {
        let respondents: u64 = cells.iter().map(|(_, n)| n).sum();
        let small_group = self.is_small(headcount) || self.is_small(respondents);
        if small_group {
            let reason = Suppression::SmallGroup;
            return Table {
                headcount: if self.is_small(headcount) {
                    Count::withheld(reason)
                } else {
                    Count::shown(self, headcount)
                },
                respondents: Count::withheld(reason),
                declaration_rate: None,
                cells: cells
                    .iter()
                    .map(|(category, _)| Cell {
                        category,
                        count: Count::withheld(reason),
                        share: None,
                        exact_share: None,
                    })
                    .collect(),
            };
        }

        let mut reasons: Vec<Option<Suppression>> = cells
            .iter()
            .map(|(_, n)| self.is_small(*n).then_some(Suppression::SmallCount))
            .collect();
        if reasons.iter().filter(|r| r.is_some()).count() == 1 {
            // The lone suppressed cell is the total minus the others: hide the smallest other
            // non-zero cell too (the first such, in the measure's order, on a tie).
            let partner = cells
                .iter()
                .enumerate()
                .filter(|(i, (_, n))| reasons[*i].is_none() && *n > 0)
                .min_by_key(|(_, (_, n))| *n)
                .map(|(i, _)| i);
            if let Some(i) = partner {
                reasons[i] = Some(Suppression::Secondary);
            }
        }

        Table {
            headcount: Count::shown(self, headcount),
            respondents: Count::shown(self, respondents),
            declaration_rate: (headcount > 0)
                .then(|| round_fraction(respondents as f64 / headcount as f64)),
            cells: cells
                .iter()
                .zip(reasons)
                .map(|((category, n), reason)| match reason {
                    Some(reason) => Cell {
                        category,
                        count: Count::withheld(reason),
                        share: None,
                        exact_share: None,
                    },
                    None => {
                        let exact = (respondents > 0).then(|| *n as f64 / respondents as f64);
                        Cell {
                            category,
                            count: Count::shown(self, *n),
                            share: exact.map(round_fraction),
                            exact_share: exact,
                        }
                    }
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K10: Policy = Policy {
        min_count: 10,
        round_to_5: false,
    };

    fn counts(t: &Table) -> Vec<Option<u64>> {
        t.cells.iter().map(|c| c.count.value).collect()
    }

    fn reasons(t: &Table) -> Vec<Option<Suppression>> {
        t.cells.iter().map(|c| c.count.suppressed).collect()
    }

    #[test]
    fn counts_of_one_to_nine_are_suppressed_and_zero_is_shown() {
        assert_eq!(K10.count(0).value, Some(0));
        assert_eq!(K10.count(1).suppressed, Some(Suppression::SmallCount));
        assert_eq!(K10.count(9).value, None);
        assert_eq!(K10.count(10).value, Some(10));
    }

    #[test]
    fn a_table_with_no_small_cells_is_shown_whole_with_shares_over_respondents() {
        // 40 people, 12 + 10 + 10 = 32 declared.
        let t = K10.table(40, &[("A", 12), ("B", 10), ("C", 10)]);
        assert_eq!(counts(&t), [Some(12), Some(10), Some(10)]);
        assert_eq!(t.respondents.value, Some(32));
        assert_eq!(t.declaration_rate, Some(0.8));
        // 12 / 32 = 0.375, 10 / 32 = 0.3125 -> 0.313 (rounded half away from zero).
        assert_eq!(t.cells[0].share, Some(0.375));
        assert_eq!(t.cells[1].share, Some(0.313));
    }

    #[test]
    fn a_lone_small_cell_takes_the_next_smallest_nonzero_cell_with_it() {
        // 30 declared: 3 is primary; the smallest other non-zero cell is 12 (not the 0).
        let t = K10.table(30, &[("A", 15), ("B", 0), ("C", 3), ("D", 12)]);
        assert_eq!(counts(&t), [Some(15), Some(0), None, None]);
        assert_eq!(
            reasons(&t),
            [
                None,
                None,
                Some(Suppression::SmallCount),
                Some(Suppression::Secondary)
            ]
        );
        assert_eq!(t.cells[3].share, None);
        assert_eq!(t.respondents.value, Some(30));
    }

    #[test]
    fn two_small_cells_need_no_secondary_suppression() {
        let t = K10.table(40, &[("A", 30), ("B", 4), ("C", 6)]);
        assert_eq!(counts(&t), [Some(30), None, None]);
        assert!(!reasons(&t).contains(&Some(Suppression::Secondary)));
    }

    #[test]
    fn a_group_with_fewer_than_k_declared_is_suppressed_whole() {
        let t = K10.table(25, &[("A", 5), ("B", 0), ("C", 4)]);
        assert_eq!(t.headcount.value, Some(25));
        assert_eq!(t.respondents.suppressed, Some(Suppression::SmallGroup));
        assert_eq!(t.declaration_rate, None);
        assert_eq!(
            reasons(&t),
            [Some(Suppression::SmallGroup); 3],
            "zeros too: they would reveal the rest"
        );
    }

    #[test]
    fn a_group_of_fewer_than_k_people_shows_no_headcount() {
        let t = K10.table(9, &[("A", 0), ("B", 0), ("C", 0)]);
        assert_eq!(t.headcount.suppressed, Some(Suppression::SmallGroup));
        assert_eq!(t.headcount.value, None);
    }

    #[test]
    fn rounding_publishes_multiples_of_five_but_shares_use_exact_counts() {
        let policy = Policy {
            min_count: 10,
            round_to_5: true,
        };
        let t = policy.table(37, &[("A", 12), ("B", 13), ("C", 11)]);
        assert_eq!(counts(&t), [Some(10), Some(15), Some(10)]);
        assert_eq!(t.headcount.value, Some(35));
        assert_eq!(t.respondents.value, Some(35));
        // 12 / 36 exactly.
        assert_eq!(t.cells[0].share, Some(0.333));
    }

    #[test]
    fn a_mean_over_fewer_than_k_people_is_withheld() {
        assert_eq!(K10.mean(9, Some(70.0)).value, None);
        assert_eq!(K10.mean(10, Some(70.04)).value, Some(70.0));
        assert_eq!(K10.mean(0, None).suppressed, None);
    }

    #[test]
    fn the_threshold_is_configuration() {
        let k5 = Policy {
            min_count: 5,
            round_to_5: false,
        };
        assert_eq!(k5.count(5).value, Some(5));
        assert_eq!(k5.count(4).value, None);
    }
}
