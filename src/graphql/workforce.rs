//! Workforce queries: who gets in, who gets on and how it feels, by socio-economic
//! background, with every figure passed through disclosure control.

use std::collections::{HashMap, HashSet};

use crate::store::Pool;
use async_graphql::{ComplexObject, Context, Enum, InputObject, Object, SimpleObject};
use tokio::sync::OnceCell;

use super::context::{database, policy};
use super::cost;
use super::error::{ApiError, ApiResult, quote};
use crate::domain::disclosure::{
    self, Aggregate, Count, Policy, Suppression, round_fraction, round_score,
};
use crate::domain::seb::{self, Measure};
use crate::domain::workforce::{Dimension, GroupKey as DomainKey, Scope};
use crate::store::reference::ReferenceShare as StoredShare;
use crate::store::workforce::{self as workforce_store, Employer, GroupCounts};
use crate::store::{areas, reference};

/// One of the five socio-economic background questions.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum SebMeasure {
    /// Occupation of the main household earner at about 14 (the headline measure). Groups:
    /// PROFESSIONAL, INTERMEDIATE, LOWER (lower socio-economic background).
    ParentalOccupation,
    /// Type of school attended between 11 and 16. Groups: STATE (including independent
    /// schools with a bursary of 90% or more), INDEPENDENT, OVERSEAS.
    SchoolType,
    /// Eligibility for free school meals. Groups: YES, NO.
    FreeSchoolMeals,
    /// Whether a parent had a degree by the time the person was 18. Groups: YES, NO.
    ParentalDegree,
    /// Whether the person sees themselves as from a lower socio-economic background.
    /// Groups: YES, NO.
    SelfAssessed,
}

impl From<SebMeasure> for Measure {
    fn from(m: SebMeasure) -> Self {
        match m {
            SebMeasure::ParentalOccupation => Measure::ParentalOccupation,
            SebMeasure::SchoolType => Measure::SchoolType,
            SebMeasure::FreeSchoolMeals => Measure::FreeSchoolMeals,
            SebMeasure::ParentalDegree => Measure::ParentalDegree,
            SebMeasure::SelfAssessed => Measure::SelfAssessed,
        }
    }
}

impl From<Measure> for SebMeasure {
    fn from(m: Measure) -> Self {
        match m {
            Measure::ParentalOccupation => SebMeasure::ParentalOccupation,
            Measure::SchoolType => SebMeasure::SchoolType,
            Measure::FreeSchoolMeals => SebMeasure::FreeSchoolMeals,
            Measure::ParentalDegree => SebMeasure::ParentalDegree,
            Measure::SelfAssessed => SebMeasure::SelfAssessed,
        }
    }
}

/// What staff can be grouped by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum WorkforceDimension {
    /// The employer.
    Employer,
    /// The snapshot year.
    Year,
    /// The business unit (within its employer).
    BusinessUnit,
    /// The grade level: 1 is the most junior.
    GradeLevel,
    /// The region of the place of work: an English region, or Wales, Scotland or Northern
    /// Ireland.
    Region,
    /// The local authority district of the place of work.
    LocalAuthority,
}

impl From<WorkforceDimension> for Dimension {
    fn from(d: WorkforceDimension) -> Self {
        match d {
            WorkforceDimension::Employer => Dimension::Employer,
            WorkforceDimension::Year => Dimension::Year,
            WorkforceDimension::BusinessUnit => Dimension::BusinessUnit,
            WorkforceDimension::GradeLevel => Dimension::GradeLevel,
            WorkforceDimension::Region => Dimension::Region,
            WorkforceDimension::LocalAuthority => Dimension::LocalAuthority,
        }
    }
}

/// Why a figure is withheld (draw `[c]`, never a zero).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum SuppressionReason {
    /// The count, after perturbation, is below the disclosure threshold (it may be zero).
    SuppressedSmallCount,
    /// The group's headcount, respondents or number of people with a score is, after
    /// perturbation, below the threshold: every figure of the group is withheld.
    SuppressedSmallGroup,
}

impl From<Suppression> for SuppressionReason {
    fn from(s: Suppression) -> Self {
        match s {
            Suppression::SmallCount => SuppressionReason::SuppressedSmallCount,
            Suppression::SmallGroup => SuppressionReason::SuppressedSmallGroup,
        }
    }
}

