//! Publishing: the drafts employers submitted become a numbered release, which the public
//! is answered from; the list of releases.

use std::collections::HashMap;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use super::{ServiceError, ServiceResult, quote};
use crate::domain::access::{Caller, Role};
use crate::domain::release::{Drafts, View};
use crate::store::access::{self, Event};
use crate::store::live::Data;
use crate::store::releases::{self, NewRelease, Release, Version};
use crate::store::{self, Pool, StoreError};

/// What a question reads: the data version, the release, and whose drafts (if any) in
/// place of that release's versions.
#[derive(Clone)]
pub struct Reading {
    /// The data version read.
    pub data: Arc<Data>,
    /// The version of each employer-year read.
    pub view: Arc<View>,
    /// The release read; `None` before the first.
    pub release: Option<Release>,
}

impl Reading {
    /// Whether the figures include drafts: unpublished, seen only with the key that may.
    pub fn shows_drafts(&self) -> bool {
        self.view.shows_drafts()
    }
}

/// The drafts `caller` may see: an employer key its own employer's, an admin key all.
async fn visible_drafts(db: &Pool, caller: &Caller) -> ServiceResult<Option<Drafts>> {
    let Caller::Key(k) = caller else {
        return Ok(None);
    };
    Ok(match (k.role, &k.employer) {
        (Role::Admin, _) => Some(Drafts::All),
        (Role::Employer, Some(code)) => {
            let employers = store::workforce::employers(db).await?;
            // The key's employer may not exist yet (its first submission creates it).
            let id = employers
                .iter()
                .find(|e| e.code.eq_ignore_ascii_case(code))
                .map(|e| e.id);
            Some(id.map_or(Drafts::None, Drafts::Of))
        }
        _ => None,
    })
}

/// What `caller` reads when it asks for `release`: a release number (`"3"`), `"latest"`
/// (the latest release, without drafts) or `"draft"` (the latest release with the drafts
/// the caller's key may see). Without `release`, a key that may see drafts reads them, and
/// everyone else the latest release.
pub async fn reading(db: &Pool, caller: &Caller, release: Option<&str>) -> ServiceResult<Reading> {
    let data = db.data();
    let latest = data.latest_release().cloned();
    let (release, drafts) = match release.map(str::trim) {
        None => (
            latest,
            visible_drafts(db, caller).await?.unwrap_or(Drafts::None),
        ),
        Some(word) if word.eq_ignore_ascii_case("latest") => (latest, Drafts::None),
        Some(word) if word.eq_ignore_ascii_case("draft") => {
            match (caller, visible_drafts(db, caller).await?) {
                (_, Some(drafts)) => (latest, drafts),
                (Caller::Public, None) => {
                    return Err(ServiceError::Unauthenticated(
                    "`release: \"draft\"` needs an employer or admin key in `Authorization: Bearer`"
                        .to_owned(),
                ));
                }
                (Caller::Key(k), None) => {
                    return Err(ServiceError::Forbidden(format!(
                        "drafts are seen only with their employer's key or an admin key; this is a {} key",
                        k.role
                    )));
                }
            }
        }
        Some(word) => {
            let found = word
                .parse::<i32>()
                .ok()
                .and_then(|n| data.releases.iter().find(|r| r.number == n));
            match found {
                Some(r) => (Some(r.clone()), Drafts::None),
                None => {
                    let known = match (data.releases.first(), data.releases.last()) {
                        (Some(first), Some(last)) => {
                            format!("releases {} to {}", first.number, last.number)
                        }
                        _ => "no release yet".to_owned(),
                    };
                    return Err(ServiceError::Invalid(format!(
                        "`release`: \"{}\" is not a release; give a number ({known}), \"latest\" or \"draft\"",
                        quote(word)
                    )));
                }
            }
        }
    };
    let view = data.view(release.as_ref().map(|r| r.number), drafts);
    Ok(Reading {
        data,
        view,
        release,
    })
}

/// The longest notes a release takes, in characters.
pub const MAX_NOTES_CHARS: usize = 4000;

/// One snapshot a release published.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Published {
    /// The employer's code.
    pub employer: String,
    /// The year.
    pub year: i32,
    /// Its staff records (counted for the audit log and the publisher, never served).
    #[serde(skip)]
    pub records: i64,
    /// The release whose version of this employer-year it replaces, if an earlier release
    /// published one: it is then a correction of that release's figures.
    pub replaces_release: Option<i32>,
}

/// A release just made.
#[derive(Debug, Clone)]
pub struct Publication {
    /// The release.
    pub release: Release,
    /// What it published, by employer and year.
    pub snapshots: Vec<Published>,
}

/// Who publishes: an admin key, or the command line.
#[derive(Debug, Clone, Copy)]
pub enum Publisher<'a> {
    /// A request with a key (only an admin key may publish).
    Caller(&'a Caller),
    /// `release publish` on the server's command line.
    CommandLine,
}

impl Publisher<'_> {
    fn actor(&self) -> (Option<i32>, String) {
        match self {
            Publisher::Caller(Caller::Key(k)) => (Some(k.id), k.describe()),
            Publisher::Caller(Caller::Public) => (None, Caller::Public.describe()),
            Publisher::CommandLine => (None, "command line".to_owned()),
        }
    }
}

