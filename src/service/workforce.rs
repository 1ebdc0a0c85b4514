//! The workforce question as a use case: a filter's names resolved and checked, then the
//! figures about the records it selects, every count through the disclosure policy.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use std::sync::OnceLock;

use super::releases::Reading;
use super::{ServiceError, ServiceResult, quote};
use crate::domain::cells::GroupCounts;
use crate::domain::disclosure::{
    Aggregate, Count, Mean, Policy, Suppression, Table, round_fraction, round_score,
};
use crate::domain::seb::{self, Measure};
use crate::domain::workforce::{Dimension, Scope, employer_named};
use crate::store::live::Data;
use crate::store::reference::{self, ReferenceShare};
use crate::store::workforce::{self as workforce_store, Employer};
use crate::store::{Pool, areas};

/// Most dimensions one distribution may be broken down by.
pub const MAX_DIMENSIONS: usize = 3;

/// Engagement scores run from 0 to 100.
const SCORE_RANGE: (f64, f64) = (0.0, 100.0);

/// The GSS code of the United Kingdom.
const UK: &str = "K02000001";

/// Which staff records to count, by the names a client uses; every list is "any of".
#[derive(Debug, Default)]
pub struct Filter {
    /// Employer codes; `None`: every real employer, or the demo ones when none is real.
    pub employers: Option<Vec<String>>,
    /// Years; `None`: the latest year any of the employers has.
    pub years: Option<Vec<i32>>,
    /// Business unit names.
    pub business_units: Option<Vec<String>>,
    /// Grade levels.
    pub grade_levels: Option<Vec<i32>>,
    /// Area codes of places of work, at any level.
    pub areas: Option<Vec<String>>,
    /// Only staff who joined in the snapshot year.
    pub joiners_only: bool,
}

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(message.into())
}

/// Names a few of the values a client sent, each cut short: an error must not echo a
/// 500-item list of long strings back.
fn quote_list(values: &[&str]) -> String {
    const SHOWN: usize = 5;
    let mut text = values
        .iter()
        .take(SHOWN)
        .map(|v| format!("`{}`", quote(v)))
        .collect::<Vec<_>>()
        .join(", ");
    if values.len() > SHOWN {
        text.push_str(&format!(" and {} more", values.len() - SHOWN));
    }
    text
}

/// The values of `asked` that are not among `known`.
fn unknown(asked: &[String], known: impl Fn(&str) -> bool) -> Vec<&str> {
    asked
        .iter()
        .map(String::as_str)
        .filter(|a| !known(a))
        .collect()
}

/// The employers a filter names, or the default set, among those `reading` has figures of;
/// real and synthetic never mixed.
async fn employers_of(
    db: &Pool,
    codes: Option<&[String]>,
    reading: &Reading,
) -> ServiceResult<Vec<Employer>> {
    let all = employers(db, reading).await?;
    let employers: Vec<Employer> = match codes {
        Some(codes) => {
            // Codes ignore case, as imports match them.
            let stored: Vec<&str> = all.iter().map(|e| e.code.as_str()).collect();
            let mut named = Vec::with_capacity(codes.len());
            let mut unknown = Vec::new();
            for code in codes {
                match employer_named(&stored, code) {
                    Ok(i) => named.push(i),
                    Err(several) if several.len() > 1 => {
                        return Err(invalid(format!(
                            "`filter.employers`: \"{code}\" names {} (codes that differ only in case); give one exactly",
                            quote_list(&several)
                        )));
                    }
                    Err(_) => unknown.push(code.as_str()),
                }
            }
            if !unknown.is_empty() {
                return Err(invalid(format!(
                    "`filter.employers`: unknown employer code(s): {}; the `employers` query lists them",
                    quote_list(&unknown)
                )));
            }
            all.into_iter()
                .enumerate()
                .filter(|(i, _)| named.contains(i))
                .map(|(_, e)| e)
                .collect()
        }
        None => {
            let any_real = all.iter().any(|e| !e.synthetic);
            all.into_iter()
                .filter(|e| e.synthetic != any_real)
                .collect()
        }
    };
    if employers.iter().any(|e| e.synthetic) && employers.iter().any(|e| !e.synthetic) {
        return Err(invalid(
            "`employers` mixes synthetic demo employers with real ones; figures from the two are never combined",
        ));
    }
    Ok(employers)
}