/// How published counts are protected.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum DisclosureMethod {
    /// The cell key method, as the ONS `cell-key-perturbation` package applies it: every count
    /// gets noise from a perturbation table, fixed by the records it covers, then counts below
    /// the threshold are withheld.
    CellKeyPerturbation,
}

/// Which staff records to count. Every list is "any of" and holds at most 500 items (as
/// does any list argument); fields combine with "and".
#[derive(InputObject, Default, Debug)]
pub struct WorkforceFilter {
    /// Employer codes. Default: every employer with real data, or the synthetic demo
    /// employers when no real data is loaded. Real and synthetic employers cannot be mixed.
    pub employers: Option<Vec<String>>,
    /// Snapshot years. Default: the latest year any of the employers has.
    pub years: Option<Vec<i32>>,
    /// Business unit names (of any of the employers).
    pub business_units: Option<Vec<String>>,
    /// Grade levels (1 = most junior).
    pub grade_levels: Option<Vec<i32>>,
    /// Places of work: area codes at any level (GSS or ITL); an area includes every local
    /// authority within it, so a region includes its authorities.
    pub areas: Option<Vec<String>>,
    /// Only staff who joined in the snapshot year ("who gets in").
    #[graphql(default = false)]
    pub joiners_only: bool,
}

/// An employer whose workforce is loaded.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct EmployerNode {
    /// The code filters use.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Sector, when known.
    pub sector: Option<String>,
    /// True when this employer and all its figures are synthetic demo data.
    pub synthetic: bool,
    #[graphql(skip)]
    id: i32,
}

impl From<Employer> for EmployerNode {
    fn from(e: Employer) -> Self {
        EmployerNode {
            code: e.code,
            name: e.name,
            sector: e.sector,
            synthetic: e.synthetic,
            id: e.id,
        }
    }
}

/// One employer-year of staff records, as last imported.
#[derive(SimpleObject)]
pub struct SnapshotNode {
    /// The year.
    pub year: i32,
    /// Where the records came from (the imported file's name).
    pub source: String,
    /// When it was imported, in seconds since 1970-01-01 UTC.
    pub imported_at: i64,
}

/// A grade of an employer.
#[derive(SimpleObject)]
pub struct GradeNode {
    /// Its label, for example `G7`.
    pub label: String,
    /// Its level as last imported: 1 is the most junior.
    pub level: i32,
}

#[ComplexObject]
impl EmployerNode {
    /// The years loaded (at most 30), each with its source. (Record counts are not published: a
    /// snapshot's size is itself a headcount.)
    #[graphql(complexity = "cost::list(cost::YEARS, child_complexity)")]
    async fn snapshots(&self, ctx: &Context<'_>) -> ApiResult<Vec<SnapshotNode>> {
        let db = database(ctx)?;
        let snapshots = workforce_store::snapshots(db, &[self.id])
            .await?
            .into_iter()
            .map(|s| SnapshotNode {
                year: s.year,
                source: s.source,
                imported_at: s.imported_at,
            })
            .collect();
        cost::within(snapshots, cost::YEARS, "EmployerNode.snapshots", "")
    }

    /// Its business units, by name (at most 200).
    #[graphql(complexity = "cost::list(cost::BUSINESS_UNITS, child_complexity)")]
    async fn business_units(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        let db = database(ctx)?;
        let units = workforce_store::business_units(db, &[self.id])
            .await?
            .into_iter()
            .map(|u| u.name)
            .collect();
        cost::within(
            units,
            cost::BUSINESS_UNITS,
            "EmployerNode.businessUnits",
            "",
        )
    }

    /// Its grades, most junior first (at most 50).
    #[graphql(complexity = "cost::list(cost::GRADES, child_complexity)")]
    async fn grades(&self, ctx: &Context<'_>) -> ApiResult<Vec<GradeNode>> {
        let db = database(ctx)?;
        let grades = workforce_store::grades(db, &[self.id])
            .await?
            .into_iter()
            .map(|g| GradeNode {
                label: g.label,
                level: g.level,
            })
            .collect();
        cost::within(grades, cost::GRADES, "EmployerNode.grades", "")
    }
}

