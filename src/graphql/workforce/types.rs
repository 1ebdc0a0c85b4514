//! The workforce part of the schema's types: the questions' enums, the filter, and the
//! figures as published.

use std::sync::Arc;

use async_graphql::{ComplexObject, Enum, InputObject, Object, SimpleObject};

use crate::domain::disclosure::Suppression;
use crate::domain::seb::Measure;
use crate::domain::workforce::GroupKey as DomainKey;
use crate::graphql::cost;
use crate::service::workforce::{Filter, KeyNames, OtherEmployers};
use crate::store::reference::ReferenceShare as StoredShare;

/// One of the five socio-economic background questions.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::seb::Measure")]
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

/// What staff can be grouped by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[graphql(remote = "crate::domain::workforce::Dimension")]
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
    /// Employer codes (case is ignored when a code names one employer). Default: every
    /// employer with real data, or the synthetic demo employers when no real data is loaded.
    /// Real and synthetic employers cannot be mixed.
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
    /// True for a published reference population; false for the staff of the other loaded
    /// employers working in an area, which this API computes (see `population` and `caveat`).
    pub published: bool,
    #[graphql(skip)]
    measure: Measure,
    #[graphql(skip)]
    caveat: Option<String>,
}

#[ComplexObject]
impl ReferenceShare {
    /// The SEB measure.
    async fn measure(&self) -> SebMeasure {
        self.measure.into()
    }

    /// What to tell readers about the figure: when it is not confirmed, or not published.
    async fn caveat(&self) -> Option<&str> {
        self.caveat.as_deref()
    }
}

impl ReferenceShare {
    /// A stored reference share as published; `None` for a measure this server does not know.
    pub fn from_stored(s: StoredShare) -> Option<ReferenceShare> {
        Some(ReferenceShare {
            measure: s.measure.parse().ok()?,
            population: s.population,
            area_code: s.area_code,
            category: s.category,
            share: s.share,
            period: s.period,
            source: s.source,
            caveat: (!s.confirmed).then(|| {
                "Widely quoted figure, not confirmed against the original published table."
                    .to_owned()
            }),
            confirmed: s.confirmed,
            published: true,
        })
    }

    /// The shares of the other employers' staff in an area, one per background group whose
    /// share is published (a withheld count has none).
    pub fn from_other_employers(o: &OtherEmployers, measure: Measure) -> Vec<ReferenceShare> {
        let Some(table) = &o.table else {
            return Vec::new();
        };
        let years: Vec<String> = o.years.iter().map(i32::to_string).collect();
        table
            .cells
            .iter()
            .filter_map(|cell| {
                Some(ReferenceShare {
                    population: format!(
                        "Staff of the other employers loaded ({}) working in {} ({})",
                        o.employers.join(", "),
                        o.area_name,
                        o.area
                    ),
                    area_code: o.area.clone(),
                    category: cell.category.to_owned(),
                    share: cell.share?,
                    period: years.join(", "),
                    source: "This API, from those employers' imported staff records".to_owned(),
                    confirmed: true,
                    published: false,
                    measure,
                    caveat: Some(
                        "Not a published statistic: the other loaded employers' staff working \
                         in the area in the same years (every business unit and grade), under \
                         the same noise and thresholds as every workforce count; a withheld \
                         count has no share."
                            .to_owned(),
                    ),
                })
            })
            .collect()
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

/// A group's key as stored (ids and codes) with the names to show for them.
#[derive(Clone)]
pub struct GroupKey {
    key: DomainKey,
    names: Arc<KeyNames>,
}

impl GroupKey {
    /// The key of a group, named from `names`.
    pub fn new(key: DomainKey, names: Arc<KeyNames>) -> GroupKey {
        GroupKey { key, names }
    }

    fn employer_entry(&self) -> Option<&(String, String)> {
        self.key
            .employer
            .and_then(|id| self.names.employers.get(&id))
    }

    fn area_name(&self, code: &Option<String>) -> Option<&str> {
        code.as_ref()
            .and_then(|c| self.names.areas.get(c))
            .map(String::as_str)
    }
}

/// The values a group was formed by; fields of dimensions not asked for are null.
#[Object]
impl GroupKey {
    /// Employer code.
    async fn employer(&self) -> Option<&str> {
        self.employer_entry().map(|(code, _)| code.as_str())
    }
    /// Employer name.
    async fn employer_name(&self) -> Option<&str> {
        self.employer_entry().map(|(_, name)| name.as_str())
    }
    /// Snapshot year.
    async fn year(&self) -> Option<i32> {
        self.key.year
    }
    /// Business unit name.
    async fn business_unit(&self) -> Option<&str> {
        let id = self.key.business_unit?;
        self.names.units.get(&id).map(String::as_str)
    }
    /// Grade level (1 = most junior).
    async fn grade_level(&self) -> Option<i32> {
        self.key.grade_level
    }
    /// Region code (GSS: an English region, or Wales, Scotland or Northern Ireland).
    async fn region(&self) -> Option<&str> {
        self.key.region.as_deref()
    }
    /// Region name.
    async fn region_name(&self) -> Option<&str> {
        self.area_name(&self.key.region)
    }
    /// Local authority code (GSS: 2020 boundaries, or a unitary authority created since).
    async fn local_authority(&self) -> Option<&str> {
        self.key.local_authority.as_deref()
    }
    /// Local authority name.
    async fn local_authority_name(&self) -> Option<&str> {
        self.area_name(&self.key.local_authority)
    }
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

impl From<WorkforceFilter> for Filter {
    fn from(f: WorkforceFilter) -> Self {
        Filter {
            employers: f.employers,
            years: f.years,
            business_units: f.business_units,
            grade_levels: f.grade_levels,
            areas: f.areas,
            joiners_only: f.joiners_only,
        }
    }
}