/// The business units of `employer` that `reading` has records of.
pub fn visible_units(reading: &Reading, employer: i32) -> HashSet<i32> {
    reading.data.cells.business_units(&reading.view, employer)
}

/// The ids of the named business units of `employers`, among those `reading` has records of.
async fn business_unit_ids(
    db: &Pool,
    (employers, reading): (&[i32], &Reading),
    names: &[String],
) -> ServiceResult<Vec<i32>> {
    let mut units = workforce_store::business_units(db, employers).await?;
    // Each employer's visible units once, not once per unit.
    let visible: HashSet<i32> = employers
        .iter()
        .flat_map(|e| visible_units(reading, *e))
        .collect();
    units.retain(|u| visible.contains(&u.id));
    let unknown = unknown(names, |n| units.iter().any(|u| u.name == n));
    if !unknown.is_empty() {
        return Err(invalid(format!(
            "`filter.businessUnits`: unknown business unit(s) for these employers: {}",
            quote_list(&unknown)
        )));
    }
    Ok(units
        .into_iter()
        .filter(|u| names.contains(&u.name))
        .map(|u| u.id)
        .collect())
}

/// The local authorities within the named areas (of any level).
async fn authorities_of(db: &Pool, codes: &[String]) -> ServiceResult<Vec<String>> {
    let found = areas::primary_codes(db, codes).await?;
    let mut primary = Vec::with_capacity(codes.len());
    let mut unknown = Vec::new();
    for code in codes {
        match found.get(&code.trim().to_uppercase()) {
            Some(area) => primary.push(area.clone()),
            None => unknown.push(code.as_str()),
        }
    }
    if !unknown.is_empty() {
        return Err(invalid(format!(
            "`filter.areas`: unknown area code(s): {}",
            quote_list(&unknown)
        )));
    }
    Ok(areas::authorities_within(db, &primary).await?)
}

/// Resolves a filter's names into ids and codes, refusing unknown ones, and opens the
/// question about the records it selects.
pub async fn ask(
    db: &Pool,
    filter: Filter,
    policy: Policy,
    reading: Reading,
) -> ServiceResult<Question> {
    let employers = employers_of(db, filter.employers.as_deref(), &reading).await?;
    let ids: Vec<i32> = employers.iter().map(|e| e.id).collect();
    let years = match filter.years {
        Some(years) if years.is_empty() => return Err(invalid("`years` is empty")),
        Some(years) => years,
        None => reading.view.latest_year(&ids).into_iter().collect(),
    };
    let business_units = match &filter.business_units {
        Some(names) => Some(business_unit_ids(db, (&ids, &reading), names).await?),
        None => None,
    };
    let work_areas = match &filter.areas {
        Some(codes) => Some(authorities_of(db, codes).await?),
        None => None,
    };
    Ok(Question {
        scope: Scope {
            employers: ids,
            years,
            business_units,
            grade_levels: filter.grade_levels,
            work_areas,
            joiners_only: filter.joiners_only,
        },
        employers,
        policy,
        data: reading.data.clone(),
        reading,
        overall: OnceLock::new(),
    })
}

/// Names for the ids and codes in group keys.
pub struct KeyNames {
    /// Employer id to code and name.
    pub employers: HashMap<i32, (String, String)>,
    /// Business unit id to name.
    pub units: HashMap<i32, String>,
    /// Area code to name.
    pub areas: HashMap<String, String>,
}

/// One group of staff with its protected table.
pub struct ProtectedGroup {
    /// The group's counts as stored (its key names the group).
    pub group: GroupCounts,
    /// Its figures after disclosure control.
    pub table: Table,
}