/// The share of a background group in a reference population, to compare a workforce with.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct ReferenceShare {
    /// The population described, for example "UK workforce aged 16+".
    pub population: String,
    /// The area (GSS code) the population lives in; `K02000001` is the UK.
    pub area_code: String,
    /// The background group.
    pub category: String,
    /// The group's share of the population, a fraction from 0 to 1.
    pub share: f64,
    /// The period the figure describes.
    pub period: String,
    /// Who published it.
    pub source: String,
    /// False when the figure is widely quoted but was not checked against the original
    /// table; see `caveat`.
    pub confirmed: bool,
    #[graphql(skip)]
    measure: Measure,
}

#[ComplexObject]
impl ReferenceShare {
    /// The SEB measure.
    async fn measure(&self) -> SebMeasure {
        self.measure.into()
    }

    /// What to tell readers about the figure, when it is not confirmed.
    async fn caveat(&self) -> Option<&'static str> {
        (!self.confirmed)
            .then_some("Widely quoted figure, not confirmed against the original published table.")
    }
}

impl ReferenceShare {
    fn from_stored(s: StoredShare) -> Option<ReferenceShare> {
        Some(ReferenceShare {
            measure: s.measure.parse().ok()?,
            population: s.population,
            area_code: s.area_code,
            category: s.category,
            share: s.share,
            period: s.period,
            source: s.source,
            confirmed: s.confirmed,
        })
    }
}

/// The disclosure rules the figures were published under.
#[derive(SimpleObject)]
pub struct DisclosurePolicy {
    /// How counts are protected.
    pub method: DisclosureMethod,
    /// The threshold k: a count below k after perturbation is withheld, as is every figure
    /// of a group whose headcount or respondents are below k, and a mean over fewer than k
    /// people.
    pub minimum_count: i32,
    /// The perturbation table in use.
    pub ptable: PerturbationTable,
    /// Always false: every count is perturbed on its own, so a total need not equal the sum
    /// of its cells, and shares need not add up to 1.
    pub totals_equal_sum_of_cells: bool,
    /// What readers should know, in words.
    pub note: String,
}

/// A perturbation table, identified without being published.
#[derive(SimpleObject)]
pub struct PerturbationTable {
    /// Its name: the bundled default, or the file it was read from.
    pub name: String,
    /// SHA-256 of the table in the ONS CSV format (`pcv,ckey,pvalue`), in hex.
    pub sha256: String,
    /// The largest noise it adds to or takes from a count.
    pub max_deviation: i32,
    /// The largest variance of its noise for any count.
    pub variance: f64,
}

/// The values a group was formed by; fields of dimensions not asked for are null.
#[derive(SimpleObject, Default, Clone)]
pub struct GroupKey {
    /// Employer code.
    pub employer: Option<String>,
    /// Employer name.
    pub employer_name: Option<String>,
    /// Snapshot year.
    pub year: Option<i32>,
    /// Business unit name.
    pub business_unit: Option<String>,
    /// Grade level (1 = most junior).
    pub grade_level: Option<i32>,
    /// Region code (GSS: an English region, or Wales, Scotland or Northern Ireland).
    pub region: Option<String>,
    /// Region name.
    pub region_name: Option<String>,
    /// Local authority code (GSS, 2020 boundaries).
    pub local_authority: Option<String>,
    /// Local authority name.
    pub local_authority_name: Option<String>,
}

/// One background group's figures within a group of staff.
#[derive(SimpleObject)]
pub struct CategoryCount {
    /// The background group, for example `LOWER`.
    pub category: String,
    /// People in the background group, perturbed; null when withheld.
    pub count: Option<u64>,
    /// `count` over the group's published `respondents` (a fraction, 3 decimals); null when
    /// withheld. Shares of a group need not add up to 1.
    pub share: Option<f64>,
    /// The reference population's share, when a `benchmark` was asked for and has one.
    pub benchmark_share: Option<f64>,
    /// The reference figure behind `benchmarkShare`, with its source and caveat.
    pub benchmark: Option<ReferenceShare>,
    /// Why `count` and `share` are withheld; null when they are shown.
    pub suppressed: Option<SuppressionReason>,
}

