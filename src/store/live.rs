//! The data the server answers from memory: the workforce cells of the current data version,
//! the releases and the versions of each employer-year they publish, and what is computed
//! once per version (the index, the views of releases), shared by every request.
//!
//! [`Live::refresh`] compares the stored data version with the one held and reloads when
//! they differ; the server calls it on a timer, so every replica on a store picks up an
//! import within one poll interval.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use sea_orm::{ConnectionTrait, StreamTrait};

use super::error::StoreError;
use super::releases::{self, Release, Version};
use super::version;
use super::workforce::cells;
use crate::domain::cells::Cells;
use crate::domain::release::{Drafts, VersionKey, View};

/// Values kept per data version at most; past it, new ones are computed and not kept, so
/// questions that differ only in their arguments cannot fill the memory.
const MAX_MEMOS: usize = 256;

/// The data of one version.
#[derive(Default)]
pub struct Data {
    /// The data version (0 before the first load).
    pub version: i64,
    /// Every workforce cell, of every stored version.
    pub cells: Cells,
    /// Every release, oldest first.
    pub releases: Vec<Release>,
    /// Every stored version of every employer-year, by snapshot id.
    pub versions: Vec<Version>,
    /// When the version was released (seconds since 1970, UTC), when known.
    pub released_at: Option<i64>,
    memos: Mutex<HashMap<String, Arc<dyn Any + Send + Sync>>>,
}

impl Data {
    /// The value computed for `key` in this version, if one was kept.
    pub fn memo<T: Any + Send + Sync>(&self, key: &str) -> Option<Arc<T>> {
        let memos = self.memos.lock().unwrap_or_else(|e| e.into_inner());
        memos.get(key).cloned()?.downcast().ok()
    }

    /// Keeps `value` for `key` in this version (unless [`MAX_MEMOS`] are kept already).
    pub fn remember<T: Any + Send + Sync>(&self, key: String, value: Arc<T>) {
        let mut memos = self.memos.lock().unwrap_or_else(|e| e.into_inner());
        if memos.len() < MAX_MEMOS {
            memos.insert(key, value);
        }
    }

    /// The latest release, if any has been published.
    pub fn latest_release(&self) -> Option<&Release> {
        self.releases.last()
    }

    /// What the public reads: the latest release, without drafts.
    pub fn published(&self) -> Arc<View> {
        self.view(self.latest_release().map(|r| r.number), Drafts::None)
    }

    /// The view of release `release` (`None`: before any), with `drafts`' drafts: chosen
    /// once per data version and kept (there are at most a few per release).
    pub fn view(&self, release: Option<i32>, drafts: Drafts) -> Arc<View> {
        let key = format!("view {release:?} {drafts:?}");
        if let Some(view) = self.memo(&key) {
            return view;
        }
        let keys: Vec<VersionKey> = self.versions.iter().map(Version::key).collect();
        let view = Arc::new(View::choose(&keys, release, drafts));
        self.remember(key, view.clone());
        view
    }
}

/// The current data, shared by every request and swapped whole on a new version.
#[derive(Clone, Default)]
pub struct Live {
    data: Arc<RwLock<Arc<Data>>>,
    checks: Arc<AtomicU64>,
}

impl Live {
    /// How many checks of the stored version have completed (loaded or not): data committed
    /// before a check started is served once the count has passed it.
    pub fn checks(&self) -> u64 {
        self.checks.load(Ordering::SeqCst)
    }

    /// The data of the latest version loaded.
    pub fn current(&self) -> Arc<Data> {
        self.data.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Loads the store's data if its version differs from the one held; returns the version
    /// now held. Readers keep the data they hold until they finish.
    pub async fn refresh(
        &self,
        db: &(impl ConnectionTrait + StreamTrait),
    ) -> Result<i64, StoreError> {
        let checked = self.check(db).await;
        self.checks.fetch_add(1, Ordering::SeqCst);
        checked
    }

    async fn check(&self, db: &(impl ConnectionTrait + StreamTrait)) -> Result<i64, StoreError> {
        let held = self.current().version;
        let mut stored = version::read(db).await?;
        if stored == held {
            return Ok(held);
        }
        // The cells and the version must match: an import committing between the two reads
        // shows as a version change, and the load is repeated.
        loop {
            let cells = cells::load(db).await?;
            let releases = releases::list(db).await?;
            let versions = releases::versions(db).await?;
            let after = version::read(db).await?;
            if after == stored {
                let released_at = version::released_at(db).await?;
                break self.publish(Data {
                    version: stored,
                    cells,
                    releases,
                    versions,
                    released_at,
                    memos: Mutex::default(),
                });
            }
            stored = after;
        }
        Ok(stored)
    }

    /// Replaces the held data, unless a newer version was published meanwhile.
    fn publish(&self, data: Data) {
        let mut current = self.data.write().unwrap_or_else(|e| e.into_inner());
        if data.version > current.version {
            tracing::info!(
                version = data.version,
                cells = data.cells.len(),
                "serving a new data version"
            );
            *current = Arc::new(data);
        }
    }
}
