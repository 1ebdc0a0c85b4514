//! Indicators as use cases: the list, one by code, and a page of one indicator's values.

use super::geography::area_argument;
use super::{ServiceError, ServiceResult};
use crate::domain::geography::AreaLevel;
use crate::domain::index::canonical_breakdown;
use crate::store::Pool;
use crate::store::areas::{AreaFilter, Page, PageRequest};
use crate::store::indicators::{self, Indicator, Value};

/// Every indicator, or those of one domain, by code.
pub async fn all(db: &Pool, domain: Option<&str>) -> ServiceResult<Vec<Indicator>> {
    Ok(indicators::all(db, domain).await?)
}

/// The indicator with `code`; NOT_FOUND otherwise.
pub async fn find(db: &Pool, code: &str) -> ServiceResult<Indicator> {
    indicators::by_codes(db, &[code.to_owned()])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            ServiceError::NotFound(format!(
                "no indicator has the code `{code}`; `indicators` lists them"
            ))
        })
}

/// Which values of an indicator to list.
pub struct ValuesQuery<'a> {
    /// The indicator's code.
    pub indicator: &'a str,
    /// The period; `None`: the indicator's latest.
    pub period: Option<String>,
    /// Only areas of this level.
    pub level: Option<AreaLevel>,
    /// Only areas within the area with this code.
    pub parent: Option<&'a str>,
    /// The breakdown as `type=value` pairs in any order; `None`: the total.
    pub breakdown: Option<&'a str>,
}

/// One page of an indicator's values by area code, and how many match over all pages;
/// `None` when the indicator has no values at all (so no latest period).
pub async fn values_page(
    db: &Pool,
    query: ValuesQuery<'_>,
    page: &PageRequest,
) -> ServiceResult<Option<(Page<Value>, u64)>> {
    let indicator = find(db, query.indicator).await?;
    let period = match query.period {
        Some(p) => p,
        None => match indicators::periods(db, &[indicator.id])
            .await?
            .remove(&indicator.id)
            .and_then(|mut periods| periods.pop())
        {
            Some(p) => p,
            None => return Ok(None),
        },
    };
    let breakdown = canonical_breakdown(query.breakdown.unwrap_or(""))
        .map_err(|e| ServiceError::Invalid(format!("`breakdown`: {e}")))?;
    let within = match query.parent {
        Some(code) => Some(area_argument(db, code, "parent").await?),
        None => None,
    };
    let filter = AreaFilter {
        level: query.level,
        within,
        name_contains: None,
    };
    let values = indicators::values_page(
        db,
        indicator.id,
        &period,
        &breakdown,
        &filter,
        page.after.as_deref(),
        page.first,
    )
    .await?;
    Ok(Some(values))
}