/// A lower-SEB share set against everyone's, from published counts: who gets on and the
/// progression ratio compare these.
pub struct Shares {
    /// The group's lower-SEB share (3 decimals).
    pub share: Option<f64>,
    /// Everyone's lower-SEB share (3 decimals).
    pub overall: Option<f64>,
    /// How the two compare: the gap (who gets on) or the ratio (progression).
    pub comparison: Option<f64>,
    /// Why figures are withheld.
    pub suppressed: Option<Suppression>,
}

/// The progression ratio: the most senior grade level's lower-SEB share over everyone's.
pub struct Progression {
    /// The most senior grade level.
    pub senior_grade_level: i32,
    /// Its share against everyone's; `comparison` is the ratio.
    pub shares: Shares,
}

/// The engagement means of lower-SEB and other declared staff, and their difference.
pub struct Engagement {
    /// Lower minus other.
    pub gap: Option<f64>,
    /// The mean of lower-SEB staff.
    pub lower: Mean,
    /// The mean of other declared staff.
    pub other: Mean,
}

/// Staff records selected by a filter; every figure about them is disclosure-controlled.
pub struct Question {
    scope: Scope,
    employers: Vec<Employer>,
    policy: Policy,
    /// The data version every figure of the question is summed from, even when a newer one
    /// arrives while it is answered.
    data: Arc<Data>,
    /// The release (and drafts) it reads.
    reading: Reading,
    overall: OnceLock<Option<GroupCounts>>,
}

/// The lower-SEB share of a protected table, unrounded but from published counts (for
/// derived figures), or why it is withheld.
fn lower_share(table: &Table) -> Result<Option<f64>, Suppression> {
    match table.cell(seb::LOWER) {
        Some(c) => match c.count.suppressed {
            Some(s) => Err(s),
            None => Ok(c.unrounded_share),
        },
        None => Ok(None),
    }
}

/// Two lower-SEB shares and their comparison, rounded, with the first reason either is
/// withheld (the group's own first).
fn shares(
    share: Result<Option<f64>, Suppression>,
    overall: Result<Option<f64>, Suppression>,
    comparison: Option<f64>,
) -> Shares {
    Shares {
        share: share.ok().flatten().map(round_fraction),
        overall: overall.ok().flatten().map(round_fraction),
        comparison,
        suppressed: share.err().or(overall.err()),
    }
}

impl Question {
    /// The years the figures cover.
    pub fn years(&self) -> &[i32] {
        &self.scope.years
    }

    /// The employers the figures cover.
    pub fn employers(&self) -> &[Employer] {
        &self.employers
    }

    /// True when the figures are synthetic demo data.
    pub fn synthetic(&self) -> bool {
        self.employers.iter().any(|e| e.synthetic)
    }

    /// The disclosure policy the figures are published under.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The release (and drafts) the figures come from.
    pub fn reading(&self) -> &Reading {
        &self.reading
    }

    fn overall(&self) -> Option<&GroupCounts> {
        self.overall
            .get_or_init(|| {
                let groups = self.data.cells.category_counts(
                    &self.reading.view,
                    &self.scope,
                    Measure::ParentalOccupation,
                    &[],
                );
                groups.into_iter().next()
            })
            .as_ref()
    }

    /// Everyone in the filter, perturbed.
    pub fn headcount(&self) -> Count {
        let n = self
            .overall()
            .map_or_else(Aggregate::default, |g| g.headcount);
        self.policy.count(n)
    }

    /// The groups `dimensions` form, with their counts over `measure`'s categories; at most
    /// [`MAX_DIMENSIONS`], each once.
    pub fn groups(
        &self,
        measure: Measure,
        dimensions: &[Dimension],
    ) -> ServiceResult<Vec<GroupCounts>> {
        if dimensions.len() > MAX_DIMENSIONS {
            return Err(invalid(format!(
                "`by` may name at most {MAX_DIMENSIONS} dimensions"
            )));
        }
        Ok(self
            .data
            .cells
            .category_counts(&self.reading.view, &self.scope, measure, dimensions))
    }

    /// `groups`, each with its protected table.
    pub fn protect(&self, groups: Vec<GroupCounts>) -> Vec<ProtectedGroup> {
        groups
            .into_iter()
            .map(|group| ProtectedGroup {
                table: self.policy.table(group.headcount, &group.categories),
                group,
            })
            .collect()
    }