/// The distribution of one group of staff over the background groups of a measure.
#[derive(SimpleObject)]
pub struct DistributionGroup {
    /// The group.
    pub key: GroupKey,
    /// Everyone in the group, declared or not, perturbed; null when withheld.
    pub headcount: Option<u64>,
    /// Why `headcount` is withheld.
    pub headcount_suppressed: Option<SuppressionReason>,
    /// Those whose background group is known (the base of the shares), perturbed as a count
    /// of its own (not the sum of the published cells); null when withheld.
    pub respondents: Option<u64>,
    /// Why `respondents` is withheld.
    pub respondents_suppressed: Option<SuppressionReason>,
    /// Published respondents over published headcount (a fraction, 3 decimals, at most 1);
    /// null when either is withheld.
    pub declaration_rate: Option<f64>,
    /// One entry per background group of the measure, in a fixed order.
    #[graphql(complexity = "cost::list(cost::CATEGORIES, child_complexity)")]
    pub categories: Vec<CategoryCount>,
}

/// How far a group's lower-SEB share is from the whole workforce's (parental occupation).
#[derive(SimpleObject)]
pub struct RepresentationGap {
    /// The group.
    pub key: GroupKey,
    /// The group's lower-SEB share (a fraction, 3 decimals), from its published counts.
    pub lower_share: Option<f64>,
    /// The lower-SEB share of all staff in the filter, from published counts.
    pub overall_lower_share: Option<f64>,
    /// `lowerShare` minus `overallLowerShare`, before rounding (negative: under-represented).
    pub gap: Option<f64>,
    /// Why the figures are withheld.
    pub suppressed: Option<SuppressionReason>,
}

/// The progression ratio: the lower-SEB share in the most senior grade level over the
/// lower-SEB share of all staff (1.0 = proportional representation at the top).
#[derive(SimpleObject)]
pub struct Ratio {
    /// The ratio (3 decimals); null when withheld.
    pub value: Option<f64>,
    /// The most senior grade level in the filter.
    pub senior_grade_level: i32,
    /// The lower-SEB share in that grade level.
    pub senior_lower_share: Option<f64>,
    /// The lower-SEB share of all staff in the filter.
    pub overall_lower_share: Option<f64>,
    /// Why the figures are withheld.
    pub suppressed: Option<SuppressionReason>,
}

/// The engagement gap: mean engagement score (0-100) of lower-SEB staff minus that of other
/// declared staff (professional and intermediate backgrounds).
#[derive(SimpleObject)]
pub struct Gap {
    /// `lowerMean` minus `otherMean` in score points; null when either mean is withheld.
    pub value: Option<f64>,
    /// Mean score of lower-SEB staff: their total score over their perturbed number, rounded
    /// to a whole number.
    pub lower_mean: Option<f64>,
    /// Mean score of other declared staff, likewise.
    pub other_mean: Option<f64>,
    /// Why the figures are withheld.
    pub suppressed: Option<SuppressionReason>,
}

/// Most dimensions one distribution may be broken down by.
const MAX_DIMENSIONS: usize = 3;

