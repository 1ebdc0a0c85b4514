//! Programme outcomes as use cases: a metric's figures per period, summed the way its unit
//! allows, and where a count's activity happened against the cold spots.

use std::collections::BTreeMap;

use super::index::IndexResult;
use super::{ServiceError, ServiceResult};
use crate::domain::disclosure::round_fraction;
use crate::domain::geography::AreaLevel;
use crate::domain::programme::{self, Aggregate, FigureKind, Sums, UnitKind, unit_kind};
use crate::store::Pool;
use crate::store::areas::AreaFilter;
use crate::store::programmes::{self as store, Metric, Programme};

/// Programmes, optionally of one stage or owner (its code or name), by code.
pub async fn list(
    db: &Pool,
    stage: Option<&str>,
    owner: Option<&str>,
) -> ServiceResult<Vec<Programme>> {
    Ok(store::list(db, stage, owner).await?)
}

/// The programme with `code`, if any.
pub async fn by_code(db: &Pool, code: &str) -> ServiceResult<Option<Programme>> {
    Ok(store::by_code(db, code).await?)
}

/// Whether a metric counts or gives a percentage (a unit this server does not know counts).
pub fn kind_of(metric: &Metric) -> UnitKind {
    unit_kind(&metric.unit).unwrap_or(UnitKind::Count)
}