    /// Names for the keys of `groups`.
    pub async fn names(&self, db: &Pool, groups: &[ProtectedGroup]) -> ServiceResult<KeyNames> {
        let employers = self
            .employers
            .iter()
            .map(|e| (e.id, (e.code.clone(), e.name.clone())))
            .collect();
        let units = if groups.iter().any(|g| g.group.key.business_unit.is_some()) {
            workforce_store::business_units(db, &self.scope.employers)
                .await?
                .into_iter()
                .map(|u| (u.id, u.name))
                .collect()
        } else {
            HashMap::new()
        };
        let codes: HashSet<String> = groups
            .iter()
            .flat_map(|g| {
                [
                    g.group.key.region.clone(),
                    g.group.key.local_authority.clone(),
                ]
            })
            .flatten()
            .collect();
        let areas = if codes.is_empty() {
            HashMap::new()
        } else {
            let codes: Vec<String> = codes.into_iter().collect();
            areas::by_codes(db, &codes)
                .await?
                .into_iter()
                .map(|a| (a.code, a.name))
                .collect()
        };
        Ok(KeyNames {
            employers,
            units,
            areas,
        })
    }

    /// Who gets on: each of `groups`' lower-SEB share against everyone's.
    pub fn representation(&self, groups: &[ProtectedGroup]) -> Vec<Shares> {
        let overall = self
            .overall()
            .map(|g| self.policy.table(g.headcount, &g.categories));
        let overall_share = overall.as_ref().map_or(Ok(None), lower_share);
        groups
            .iter()
            .map(|g| {
                let share = lower_share(&g.table);
                let gap = match (share, overall_share) {
                    (Ok(Some(s)), Ok(Some(o))) => Some(round_fraction(s - o)),
                    _ => None,
                };
                shares(share, overall_share, gap)
            })
            .collect()
    }

    /// The progression ratio (parental occupation); `None` when the filter has no staff or
    /// no lower-SEB staff at all.
    pub fn progression(&self) -> ServiceResult<Option<Progression>> {
        let Some(overall) = self.overall() else {
            return Ok(None);
        };
        let overall = self.policy.table(overall.headcount, &overall.categories);
        let groups = self.groups(Measure::ParentalOccupation, &[Dimension::GradeLevel])?;
        let Some(senior) = groups.iter().max_by_key(|g| g.key.grade_level) else {
            return Ok(None);
        };
        let senior_grade_level = senior.key.grade_level.unwrap_or_default();
        let senior = self.policy.table(senior.headcount, &senior.categories);
        let (senior, overall) = (lower_share(&senior), lower_share(&overall));
        let ratio = match (senior, overall) {
            (Ok(Some(s)), Ok(Some(o))) if o > 0.0 => Some(round_fraction(s / o)),
            (Ok(_), Ok(_)) => return Ok(None),
            _ => None,
        };
        Ok(Some(Progression {
            senior_grade_level,
            shares: shares(senior, overall, ratio),
        }))
    }

    /// How it feels: the engagement means of lower-SEB and other declared staff. Each mean
    /// is the sum of scores over the perturbed number of people with a score.
    pub fn engagement(&self) -> Engagement {
        let sums = self
            .data
            .cells
            .engagement_sums(&self.reading.view, &self.scope);
        let lower = self.policy.mean(sums.lower, sums.lower_sum, SCORE_RANGE);
        let other = self.policy.mean(sums.other, sums.other_sum, SCORE_RANGE);
        Engagement {
            gap: lower
                .value
                .zip(other.value)
                .map(|(l, o)| round_score(l - o)),
            lower,
            other,
        }
    }
}

/// The primary code of a reference population's area: `UK` or any area code.
pub async fn reference_area(db: &Pool, area: &str, argument: &str) -> ServiceResult<String> {
    if area.eq_ignore_ascii_case("UK") {
        return Ok(UK.to_owned());
    }
    match super::geography::find(db, area).await? {
        Some(a) => Ok(a.code),
        None => Err(invalid(format!(
            "`{argument}`: unknown area code `{}`",
            quote(area)
        ))),
    }
}

