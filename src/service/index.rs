//! The social mobility index as a use case: which indicators, computed for a level and
//! period, and the page of ranked areas a question selects.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::{ServiceError, ServiceResult};
use crate::domain::geography::AreaLevel;
use crate::domain::index::{self, Classification, Method, Ranked};
use crate::store::areas::{self, AreaFilter, Page, PageRequest};
use crate::store::indicators::{self, Indicator, Standardisation};
use crate::store::{Pool, StoreError};

/// Which index to compute: one level, period, method and indicator set.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IndexKey {
    /// The level whose areas are scored against each other.
    pub level: AreaLevel,
    /// The period.
    pub period: String,
    /// How areas are grouped.
    pub method: Method,
    /// Indicator codes; `None`: every indicator with values at that level and period.
    pub indicators: Option<Vec<String>>,
}

/// A computed index.
#[derive(Debug, Clone)]
pub struct IndexResult {
    /// What was asked.
    pub key: IndexKey,
    /// Areas best first.
    pub ranked: Vec<Ranked>,
    /// Area code to position in `ranked`.
    pub position: HashMap<String, usize>,
    /// Last rank of quintiles 1 to 4.
    pub quintile_cut_offs: [u32; 4],
    /// Indicators used, with how they were standardised.
    pub used: Vec<(Indicator, Standardisation)>,
    /// Indicators asked for or present that could not be standardised (no variation).
    pub skipped: Vec<String>,
    /// The published group of each area, when the index uses exactly one indicator.
    pub published: BTreeMap<String, String>,
}

/// The index of `key`, computed once per data version: every request after the first gets
/// the same result from memory until an import changes the data.
pub async fn compute(db: &Pool, key: &IndexKey) -> Result<Arc<IndexResult>, StoreError> {
    let data = db.data();
    let memo = format!("index {key:?}");
    if let Some(found) = data.memo::<IndexResult>(&memo) {
        return Ok(found);
    }
    let computed = Arc::new(compute_now(db, key).await?);
    data.remember(memo, computed.clone());
    Ok(computed)
}

/// Computes an index: three aggregate statements (means, deviations, domain scores), then
/// ranking in the domain.
async fn compute_now(db: &Pool, key: &IndexKey) -> Result<IndexResult, StoreError> {
    if key.level == AreaLevel::Comparator {
        // Averages published beside UK figures are not places: never ranked.
        let (ranked, quintile_cut_offs) = index::rank(Vec::new(), key.method);
        return Ok(IndexResult {
            key: key.clone(),
            ranked,
            position: HashMap::new(),
            quintile_cut_offs,
            used: Vec::new(),
            skipped: Vec::new(),
            published: BTreeMap::new(),
        });
    }
    let areas = AreaFilter {
        level: Some(key.level),
        within: None,
        name_contains: None,
    };
    let chosen = match &key.indicators {
        Some(codes) => indicators::by_codes(db, codes).await?,
        None => {
            // Real and synthetic indicators are never combined: real ones win when present.
            let all = indicators::with_totals(db, &key.period, &areas).await?;
            let any_real = all.iter().any(|i| !i.definition.synthetic);
            all.into_iter()
                .filter(|i| i.definition.synthetic != any_real)
                .collect()
        }
    };
    let standardisations = indicators::standardisations(db, &chosen, &key.period, &areas).await?;
    let scores =
        indicators::domain_scores(db, &chosen, &standardisations, &key.period, &areas).await?;
    let (ranked, quintile_cut_offs) = index::rank(scores, key.method);
    let position = ranked
        .iter()
        .enumerate()
        .map(|(i, r)| (r.area.clone(), i))
        .collect();
    let mut used = Vec::new();
    let mut skipped = Vec::new();
    for indicator in chosen {
        match standardisations
            .iter()
            .find(|s| s.indicator_id == indicator.id)
        {
            Some(s) => used.push((indicator, *s)),
            None => skipped.push(indicator.definition.code),
        }
    }
    used.sort_by(|(a, _), (b, _)| a.definition.code.cmp(&b.definition.code));
    let published = match used.as_slice() {
        [(only, _)] => indicators::published_groups(db, only.id, &key.period).await?,
        _ => BTreeMap::new(),
    };
    Ok(IndexResult {
        key: key.clone(),
        ranked,
        position,
        quintile_cut_offs,
        used,
        skipped,
        published,
    })
}

