//! Complete answers kept in memory per data version: the same query with the same variables
//! gets the same bytes until an import changes the data, so a repeated question (the
//! explorer's map, a dashboard everyone opens) is answered without running it again.
//!
//! Bounded by bytes (least recently used answers go first); a new data version empties it.
//! Only complete answers are kept (no errors, status 200), so a refusal or an outage is never
//! replayed. Each is kept gzipped too, compressed once: compressing the 180 KB index map for
//! every client that accepts gzip (as browsers do) would cost more than answering it.

use std::sync::Mutex;

use axum::body::Bytes;
use lru::LruCache;
use sha2::{Digest, Sha256};

/// The key of an answer: a digest of the data version and everything that shapes the answer.
pub type Key = [u8; 32];

/// An answer as sent.
#[derive(Clone, Debug)]
pub struct Cached {
    /// The media type it was sent as.
    pub content_type: &'static str,
    /// The body.
    pub body: Bytes,
    /// The body gzipped, for clients that accept it; `None` when too small to gain.
    pub gzip: Option<Bytes>,
}

/// Bodies smaller than this go as they are (as the HTTP layer's own compression does).
const GZIP_MIN_BYTES: usize = 32;

impl Cached {
    /// An answer, with its gzipped body made now when `gzipped` (and the body is large enough
    /// to gain).
    pub fn new(content_type: &'static str, body: Bytes, gzipped: bool) -> Cached {
        let gzip = (gzipped && body.len() >= GZIP_MIN_BYTES)
            .then(|| gzip(&body))
            .flatten();
        Cached {
            content_type,
            body,
            gzip,
        }
    }

    /// The bytes it holds.
    fn size(&self) -> usize {
        self.body.len() + self.gzip.as_ref().map_or(0, Bytes::len)
    }
}

/// `body` gzipped at the default level.
pub(super) fn gzip(body: &[u8]) -> Option<Bytes> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(body).ok()?;
    encoder.finish().ok().map(Bytes::from)
}

struct Entries {
    version: i64,
    answers: LruCache<Key, Cached>,
    bytes: usize,
}

/// The cache of complete answers.
pub struct ResponseCache {
    budget: usize,
    entries: Mutex<Entries>,
}

impl ResponseCache {
    /// A cache holding at most `budget` bytes of answers (0: keeps nothing).
    pub fn new(budget: usize) -> ResponseCache {
        ResponseCache {
            budget,
            entries: Mutex::new(Entries {
                version: 0,
                answers: LruCache::unbounded(),
                bytes: 0,
            }),
        }
    }

    /// The key of an answer to `parts` (each hashed with its length, so no two lists of parts
    /// share a key) in data version `version`.
    pub fn key(version: i64, parts: &[&[u8]]) -> Key {
        let mut hasher = Sha256::new();
        hasher.update(version.to_le_bytes());
        for part in parts {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        hasher.finalize().into()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether an answer of `body_bytes` would be kept (gzipped too, it is at most about as
    /// large again).
    pub fn would_keep(&self, body_bytes: usize) -> bool {
        body_bytes.saturating_mul(2) <= self.budget / 4
    }

    /// The answer kept for `key`, if any.
    pub fn get(&self, key: &Key) -> Option<Cached> {
        self.lock().answers.get(key).cloned()
    }

    /// Keeps an answer of data version `version`; answers of older versions are dropped.
    pub fn put(&self, version: i64, key: Key, answer: Cached) {
        let size = answer.size();
        if size > self.budget / 4 {
            return;
        }
        let mut entries = self.lock();
        if version < entries.version {
            return;
        }
        if version > entries.version {
            entries.answers.clear();
            entries.bytes = 0;
            entries.version = version;
        }
        while entries.bytes + size > self.budget {
            match entries.answers.pop_lru() {
                Some((_, old)) => entries.bytes -= old.size(),
                None => break,
            }
        }
        if let Some(old) = entries.answers.put(key, answer) {
            entries.bytes -= old.size();
        }
        entries.bytes += size;
    }

    /// How many answers and bytes are kept.
    pub fn usage(&self) -> (usize, usize) {
        let entries = self.lock();
        (entries.answers.len(), entries.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(bytes: usize) -> Cached {
        Cached {
            content_type: "application/json",
            body: Bytes::from(vec![b'x'; bytes]),
            gzip: None,
        }
    }

    #[test]
    fn answers_are_kept_gzipped_too_and_counted_with_both_bodies() {
        use std::io::Read;
        let body = Bytes::from(serde_json::to_vec(&vec!["E06000001"; 200]).expect("json"));
        let answer = Cached::new("application/json", body.clone(), true);
        let gzipped = answer.gzip.clone().expect("large enough to gzip");
        assert!(gzipped.len() < body.len() / 10, "{} bytes", gzipped.len());
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&gzipped[..])
            .read_to_end(&mut unzipped)
            .expect("gunzips");
        assert_eq!(unzipped, body);
        let cache = ResponseCache::new(4 * (body.len() + gzipped.len()));
        let key = ResponseCache::key(1, &[b"q"]);
        cache.put(1, key, answer);
        assert_eq!(cache.usage(), (1, body.len() + gzipped.len()));
        let tiny = Cached::new("application/json", Bytes::from_static(b"{}"), true);
        assert!(tiny.gzip.is_none());
        let plain = Cached::new("application/json", body.clone(), false);
        assert!(plain.gzip.is_none());
        // Before compressing, room for twice the body is asked.
        assert!(ResponseCache::new(8 * body.len()).would_keep(body.len()));
        assert!(!ResponseCache::new(8 * body.len()).would_keep(body.len() + 1));
        assert!(
            !ResponseCache::new(0).would_keep(1),
            "a cache of 0 bytes keeps nothing"
        );
    }

    #[test]
    fn the_least_recently_used_answers_go_first_when_the_budget_is_reached() {
        let cache = ResponseCache::new(400);
        let keys: Vec<Key> = (0..5u8).map(|i| ResponseCache::key(1, &[&[i]])).collect();
        for key in &keys[..4] {
            cache.put(1, *key, answer(100));
        }
        assert!(cache.get(&keys[0]).is_some(), "read: now the most recent");
        cache.put(1, keys[4], answer(100));
        assert!(
            cache.get(&keys[1]).is_none(),
            "the least recently used went"
        );
        assert!(cache.get(&keys[0]).is_some());
        assert_eq!(cache.usage(), (4, 400));
        let big = ResponseCache::key(1, &[b"big"]);
        cache.put(1, big, answer(101));
        assert!(cache.get(&big).is_none(), "over a quarter of the budget");
        assert_eq!(cache.usage(), (4, 400));
    }

    #[test]
    fn a_new_version_empties_the_cache_and_old_versions_are_not_kept() {
        let cache = ResponseCache::new(1000);
        let old = ResponseCache::key(1, &[b"q"]);
        cache.put(1, old, answer(10));
        let new = ResponseCache::key(2, &[b"q"]);
        assert_ne!(old, new);
        cache.put(2, new, answer(10));
        assert!(cache.get(&old).is_none());
        cache.put(1, old, answer(10));
        assert!(cache.get(&old).is_none(), "an answer of an older version");
        assert_eq!(cache.usage(), (1, 10));
    }

    #[test]
    fn keys_differ_by_how_parts_are_split() {
        assert_ne!(
            ResponseCache::key(1, &[b"ab", b"c"]),
            ResponseCache::key(1, &[b"a", b"bc"])
        );
    }
}