/// Reference populations, optionally of one area (`UK` or an area code) and one measure.
pub async fn reference_shares(
    db: &Pool,
    area: Option<&str>,
    measure: Option<Measure>,
) -> ServiceResult<Vec<ReferenceShare>> {
    let area = match area {
        None => None,
        Some(a) => Some(reference_area(db, a, "area").await?),
    };
    Ok(reference::shares(db, area.as_deref(), measure.map(|m| m.column())).await?)
}

/// What a distribution is compared with.
pub enum Benchmark {
    /// A published reference population of the area.
    Published(Vec<ReferenceShare>),
    /// The staff of the other loaded employers working in the area.
    OtherEmployers(OtherEmployers),
}

/// The staff of the other loaded employers (of the same kind, real or synthetic) working in an
/// area in the question's years, under the same disclosure control as every figure.
pub struct OtherEmployers {
    /// The area's code.
    pub area: String,
    /// The area's name.
    pub area_name: String,
    /// The other employers' codes.
    pub employers: Vec<String>,
    /// The years.
    pub years: Vec<i32>,
    /// Their distribution over the measure's groups, as published (none: no such staff).
    pub table: Option<Table>,
}

/// What `question`'s distribution over `measure` is compared with for `area` (`UK` or any area
/// code): the area's published reference population when it has one, otherwise the other
/// loaded employers' staff working there in the same years. That comparison is any filter's
/// figure (the employers, years and area a client could name itself), so it reveals nothing
/// a filter does not. Refused when the area has no published population and no other employer
/// is loaded.
pub async fn benchmark(
    db: &Pool,
    question: &Question,
    area: &str,
    measure: Measure,
) -> ServiceResult<Benchmark> {
    let code = reference_area(db, area, "benchmark").await?;
    let shares = reference::shares(db, Some(&code), Some(measure.column())).await?;
    if !shares.is_empty() {
        return Ok(Benchmark::Published(shares));
    }
    let asked: Vec<i32> = question.employers.iter().map(|e| e.id).collect();
    let synthetic = question.synthetic();
    let others: Vec<String> = employers(db, &question.reading)
        .await?
        .into_iter()
        .filter(|e| e.synthetic == synthetic && !asked.contains(&e.id))
        .map(|e| e.code)
        .collect();
    if others.is_empty() {
        let published = reference::shares(db, None, Some(measure.column())).await?;
        let mut areas: Vec<String> = published.into_iter().map(|s| s.area_code).collect();
        areas.dedup();
        return Err(invalid(format!(
            "`benchmark`: {code} has no published reference population for {}, and no other {}employer is loaded to compare with; published: {}",
            measure.column(),
            if synthetic { "synthetic " } else { "" },
            if areas.is_empty() {
                "none".to_owned()
            } else {
                areas.join(", ")
            }
        )));
    }
    let area_name = super::geography::find(db, &code)
        .await?
        .map(|a| a.name)
        .unwrap_or_default();
    let filter = Filter {
        employers: Some(others.clone()),
        years: Some(question.years().to_vec()),
        business_units: None,
        grade_levels: None,
        areas: Some(vec![code.clone()]),
        joiners_only: false,
    };
    let comparison = ask(
        db,
        filter,
        question.policy().clone(),
        question.reading.clone(),
    )
    .await?;
    let table = comparison
        .protect(comparison.groups(measure, &[])?)
        .into_iter()
        .next()
        .map(|g| g.table);
    Ok(Benchmark::OtherEmployers(OtherEmployers {
        area: code,
        area_name,
        employers: others,
        years: question.years().to_vec(),
        table,
    }))
}

/// Every employer whose workforce is loaded and has figures in `reading`, by code.
pub async fn employers(db: &Pool, reading: &Reading) -> ServiceResult<Vec<Employer>> {
    let mut all = workforce_store::employers(db).await?;
    // An employer with only drafts (or nothing) is not shown before its release.
    all.retain(|e| reading.view.has_employer(e.id));
    Ok(all)
}