/// Refuses an explicit indicator list naming unknown codes, or mixing synthetic demo
/// indicators with published ones.
pub async fn check_indicators(db: &Pool, codes: &[String]) -> ServiceResult<()> {
    let found = indicators::by_codes(db, codes).await?;
    let unknown: Vec<&str> = codes
        .iter()
        .filter(|c| !found.iter().any(|i| &i.definition.code == *c))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(ServiceError::Invalid(format!(
            "`indicators`: unknown code(s) {}; `indicators` lists them",
            unknown.join(", ")
        )));
    }
    if found.iter().any(|i| i.definition.synthetic) && found.iter().any(|i| !i.definition.synthetic)
    {
        return Err(ServiceError::Invalid(
            "`indicators` mixes synthetic demo indicators with published ones; the two are never combined"
                .into(),
        ));
    }
    Ok(())
}

/// The codes of the areas of `level` within the area the `parent` argument names (by any of
/// its codes), sorted: the areas a list narrowed to one parent shows (ranks stay those of the
/// whole level).
pub async fn listed_within(
    db: &Pool,
    level: AreaLevel,
    parent: &str,
) -> ServiceResult<Vec<String>> {
    let within = super::geography::area_argument(db, parent, "parent").await?;
    let filter = AreaFilter {
        level: Some(level),
        within: Some(within),
        name_contains: None,
    };
    Ok(areas::codes(db, &filter).await?)
}

/// One page of a computed index's areas, best first: only those in `listed` (sorted codes)
/// and of `classification` when given, after the area named by the page's cursor. Returns
/// the page and how many areas match over all pages.
pub fn select<'a>(
    result: &'a IndexResult,
    listed: Option<&[String]>,
    classification: Option<Classification>,
    page: &PageRequest,
) -> ServiceResult<(Page<&'a Ranked>, u64)> {
    let wanted: Vec<&Ranked> = result
        .ranked
        .iter()
        .filter(|r| listed.is_none_or(|l| l.binary_search(&r.area).is_ok()))
        .filter(|r| classification.is_none_or(|c| r.classification == c))
        .collect();
    let start = match &page.after {
        Some(after) => wanted
            .iter()
            .position(|r| &r.area == after)
            .map(|i| i + 1)
            .ok_or_else(|| {
                ServiceError::Invalid("`after` is not a cursor from this index".into())
            })?,
        None => 0,
    };
    let first = usize::try_from(page.first).unwrap_or(usize::MAX);
    let items: Vec<&Ranked> = wanted.iter().skip(start).take(first).copied().collect();
    let has_next = start + items.len() < wanted.len();
    Ok((Page { items, has_next }, wanted.len() as u64))
}

/// How many of an area's local authorities are cold spots in an index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColdSpotCount {
    /// Authorities with a score.
    pub scored: u64,
    /// Of those, cold spots.
    pub cold: u64,
}

impl ColdSpotCount {
    /// `cold / scored` (3 decimals); `None` when none has a score.
    pub fn share(&self) -> Option<f64> {
        (self.scored > 0).then(|| {
            crate::domain::disclosure::round_fraction(self.cold as f64 / self.scored as f64)
        })
    }
}

/// How many of `authorities` have a score in `result`, and how many of those are cold spots.
pub fn cold_spot_count(result: &IndexResult, authorities: &[String]) -> ColdSpotCount {
    let scored: Vec<&Ranked> = authorities
        .iter()
        .filter_map(|a| result.entry_of(a))
        .collect();
    let cold = scored
        .iter()
        .filter(|r| r.classification == Classification::ColdSpot)
        .count();
    ColdSpotCount {
        scored: scored.len() as u64,
        cold: cold as u64,
    }
}

impl IndexResult {
    /// Whether the index was computed from synthetic demo indicators (real and synthetic ones
    /// are never combined, so one used tells).
    pub fn synthetic(&self) -> bool {
        self.used.iter().any(|(i, _)| i.definition.synthetic)
    }

    /// The codes of the areas classified as cold spots.
    pub fn cold_spots(&self) -> Vec<String> {
        self.ranked
            .iter()
            .filter(|r| r.classification == Classification::ColdSpot)
            .map(|r| r.area.clone())
            .collect()
    }

    /// The ranked entry of `area`, when it has a score.
    pub fn entry_of(&self, area: &str) -> Option<&Ranked> {
        self.position.get(area).map(|i| &self.ranked[*i])
    }
}