/// Checks a publication's words: notes required and bounded, `corrects` an existing
/// release.
async fn checked(
    db: &DatabaseConnection,
    notes: &str,
    corrects: Option<i32>,
) -> ServiceResult<String> {
    let notes = notes.trim();
    if notes.is_empty() {
        return Err(ServiceError::Invalid(
            "`notes`: say what the release publishes".to_owned(),
        ));
    }
    if notes.chars().count() > MAX_NOTES_CHARS {
        return Err(ServiceError::Invalid(format!(
            "`notes`: at most {MAX_NOTES_CHARS} characters"
        )));
    }
    if let Some(n) = corrects
        && !releases::exists(db, n).await?
    {
        return Err(ServiceError::Invalid(format!(
            "`corrects`: there is no release {n}"
        )));
    }
    Ok(notes.to_owned())
}

/// Publishes every draft as a new release with `notes` (and the release it `corrects`, if
/// any), records it in the audit log and bumps the data version, all in one transaction.
/// `Ok(None)`: there was no draft, and nothing was written.
pub async fn publish(
    db: &DatabaseConnection,
    publisher: Publisher<'_>,
    notes: &str,
    corrects: Option<i32>,
) -> ServiceResult<Option<Publication>> {
    if let Publisher::Caller(caller) = publisher {
        super::access::admin_only(caller, "publishing a release")?;
    }
    let notes = checked(db, notes, corrects).await?;
    let (key_id, actor) = publisher.actor();
    let txn = store::begin_write(db).await.map_err(StoreError::from)?;
    let codes: HashMap<i32, String> = store::workforce::employers(&txn)
        .await?
        .into_iter()
        .map(|e| (e.id, e.code))
        .collect();
    let history = History::of(&releases::versions(&txn).await?);
    let new = NewRelease {
        notes: &notes,
        corrects,
        published_by: &actor,
    };
    let Some((release, drafts)) = releases::publish(&txn, None, &new).await? else {
        return Ok(None);
    };
    let snapshots: Vec<Published> = drafts
        .iter()
        .map(|d| Published {
            employer: codes.get(&d.employer_id).cloned().unwrap_or_default(),
            year: d.year,
            records: d.records,
            replaces_release: history.before((d.employer_id, d.year), i32::MAX),
        })
        .collect();
    let rows: i64 = snapshots.iter().map(|s| s.records).sum();
    access::record(
        &txn,
        Event {
            key_id,
            actor,
            action: "release.publish".to_owned(),
            subject: Some(format!("release {}", release.number)),
            outcome: "published".to_owned(),
            rows: Some(rows),
            detail: Some(serde_json::json!({
                "notes": release.notes,
                "corrects": release.corrects,
                "snapshots": snapshots,
            })),
        },
    )
    .await?;
    store::version::bump(&txn).await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(Some(Publication { release, snapshots }))
}

/// A release with what it published.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The release.
    pub release: Release,
    /// Each employer-year it published, with the release it corrects (if any).
    pub snapshots: Vec<Published>,
}

/// The latest `first` releases of the data version served, newest first, each with the
/// employer-years it published.
pub async fn list(db: &Pool, first: usize) -> ServiceResult<Vec<Listed>> {
    let data = db.data();
    let codes = employer_codes(db).await?;
    let history = History::of(&data.versions);
    Ok(data
        .releases
        .iter()
        .rev()
        .take(first)
        .map(|r| listed(&data, (&codes, &history), r))
        .collect())
}

/// Release `release` of what `reading` reads, with the employer-years it published.
pub async fn described(db: &Pool, reading: &Reading) -> ServiceResult<Option<Listed>> {
    let Some(release) = &reading.release else {
        return Ok(None);
    };
    let codes = employer_codes(db).await?;
    let history = History::of(&reading.data.versions);
    Ok(Some(listed(&reading.data, (&codes, &history), release)))
}

async fn employer_codes(db: &Pool) -> ServiceResult<HashMap<i32, String>> {
    Ok(store::workforce::employers(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e.code))
        .collect())
}

/// The releases that published each employer-year.
struct History(HashMap<(i32, i32), Vec<i32>>);

impl History {
    fn of(versions: &[Version]) -> History {
        let mut history: HashMap<(i32, i32), Vec<i32>> = HashMap::new();
        for v in versions {
            if let Some(r) = v.release {
                history.entry((v.employer_id, v.year)).or_default().push(r);
            }
        }
        History(history)
    }

    /// The latest release before `release` that published the employer-year: the one a
    /// version published by `release` corrects.
    fn before(&self, employer_year: (i32, i32), release: i32) -> Option<i32> {
        self.0
            .get(&employer_year)?
            .iter()
            .copied()
            .filter(|r| *r < release)
            .max()
    }
}

/// `release` with the employer-years it published, each with the release it corrects.
fn listed(
    data: &Data,
    (codes, history): (&HashMap<i32, String>, &History),
    release: &Release,
) -> Listed {
    let mut snapshots: Vec<Published> = data
        .versions
        .iter()
        .filter(|v| v.release == Some(release.number))
        .map(|v| Published {
            employer: codes.get(&v.employer_id).cloned().unwrap_or_default(),
            year: v.year,
            records: 0,
            replaces_release: history.before((v.employer_id, v.year), release.number),
        })
        .collect();
    snapshots.sort_by(|a, b| (&a.employer, a.year).cmp(&(&b.employer, b.year)));
    Listed {
        release: release.clone(),
        snapshots,
    }
}