/// The metric `code` of `programme` among its `metrics`, or NOT_FOUND naming the ones it has.
pub fn metric_named(
    programme: &Programme,
    metrics: &[Metric],
    code: &str,
) -> ServiceResult<Metric> {
    metrics
        .iter()
        .find(|m| m.code == code)
        .cloned()
        .ok_or_else(|| {
            ServiceError::NotFound(format!(
                "programme {} has no metric `{code}`; it has: {}",
                programme.code,
                metrics
                    .iter()
                    .map(|m| m.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

/// One period of a metric: actual and target (or why they cannot be aggregated), and how many
/// area figures the actual sums.
pub struct PeriodFigures {
    /// The period.
    pub period: String,
    /// The actual figure.
    pub actual: Aggregate,
    /// The target.
    pub target: Aggregate,
    /// How many figures make up the actual.
    pub figures: u64,
    /// The caveats of the period's figures (the metric's, and for a percentage its
    /// numerator's and denominator's), in order.
    pub caveats: Vec<String>,
}

/// Sums per period and kind, choosing programme-wide figures where they exist (`prefer_wide`)
/// and the sum of area figures otherwise.
fn pick(
    rows: &[(String, FigureKind, bool, Sums)],
    prefer_wide: bool,
) -> BTreeMap<(String, FigureKind), Sums> {
    let mut chosen = BTreeMap::new();
    for (period, kind, wide, sums) in rows {
        if !prefer_wide && *wide {
            continue;
        }
        let key = (period.clone(), *kind);
        if *wide || !chosen.contains_key(&key) {
            chosen.insert(key, *sums);
        }
    }
    chosen
}

/// Aggregated actuals and targets per period of a metric: its own sums, and for a percentage
/// those of its numerator and denominator.
pub async fn aggregated(
    db: &Pool,
    metric: &Metric,
    metrics: &[Metric],
    area: Option<&str>,
    range: (Option<&str>, Option<&str>),
    prefer_wide: bool,
) -> ServiceResult<Vec<PeriodFigures>> {
    let sums_of = |m: &Metric| {
        let id = m.id;
        async move {
            store::sums(db, id, area, range.0, range.1)
                .await
                .map(|rows| pick(&rows, prefer_wide))
        }
    };
    let own = sums_of(metric).await?;
    let part = |code: &Option<String>| {
        code.as_ref()
            .and_then(|c| metrics.iter().find(|m| &m.code == c))
    };
    let parts = match (part(&metric.numerator), part(&metric.denominator)) {
        (Some(n), Some(d)) => Some((sums_of(n).await?, sums_of(d).await?)),
        _ => None,
    };
    let mut periods: Vec<String> = own.keys().map(|(p, _)| p.clone()).collect();
    periods.dedup();
    let mut with_caveats = vec![metric.id];
    if parts.is_some() {
        with_caveats.extend(
            [&metric.numerator, &metric.denominator]
                .into_iter()
                .filter_map(|code| part(code).map(|m| m.id)),
        );
    }
    let caveats = store::caveats(db, &with_caveats, area, range.0, range.1).await?;
    let caveats_of = |period: &str| -> Vec<String> {
        let mut found: Vec<String> = caveats
            .iter()
            .filter(|(p, _)| p == period)
            .map(|(_, c)| c.clone())
            .collect();
        found.sort();
        found.dedup();
        found
    };
    Ok(periods
        .into_iter()
        .map(|period| {
            let value = |kind: FigureKind| {
                let key = (period.clone(), kind);
                programme::aggregate(
                    kind_of(metric),
                    own.get(&key).copied(),
                    parts
                        .as_ref()
                        .map(|(n, d)| (n.get(&key).copied(), d.get(&key).copied())),
                )
            };
            let figures = own
                .get(&(period.clone(), FigureKind::Actual))
                .map_or(0, |s| s.figures);
            PeriodFigures {
                actual: value(FigureKind::Actual),
                target: value(FigureKind::Target),
                figures,
                caveats: caveats_of(&period),
                period,
            }
        })
        .collect())
}

/// The programmes whose activity `programmeReach` sums: `programme` or every one with the
/// metric, refused when the metric is a percentage or mixes synthetic and published figures.
pub async fn reach_programmes(
    db: &Pool,
    programme: Option<&str>,
    metric: &str,
) -> ServiceResult<Vec<Programme>> {
    let candidates = match programme {
        Some(code) => vec![store::by_code(db, code).await?.ok_or_else(|| {
            ServiceError::NotFound(format!("no programme has the code `{code}`"))
        })?],
        None => store::list(db, None, None).await?,
    };
    let ids: Vec<i32> = candidates.iter().map(|p| p.id).collect();
    let metrics = store::metrics(db, &ids).await?;
    let with_metric: Vec<&Programme> = candidates
        .iter()
        .filter(|p| {
            metrics
                .iter()
                .any(|m| m.programme_id == p.id && m.code == metric)
        })
        .collect();
    if with_metric.is_empty() {
        return Err(ServiceError::NotFound(format!(
            "no {} has a metric `{metric}`",
            programme.map_or("programme".to_owned(), |p| format!("programme {p}"))
        )));
    }
    if metrics
        .iter()
        .filter(|m| m.code == metric)
        .all(|m| kind_of(m) == UnitKind::Percentage)
    {
        return Err(ServiceError::Invalid(format!(
            "`{metric}` is a percentage: percentages are never summed over areas"
        )));
    }
    if with_metric.iter().any(|p| p.synthetic) && with_metric.iter().any(|p| !p.synthetic) {
        return Err(ServiceError::Invalid(format!(
            "`{metric}` is a metric of synthetic demo programmes and of published ones; name a `programme`, the two are never summed together"
        )));
    }
    Ok(with_metric.into_iter().cloned().collect())
}

/// The latest period with local-authority indicator values (empty when there is none).
pub async fn latest_authority_period(db: &Pool) -> ServiceResult<String> {
    let authorities = AreaFilter {
        level: Some(AreaLevel::LocalAuthority),
        within: None,
        name_contains: None,
    };
    Ok(crate::store::indicators::latest_period(db, &authorities)
        .await?
        .unwrap_or_default())
}

/// A count metric's activity within one area.
pub struct Reach {
    /// The area's code.
    pub area_code: String,
    /// All activity within it.
    pub value: f64,
    /// The part recorded against its local authorities.
    pub in_authorities: f64,
    /// The part recorded in cold-spot authorities.
    pub cold_spots: f64,
    /// `cold_spots` over `in_authorities` (3 decimals); `None` when nothing was recorded
    /// against authorities.
    pub cold_spot_share: Option<f64>,
}

/// Where `programmes`' `metric` happened, per area of `level`, against the cold spots of the
/// local-authority `index`.
pub async fn reach(
    db: &Pool,
    metric: &str,
    programmes: &[i32],
    period: Option<&str>,
    level: AreaLevel,
    index: &IndexResult,
) -> ServiceResult<Vec<Reach>> {
    let cold = index.cold_spots();
    let rows = store::reach(db, metric, programmes, period, level, &cold).await?;
    Ok(rows
        .into_iter()
        .map(|(area_code, value, in_authorities, cold_spots)| Reach {
            area_code,
            value,
            in_authorities,
            cold_spots,
            cold_spot_share: (in_authorities > 0.0)
                .then(|| round_fraction(cold_spots / in_authorities)),
        })
        .collect())
}