/// Staff records selected by a filter, and the figures about them.
pub struct Workforce {
    scope: Scope,
    employers: Vec<Employer>,
    policy: Policy,
    overall: OnceCell<Option<GroupCounts>>,
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::BadUserInput(message.into())
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

/// Resolves a filter's names into ids and codes, refusing unknown ones.
async fn resolve_scope(db: &Pool, filter: WorkforceFilter) -> ApiResult<(Scope, Vec<Employer>)> {
    let all = workforce_store::employers(db).await?;
    let employers: Vec<Employer> = match &filter.employers {
        Some(codes) => {
            let unknown: Vec<&str> = codes
                .iter()
                .filter(|c| !all.iter().any(|e| &e.code == *c))
                .map(String::as_str)
                .collect();
            if !unknown.is_empty() {
                return Err(bad(format!(
                    "`filter.employers`: unknown employer code(s): {}; the `employers` query lists them",
                    quote_list(&unknown)
                )));
            }
            all.into_iter()
                .filter(|e| codes.contains(&e.code))
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
        return Err(bad(
            "`employers` mixes synthetic demo employers with real ones; figures from the two are never combined",
        ));
    }
    let ids: Vec<i32> = employers.iter().map(|e| e.id).collect();

    let years = match filter.years {
        Some(years) if years.is_empty() => return Err(bad("`years` is empty")),
        Some(years) => years,
        None => workforce_store::latest_year(db, &ids)
            .await?
            .into_iter()
            .collect(),
    };

    let business_units = match filter.business_units {
        None => None,
        Some(names) => {
            let units = workforce_store::business_units(db, &ids).await?;
            let unknown: Vec<&str> = names
                .iter()
                .filter(|n| !units.iter().any(|u| &u.name == *n))
                .map(String::as_str)
                .collect();
            if !unknown.is_empty() {
                return Err(bad(format!(
                    "`filter.businessUnits`: unknown business unit(s) for these employers: {}",
                    quote_list(&unknown)
                )));
            }
            Some(
                units
                    .into_iter()
                    .filter(|u| names.contains(&u.name))
                    .map(|u| u.id)
                    .collect(),
            )
        }
    };

    let work_areas = match filter.areas {
        None => None,
        Some(codes) => {
            let found = areas::primary_codes(db, &codes).await?;
            let mut primary = Vec::with_capacity(codes.len());
            let mut unknown = Vec::new();
            for code in &codes {
                match found.get(&code.trim().to_uppercase()) {
                    Some(area) => primary.push(area.clone()),
                    None => unknown.push(code.as_str()),
                }
            }
            if !unknown.is_empty() {
                return Err(bad(format!(
                    "`filter.areas`: unknown area code(s): {}",
                    quote_list(&unknown)
                )));
            }
            Some(areas::authorities_within(db, &primary).await?)
        }
    };

    Ok((
        Scope {
            employers: ids,
            years,
            business_units,
            grade_levels: filter.grade_levels,
            work_areas,
            joiners_only: filter.joiners_only,
        },
        employers,
    ))
}

/// Names for the ids and codes in group keys.
struct KeyNames {
    employers: HashMap<i32, (String, String)>,
    units: HashMap<i32, String>,
    areas: HashMap<String, String>,
}

impl Workforce {
    async fn overall(&self, db: &Pool) -> ApiResult<Option<&GroupCounts>> {
        let overall = self
            .overall
            .get_or_try_init(|| async {
                let groups = workforce_store::category_counts(
                    db,
                    &self.scope,
                    Measure::ParentalOccupation,
                    &[],
                )
                .await?;
                Ok::<_, ApiError>(groups.into_iter().next())
            })
            .await?;
        Ok(overall.as_ref())
    }

    async fn names(&self, db: &Pool, groups: &[GroupCounts]) -> ApiResult<KeyNames> {
        let employers = self
            .employers
            .iter()
            .map(|e| (e.id, (e.code.clone(), e.name.clone())))
            .collect();
        let units = if groups.iter().any(|g| g.key.business_unit.is_some()) {
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
            .flat_map(|g| [g.key.region.clone(), g.key.local_authority.clone()])
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

    async fn groups(
        &self,
        db: &Pool,
        measure: Measure,
        by: &[WorkforceDimension],
    ) -> ApiResult<Vec<GroupCounts>> {
        let mut dimensions: Vec<Dimension> = Vec::with_capacity(by.len());
        for named in by {
            let d = Dimension::from(*named);
            if dimensions.contains(&d) {
                // The GraphQL name (`REGION`), as the caller wrote it.
                let name = async_graphql::InputType::to_value(named);
                return Err(bad(format!("`by` names {name} twice")));
            }
            dimensions.push(d);
        }
        if dimensions.len() > MAX_DIMENSIONS {
            return Err(bad(format!(
                "`by` may name at most {MAX_DIMENSIONS} dimensions"
            )));
        }
        Ok(workforce_store::category_counts(db, &self.scope, measure, &dimensions).await?)
    }
}

fn present_key(key: &DomainKey, names: &KeyNames) -> GroupKey {
    let employer = key.employer.and_then(|id| names.employers.get(&id));
    GroupKey {
        employer: employer.map(|(code, _)| code.clone()),
        employer_name: employer.map(|(_, name)| name.clone()),
        year: key.year,
        business_unit: key
            .business_unit
            .and_then(|id| names.units.get(&id).cloned()),
        grade_level: key.grade_level,
        region: key.region.clone(),
        region_name: key
            .region
            .as_ref()
            .and_then(|c| names.areas.get(c).cloned()),
        local_authority: key.local_authority.clone(),
        local_authority_name: key
            .local_authority
            .as_ref()
            .and_then(|c| names.areas.get(c).cloned()),
    }
}

fn reason(count: &Count) -> Option<SuppressionReason> {
    count.suppressed.map(Into::into)
}

/// The lower-SEB share of a protected table, unrounded but from published counts (for
/// derived figures), or why it is withheld.
fn lower_share(table: &disclosure::Table) -> Result<Option<f64>, Suppression> {
    let cell = table.cell(seb::LOWER);
    match cell {
        Some(c) => match c.count.suppressed {
            Some(s) => Err(s),
            None => Ok(c.unrounded_share),
        },
        None => Ok(None),
    }
}

/// Everything about a set of staff records; every number is disclosure-controlled.
#[Object]
impl Workforce {
    /// The years the figures cover.
    #[graphql(complexity = "cost::list(cost::YEARS, child_complexity)")]
    async fn years(&self) -> &[i32] {
        &self.scope.years
    }

    /// The employers the figures cover.
    #[graphql(complexity = "cost::list(cost::EMPLOYERS, child_complexity)")]
    async fn employers(&self) -> Vec<EmployerNode> {
        self.employers.iter().cloned().map(Into::into).collect()
    }

    /// True when the figures are synthetic demo data (never mixed with real data).
    async fn synthetic(&self) -> bool {
        self.employers.iter().any(|e| e.synthetic)
    }

    /// The disclosure rules applied.
    async fn disclosure(&self) -> DisclosurePolicy {
        let ptable = &self.policy.ptable;
        DisclosurePolicy {
            method: DisclosureMethod::CellKeyPerturbation,
            minimum_count: i32::try_from(self.policy.min_count).unwrap_or(i32::MAX),
            ptable: PerturbationTable {
                name: ptable.name().to_owned(),
                sha256: ptable.sha256().to_owned(),
                max_deviation: i32::try_from(ptable.max_deviation()).unwrap_or(i32::MAX),
                variance: round_fraction(ptable.variance()),
            },
            totals_equal_sum_of_cells: false,
            note: format!(
                "Every count has small, fixed noise added (at most {} either way) and is withheld when below {}; the same people always give the same figure. Totals need not equal the sum of their parts, and shares, rates and gaps are computed from the published counts.",
                ptable.max_deviation(),
                self.policy.min_count
            ),
        }
    }

    /// Everyone in the filter, perturbed; null when below the threshold.
    async fn headcount(&self, ctx: &Context<'_>) -> ApiResult<Option<u64>> {
        let n = self
            .overall(database(ctx)?)
            .await?
            .map_or_else(Aggregate::default, |g| g.headcount);
        Ok(self.policy.count(n).value)
    }

    /// Why `headcount` is withheld.
    async fn headcount_suppressed(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Option<SuppressionReason>> {
        let n = self
            .overall(database(ctx)?)
            .await?
            .map_or_else(Aggregate::default, |g| g.headcount);
        Ok(reason(&self.policy.count(n)))
    }

    /// The distribution over a measure's background groups, for each group of staff formed
    /// by `by` (none: one group of everyone). Shares are over those who declared.
    /// `benchmark` names a reference population by area: `UK` or an area code.
    #[graphql(complexity = "cost::list(cost::groups(&by), child_complexity)")]
    async fn distribution(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default_with = "SebMeasure::ParentalOccupation",
            desc = "The SEB question whose background groups are counted."
        )]
        measure: SebMeasure,
        #[graphql(
            default,
            desc = "Up to three dimensions forming the groups, each at most once; none gives one group of everyone."
        )]
        by: Vec<WorkforceDimension>,
        #[graphql(
            desc = "A reference population to compare with, by area: `UK` or an area code (`referencePopulations` lists them)."
        )]
        benchmark: Option<String>,
    ) -> ApiResult<Vec<DistributionGroup>> {
        let db = database(ctx)?;
        let measure = Measure::from(measure);
        let benchmark = match benchmark {
            Some(area) => Some(benchmark_shares(db, &area, measure).await?),
            None => None,
        };
        let groups = cost::within(
            self.groups(db, measure, &by).await?,
            cost::groups(&by),
            "Workforce.distribution",
            "; group by fewer dimensions or narrow the filter",
        )?;
        let names = self.names(db, &groups).await?;
        Ok(groups
            .iter()
            .map(|g| {
                let table = self.policy.table(g.headcount, &g.categories);
                DistributionGroup {
                    key: present_key(&g.key, &names),
                    headcount: table.headcount.value,
                    headcount_suppressed: reason(&table.headcount),
                    respondents: table.respondents.value,
                    respondents_suppressed: reason(&table.respondents),
                    declaration_rate: table.declaration_rate,
                    categories: table
                        .cells
                        .iter()
                        .map(|cell| {
                            let reference = benchmark.as_ref().and_then(|shares| {
                                shares.iter().find(|s| s.category == cell.category).cloned()
                            });
                            CategoryCount {
                                category: cell.category.to_owned(),
                                count: cell.count.value,
                                share: cell.share,
                                benchmark_share: reference.as_ref().map(|r| r.share),
                                benchmark: reference,
                                suppressed: reason(&cell.count),
                            }
                        })
                        .collect(),
                }
            })
            .collect())
    }

    /// Who gets on: for each group formed by `by`, its lower-SEB share (parental
    /// occupation) minus that of all staff in the filter.
    #[graphql(complexity = "cost::list(cost::groups(&[by]), child_complexity)")]
    async fn who_gets_on(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default_with = "WorkforceDimension::GradeLevel",
            desc = "The dimension forming the groups compared with all staff."
        )]
        by: WorkforceDimension,
    ) -> ApiResult<Vec<RepresentationGap>> {
        let db = database(ctx)?;
        let overall = self
            .overall(db)
            .await?
            .map(|g| self.policy.table(g.headcount, &g.categories));
        let overall_share = match overall.as_ref().map(lower_share) {
            Some(Ok(share)) => Ok(share),
            Some(Err(s)) => Err(s),
            None => Ok(None),
        };
        let groups = cost::within(
            self.groups(db, Measure::ParentalOccupation, &[by]).await?,
            cost::groups(&[by]),
            "Workforce.whoGetsOn",
            "; narrow the filter",
        )?;
        let names = self.names(db, &groups).await?;
        Ok(groups
            .iter()
            .map(|g| {
                let table = self.policy.table(g.headcount, &g.categories);
                let key = present_key(&g.key, &names);
                match (lower_share(&table), overall_share) {
                    (Ok(share), Ok(overall)) => RepresentationGap {
                        key,
                        lower_share: share.map(round_fraction),
                        overall_lower_share: overall.map(round_fraction),
                        gap: share.zip(overall).map(|(s, o)| round_fraction(s - o)),
                        suppressed: None,
                    },
                    (Err(s), overall) => RepresentationGap {
                        key,
                        lower_share: None,
                        overall_lower_share: overall.ok().flatten().map(round_fraction),
                        gap: None,
                        suppressed: Some(s.into()),
                    },
                    (Ok(share), Err(s)) => RepresentationGap {
                        key,
                        lower_share: share.map(round_fraction),
                        overall_lower_share: None,
                        gap: None,
                        suppressed: Some(s.into()),
                    },
                }
            })
            .collect())
    }

    /// The progression ratio (parental occupation); null when the filter has no staff or
    /// no lower-SEB staff at all.
    async fn progression_ratio(&self, ctx: &Context<'_>) -> ApiResult<Option<Ratio>> {
        let db = database(ctx)?;
        let Some(overall) = self.overall(db).await? else {
            return Ok(None);
        };
        let overall = self.policy.table(overall.headcount, &overall.categories);
        let groups = self
            .groups(
                db,
                Measure::ParentalOccupation,
                &[WorkforceDimension::GradeLevel],
            )
            .await?;
        let Some(senior) = groups.iter().max_by_key(|g| g.key.grade_level) else {
            return Ok(None);
        };
        let senior_level = senior.key.grade_level.unwrap_or_default();
        let senior = self.policy.table(senior.headcount, &senior.categories);
        let ratio = match (lower_share(&senior), lower_share(&overall)) {
            (Ok(Some(s)), Ok(Some(o))) if o > 0.0 => Ratio {
                value: Some(round_fraction(s / o)),
                senior_grade_level: senior_level,
                senior_lower_share: Some(round_fraction(s)),
                overall_lower_share: Some(round_fraction(o)),
                suppressed: None,
            },
            (Ok(_), Ok(_)) => return Ok(None),
            (s, o) => Ratio {
                value: None,
                senior_grade_level: senior_level,
                senior_lower_share: s.ok().flatten().map(round_fraction),
                overall_lower_share: o.as_ref().ok().copied().flatten().map(round_fraction),
                suppressed: s.err().or(o.err()).map(Into::into),
            },
        };
        Ok(Some(ratio))
    }

    /// How it feels: the engagement gap between lower-SEB staff and other declared staff.
    /// Each mean is the sum of scores over the perturbed number of people with a score,
    /// rounded to a whole number, and withheld when that number is below the threshold.
    async fn engagement_gap(&self, ctx: &Context<'_>) -> ApiResult<Option<Gap>> {
        let db = database(ctx)?;
        let sums = workforce_store::engagement_sums(db, &self.scope).await?;
        let lower = self.policy.mean(sums.lower, sums.lower_sum, SCORE_RANGE);
        let other = self.policy.mean(sums.other, sums.other_sum, SCORE_RANGE);
        Ok(Some(Gap {
            value: lower
                .value
                .zip(other.value)
                .map(|(l, o)| round_score(l - o)),
            lower_mean: lower.value,
            other_mean: other.value,
            suppressed: lower.suppressed.or(other.suppressed).map(Into::into),
        }))
    }
}

