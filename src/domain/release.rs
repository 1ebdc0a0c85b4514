//! Which version of each employer-year a question reads.
//!
//! Every import makes a new version of each employer-year it holds: a draft, until a
//! release publishes it. Release `n` is every employer-year's version in the latest release
//! up to `n`, so an employer-year left out of a release keeps the version published before.
//! The public reads the latest release (or an earlier one it names); an employer's key also
//! sees its own drafts, in place of its published versions, and an admin key every draft.

use std::collections::HashMap;

/// One stored version, as the choice of a view needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionKey {
    /// The snapshot id its cells carry.
    pub snapshot: i32,
    /// The employer's id.
    pub employer: i32,
    /// The year.
    pub year: i32,
    /// The release that published it; `None`: a draft.
    pub release: Option<i32>,
}

/// Whose drafts a view shows, over the published versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Drafts {
    /// None: what the public and partners see.
    None,
    /// One employer's (its key's).
    Of(i32),
    /// Every employer's (an admin key's).
    All,
}

/// The version chosen for each employer-year.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct View {
    chosen: HashMap<(i32, i32), i32>,
    drafts_shown: bool,
}

impl View {
    /// The view of release `release` (`None`: no release, only drafts), with `drafts`'
    /// drafts in place of the published versions of their employer-years.
    pub fn choose(versions: &[VersionKey], release: Option<i32>, drafts: Drafts) -> View {
        let mut published: HashMap<(i32, i32), (i32, i32)> = HashMap::new();
        let mut view = View::default();
        for v in versions {
            let key = (v.employer, v.year);
            match v.release {
                Some(r) if release.is_some_and(|upto| r <= upto) => {
                    let best = published.entry(key).or_insert((r, v.snapshot));
                    if r > best.0 {
                        *best = (r, v.snapshot);
                    }
                }
                Some(_) => {}
                None => {
                    let shown = match drafts {
                        Drafts::None => false,
                        Drafts::Of(employer) => employer == v.employer,
                        Drafts::All => true,
                    };
                    if shown {
                        view.chosen.insert(key, v.snapshot);
                        view.drafts_shown = true;
                    }
                }
            }
        }
        for (key, (_, snapshot)) in published {
            view.chosen.entry(key).or_insert(snapshot);
        }
        view
    }

    /// The snapshot read for the employer's year, if the view has one.
    pub fn snapshot(&self, employer: i32, year: i32) -> Option<i32> {
        self.chosen.get(&(employer, year)).copied()
    }

    /// Every snapshot the view reads.
    pub fn snapshots(&self) -> impl Iterator<Item = i32> + '_ {
        self.chosen.values().copied()
    }

    /// The snapshots the view reads of `employer`'s years.
    pub fn snapshots_of(&self, employer: i32) -> impl Iterator<Item = i32> + '_ {
        self.chosen
            .iter()
            .filter(move |((e, _), _)| *e == employer)
            .map(|(_, s)| *s)
    }

    /// Whether the view reads snapshot `snapshot`.
    pub fn reads(&self, snapshot: i32) -> bool {
        self.chosen.values().any(|s| *s == snapshot)
    }

    /// Whether the view has any year of `employer`.
    pub fn has_employer(&self, employer: i32) -> bool {
        self.chosen.keys().any(|(e, _)| *e == employer)
    }

    /// The latest year any of `employers` has in the view.
    pub fn latest_year(&self, employers: &[i32]) -> Option<i32> {
        self.chosen
            .keys()
            .filter(|(e, _)| employers.contains(e))
            .map(|(_, y)| *y)
            .max()
    }

    /// Whether any draft is read in place of a published version (or of none).
    pub fn shows_drafts(&self) -> bool {
        self.drafts_shown
    }

    /// A view reading exactly these snapshots, by (employer, year): for tests.
    #[cfg(test)]
    pub fn of(chosen: impl IntoIterator<Item = ((i32, i32), i32)>) -> View {
        View {
            chosen: chosen.into_iter().collect(),
            drafts_shown: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(snapshot: i32, employer: i32, year: i32, release: Option<i32>) -> VersionKey {
        VersionKey {
            snapshot,
            employer,
            year,
            release,
        }
    }

    /// Employer 1: 2023 published in release 1, corrected in release 3; 2024 in release 2
    /// with a draft since. Employer 2: only a draft of 2024.
    fn versions() -> Vec<VersionKey> {
        vec![
            v(10, 1, 2023, Some(1)),
            v(11, 1, 2024, Some(2)),
            v(12, 1, 2023, Some(3)),
            v(13, 1, 2024, None),
            v(14, 2, 2024, None),
        ]
    }

    #[test]
    fn a_release_reads_each_employer_year_as_last_published_up_to_it() {
        let vs = versions();
        let first = View::choose(&vs, Some(1), Drafts::None);
        assert_eq!(first.snapshot(1, 2023), Some(10));
        assert_eq!(first.snapshot(1, 2024), None);
        assert_eq!(first.latest_year(&[1]), Some(2023));
        let second = View::choose(&vs, Some(2), Drafts::None);
        assert_eq!(
            (second.snapshot(1, 2023), second.snapshot(1, 2024)),
            (Some(10), Some(11))
        );
        let latest = View::choose(&vs, Some(3), Drafts::None);
        assert_eq!(
            (latest.snapshot(1, 2023), latest.snapshot(1, 2024)),
            (Some(12), Some(11))
        );
        assert!(
            !latest.has_employer(2),
            "a draft-only employer is not public"
        );
        assert!(!latest.shows_drafts());
        assert!(!latest.reads(13) && !latest.reads(14));
    }

    #[test]
    fn drafts_show_only_to_whom_they_are_for() {
        let vs = versions();
        let own = View::choose(&vs, Some(3), Drafts::Of(1));
        assert_eq!(
            own.snapshot(1, 2024),
            Some(13),
            "its draft replaces release 2's"
        );
        assert_eq!(own.snapshot(1, 2023), Some(12));
        assert!(
            !own.has_employer(2),
            "another employer's draft stays hidden"
        );
        assert!(own.shows_drafts());
        let other = View::choose(&vs, Some(3), Drafts::Of(2));
        assert_eq!(other.snapshot(1, 2024), Some(11));
        assert_eq!(other.snapshot(2, 2024), Some(14));
        let admin = View::choose(&vs, Some(3), Drafts::All);
        assert_eq!(
            (admin.snapshot(1, 2024), admin.snapshot(2, 2024)),
            (Some(13), Some(14))
        );
        let before_any = View::choose(&vs, None, Drafts::None);
        assert_eq!(before_any, View::default());
    }
}
