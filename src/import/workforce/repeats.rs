//! Whether a file may hold a person twice in a snapshot, known without a pass over the
//! staged rows.
//!
//! The exact check is a `GROUP BY` of every staged row by snapshot and person: at 10,000,000
//! rows it took about a fifth of an import. Here each valid row leaves an 8-byte fingerprint
//! of its snapshot and person. Equal people give equal fingerprints, so fingerprints that are
//! all different prove there is no repeat, and the exact check is skipped. Any equal pair (a
//! repeat, or two people whose fingerprints collide) sends the import to the exact check,
//! which alone says which lines repeat. Past [`BOUND`] rows the sieve stops keeping
//! fingerprints, so its memory stays bounded whatever the file's size, and the exact check
//! runs.

use std::hash::BuildHasher;

/// Rows fingerprinted at most: 128 MiB of fingerprints.
pub const BOUND: usize = 1 << 24;

/// The fingerprints of the (snapshot, person) pairs read so far.
pub struct RepeatSieve {
    prints: Vec<u64>,
    bound: usize,
    overflowed: bool,
}

impl Default for RepeatSieve {
    fn default() -> Self {
        RepeatSieve::with_bound(BOUND)
    }
}

impl RepeatSieve {
    /// A sieve keeping at most `bound` fingerprints.
    pub fn with_bound(bound: usize) -> Self {
        RepeatSieve {
            prints: Vec::new(),
            bound,
            overflowed: false,
        }
    }

    /// Notes that `person` (a pseudonym) is in `snapshot` (the file's employer number and the
    /// year).
    pub fn add(&mut self, snapshot: (usize, i32), person: &str) {
        if self.overflowed {
            return;
        }
        if self.prints.len() == self.bound {
            self.overflowed = true;
            self.prints = Vec::new();
            return;
        }
        // A fixed seed: the fingerprints of one import need only be comparable with each
        // other. Pseudonyms are keyed hashes, so nobody can choose colliding ones, and a
        // collision costs only the exact check.
        let state = foldhash::fast::FixedState::with_seed(0x5eb_c0de);
        self.prints.push(state.hash_one((snapshot, person)));
    }

    /// `false` when no person was added twice to a snapshot; `true` when one may have been
    /// (a repeat, a collision of fingerprints, or more rows than the bound), which only the
    /// exact check can settle. Sorts in place: a second or so at 10,000,000 rows.
    pub fn may_repeat(mut self) -> bool {
        if self.overflowed {
            return true;
        }
        self.prints.sort_unstable();
        self.prints.windows(2).any(|pair| pair[0] == pair[1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sieve_of(rows: &[((usize, i32), &str)], bound: usize) -> RepeatSieve {
        let mut sieve = RepeatSieve::with_bound(bound);
        for (snapshot, person) in rows {
            sieve.add(*snapshot, person);
        }
        sieve
    }

    #[test]
    fn different_people_or_snapshots_are_no_repeat() {
        let people: Vec<String> = (0..10_000).map(|i| format!("{i:032x}")).collect();
        let mut rows: Vec<((usize, i32), &str)> =
            people.iter().map(|p| ((0, 2024), p.as_str())).collect();
        // The same people in another year and under another employer repeat nobody.
        rows.extend(people.iter().map(|p| ((0, 2025), p.as_str())));
        rows.extend(people.iter().map(|p| ((1, 2024), p.as_str())));
        assert!(!sieve_of(&rows, BOUND).may_repeat());
    }

    #[test]
    fn a_person_twice_in_a_snapshot_may_repeat_wherever_the_rows_are() {
        let people: Vec<String> = (0..1_000).map(|i| format!("{i:032x}")).collect();
        for (first, second) in [(0, 999), (500, 501), (998, 3)] {
            let mut rows: Vec<((usize, i32), &str)> =
                people.iter().map(|p| ((2, 2023), p.as_str())).collect();
            rows[second].1 = people[first].as_str();
            assert!(
                sieve_of(&rows, BOUND).may_repeat(),
                "line {second} repeats line {first}"
            );
        }
    }

    #[test]
    fn past_its_bound_the_sieve_cannot_tell_and_keeps_nothing() {
        let people: Vec<String> = (0..101).map(|i| format!("{i:032x}")).collect();
        let rows: Vec<((usize, i32), &str)> =
            people.iter().map(|p| ((0, 2024), p.as_str())).collect();
        assert!(!sieve_of(&rows[..100], 100).may_repeat());
        let overflowed = sieve_of(&rows, 100);
        assert!(overflowed.prints.capacity() == 0);
        assert!(overflowed.may_repeat());
    }
}
