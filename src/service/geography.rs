//! Areas as use cases: one area by any of its codes, an argument naming an area, and a page of
//! areas by level, parent and name.

use super::{ServiceError, ServiceResult, quote};
use crate::domain::geography::{Area, AreaLevel};
use crate::store::Pool;
use crate::store::areas::{self, AreaFilter, Page, PageRequest};

/// The longest `nameContains` text accepted.
pub const MAX_NAME_FILTER: usize = 100;

/// The area known by `code` (any of its codes, in any case), if any.
pub async fn find(db: &Pool, code: &str) -> ServiceResult<Option<Area>> {
    Ok(areas::find(db, code).await?)
}

/// The primary code of the area the argument `argument` names by any of its codes; NOT_FOUND
/// otherwise.
pub async fn area_argument(db: &Pool, code: &str, argument: &str) -> ServiceResult<String> {
    match areas::find(db, code).await? {
        Some(area) => Ok(area.code),
        None => Err(ServiceError::NotFound(format!(
            "`{argument}`: no area has the code `{}`",
            quote(code)
        ))),
    }
}

/// One page of the areas of `level`, within the area `parent` (any of its codes) and whose
/// name contains `name_contains`, by code; and how many match over all pages.
pub async fn page(
    db: &Pool,
    level: Option<AreaLevel>,
    parent: Option<&str>,
    name_contains: Option<String>,
    page: &PageRequest,
) -> ServiceResult<(Page<Area>, u64)> {
    let name_contains = name_contains.filter(|t| !t.trim().is_empty());
    if let Some(text) = &name_contains
        && text.chars().count() > MAX_NAME_FILTER
    {
        return Err(ServiceError::Invalid(format!(
            "`nameContains` may be at most {MAX_NAME_FILTER} characters"
        )));
    }
    let within = match parent {
        None => None,
        Some(code) => Some(
            areas::find(db, code)
                .await?
                .ok_or_else(|| ServiceError::NotFound(format!("no area has the code `{code}`")))?
                .code,
        ),
    };
    let filter = AreaFilter {
        level,
        within,
        name_contains,
    };
    let total = areas::count(db, &filter).await?;
    let items = areas::list(db, &filter, page).await?;
    Ok((items, total))
}