/// Engagement scores run from 0 to 100.
const SCORE_RANGE: (f64, f64) = (0.0, 100.0);

/// The primary code of a reference population's area: `UK` or any area code.
async fn reference_area(db: &Pool, area: &str, argument: &str) -> ApiResult<String> {
    if area.eq_ignore_ascii_case("UK") {
        return Ok(UK.to_owned());
    }
    match areas::find(db, area).await? {
        Some(a) => Ok(a.code),
        None => Err(bad(format!("`{argument}`: unknown area code `{area}`"))),
    }
}

/// The GSS code of the United Kingdom.
const UK: &str = "K02000001";

/// The reference shares of `area` (`UK` or any area code) for `measure`.
async fn benchmark_shares(
    db: &Pool,
    area: &str,
    measure: Measure,
) -> ApiResult<Vec<ReferenceShare>> {
    let code = reference_area(db, area, "benchmark").await?;
    let shares: Vec<ReferenceShare> = reference::shares(db, Some(&code), Some(measure.column()))
        .await?
        .into_iter()
        .filter_map(ReferenceShare::from_stored)
        .collect();
    if shares.is_empty() {
        let available = reference::shares(db, None, Some(measure.column())).await?;
        let mut areas: Vec<String> = available.into_iter().map(|s| s.area_code).collect();
        areas.dedup();
        return Err(bad(format!(
            "`benchmark`: no reference population for {} in {code}; available: {}",
            measure.column(),
            if areas.is_empty() {
                "none".to_owned()
            } else {
                areas.join(", ")
            }
        )));
    }
    Ok(shares)
}

