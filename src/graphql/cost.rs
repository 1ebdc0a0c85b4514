//! The cost model: what each list field can return at most, so that a query's cost (checked
//! against `MAX_QUERY_COMPLEXITY` before it runs) bounds the work it can cause.
//!
//! A field costs 1 plus its selections; a list field costs the items it can return times the
//! cost of one item, multiplied through nesting. Paged lists take their `first`. Unpaged lists
//! take the maximum below, which their resolvers enforce: an answer that would be longer is
//! refused with `RESULT_TOO_LARGE` naming the field, never silently cut. Each maximum is
//! stated in the field's description and sized well above the data the explorer serves.

use super::error::{ApiError, ApiResult};
use crate::domain::workforce::Dimension;

/// `Area.alternativeCodes`: code schemes an area is also known by (ITL1 today).
pub const ALTERNATIVE_CODES: usize = 4;
/// `Area.indicators(period:)` with a period: at most one total value per indicator.
pub const AREA_VALUES_IN_PERIOD: usize = INDICATORS;
/// `Area.indicators` without a period: every period's totals.
pub const AREA_VALUES: usize = 1_000;
/// `indicators`, and the indicator lists of `IndexParameters`.
pub const INDICATORS: usize = 200;
/// `Indicator.periods`.
pub const PERIODS: usize = 100;
/// `Indicator.breakdowns` (the Commission's indicators have up to 217).
pub const BREAKDOWNS: usize = 500;
/// `Indicator.breakdownTypes`.
pub const BREAKDOWN_TYPES: usize = 20;
/// `IndexEntry.domainScores` and `IndexParameters.domains`.
pub const DOMAINS: usize = 20;
/// `IndexParameters.quintileCutOffs` and `bandCutOffs`.
pub const CUT_OFFS: usize = 6;
/// `DistributionGroup.categories`: the background groups of one SEB question.
pub const CATEGORIES: usize = 8;
/// `Workforce.distribution` and `whoGetsOn`: groups of staff in one answer, whatever the
/// dimensions.
pub const GROUPS: usize = 1_000;
/// Regions a place of work can lie in (England's nine, Wales, Scotland, Northern Ireland).
pub const REGIONS: usize = 12;
/// Grade levels an import accepts (1 to 100).
pub const GRADE_LEVELS: usize = 100;
/// Local authority districts, with the newer unitary authorities.
pub const LOCAL_AUTHORITIES: usize = 400;
/// `employers`, `Workforce.employers`.
pub const EMPLOYERS: usize = 100;
/// `EmployerNode.snapshots`, `Workforce.years`: one per year.
pub const YEARS: usize = 30;
/// `EmployerNode.businessUnits`.
pub const BUSINESS_UNITS: usize = 200;
/// `EmployerNode.grades`.
pub const GRADES: usize = 50;
/// `releases`.
pub const RELEASES: usize = 100;
/// `ReleaseNode.snapshots`: one per employer and year it published (ten years of every
/// employer `employers` can list).
pub const RELEASE_SNAPSHOTS: usize = 1_000;
/// `referencePopulations`.
pub const REFERENCE_SHARES: usize = 500;
/// `programmes`.
pub const PROGRAMMES: usize = 100;
/// `Programme.metrics`.
pub const METRICS: usize = 30;
/// `Programme.series` and `Programme.totals`: one point per period.
pub const SERIES_POINTS: usize = 100;
/// `programmeReach`: one row per area of the chosen level (local authorities at most).
pub const REACH_AREAS: usize = 500;

/// How many groups staff grouped by `by` can form: the product of each dimension's values,
/// at most [`GROUPS`] (one group when `by` is empty).
pub fn groups<D: Copy + Into<Dimension>>(by: &[D]) -> usize {
    by.iter()
        .map(|d| match (*d).into() {
            Dimension::Employer => EMPLOYERS,
            Dimension::Year => YEARS,
            Dimension::BusinessUnit => BUSINESS_UNITS,
            Dimension::GradeLevel => GRADE_LEVELS,
            Dimension::Region => REGIONS,
            Dimension::LocalAuthority => LOCAL_AUTHORITIES,
        })
        .fold(1usize, usize::saturating_mul)
        .min(GROUPS)
}

/// The cost of a list of at most `bound` items each costing `child` (at least 1: a list of
/// scalars still costs its items).
pub fn list(bound: usize, child: usize) -> usize {
    bound.saturating_mul(child.max(1)).saturating_add(1)
}

/// `items`, or `RESULT_TOO_LARGE` when there are more than the field's documented maximum
/// (`hint` says how to ask for fewer).
pub fn within<T>(items: Vec<T>, bound: usize, field: &str, hint: &str) -> ApiResult<Vec<T>> {
    if items.len() > bound {
        return Err(ApiError::ResultTooLarge(format!(
            "`{field}` would return {} items; at most {bound} are returned{hint}",
            items.len()
        )));
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_costs_its_bound_times_its_items() {
        assert_eq!(list(10, 3), 31);
        assert_eq!(list(10, 0), 11);
        assert_eq!(list(usize::MAX, 2), usize::MAX);
    }

    #[test]
    fn groups_multiply_the_values_of_each_dimension_up_to_the_cap() {
        assert_eq!(groups::<Dimension>(&[]), 1);
        assert_eq!(groups(&[Dimension::Region]), 12);
        assert_eq!(groups(&[Dimension::Region, Dimension::GradeLevel]), 1_000);
    }
}