/// Workforce queries.
#[derive(Default)]
pub struct WorkforceQuery;

#[Object]
impl WorkforceQuery {
    /// Staff records selected by `filter` (default: the latest year of every employer with
    /// real data, or of the demo employers when none is loaded), and the figures about them.
    async fn workforce(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default,
            desc = "Which staff records to count; every field is optional."
        )]
        filter: WorkforceFilter,
    ) -> ApiResult<Workforce> {
        let db = database(ctx)?;
        let (scope, employers) = resolve_scope(db, filter).await?;
        Ok(Workforce {
            scope,
            employers,
            policy: policy(ctx)?,
            overall: OnceCell::new(),
        })
    }

    /// Every employer whose workforce is loaded, by code.
    #[graphql(complexity = "cost::list(cost::EMPLOYERS, child_complexity)")]
    async fn employers(&self, ctx: &Context<'_>) -> ApiResult<Vec<EmployerNode>> {
        let db = database(ctx)?;
        let employers = workforce_store::employers(db)
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
        cost::within(employers, cost::EMPLOYERS, "employers", "")
    }

    /// Reference populations (benchmarks), optionally of one measure or one area (`UK` or an
    /// area code).
    #[graphql(complexity = "cost::list(cost::REFERENCE_SHARES, child_complexity)")]
    async fn reference_populations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only figures for this SEB question.")] measure: Option<SebMeasure>,
        #[graphql(desc = "Only figures for this population's area: `UK` or an area code.")]
        area: Option<String>,
    ) -> ApiResult<Vec<ReferenceShare>> {
        let db = database(ctx)?;
        let area = match area {
            None => None,
            Some(a) => Some(reference_area(db, &a, "area").await?),
        };
        let measure = measure.map(|m| Measure::from(m).column());
        Ok(reference::shares(db, area.as_deref(), measure)
            .await?
            .into_iter()
            .filter_map(ReferenceShare::from_stored)
            .collect())
    }
}
