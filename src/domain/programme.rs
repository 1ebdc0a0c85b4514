//! Programme figures: units, actuals against targets, and the rule that percentages are never
//! summed.

/// Whether a metric counts things or gives a percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnitKind {
    /// People, events, placements, matches: summed across places and periods.
    Count,
    /// A percentage: never summed.
    Percentage,
}

/// The units a figure may have, with their kind.
pub const UNITS: [(&str, UnitKind); 5] = [
    ("people", UnitKind::Count),
    ("events", UnitKind::Count),
    ("placements", UnitKind::Count),
    ("matches", UnitKind::Count),
    ("percent", UnitKind::Percentage),
];

/// The kind of a unit, or `None` for an unknown unit.
pub fn unit_kind(unit: &str) -> Option<UnitKind> {
    UNITS.iter().find(|(u, _)| *u == unit).map(|(_, k)| *k)
}

/// An actual or a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FigureKind {
    /// What was delivered.
    Actual,
    /// What was planned.
    Target,
}

impl FigureKind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            FigureKind::Actual => "ACTUAL",
            FigureKind::Target => "TARGET",
        }
    }

    /// Parses `actual` or `target` in any case.
    pub fn parse(text: &str) -> Option<FigureKind> {
        match text.trim().to_ascii_uppercase().as_str() {
            "ACTUAL" => Some(FigureKind::Actual),
            "TARGET" => Some(FigureKind::Target),
            _ => None,
        }
    }
}

/// A value for a set of figures, or why there is none.
pub type Aggregate = Result<Option<f64>, String>;

/// Figures aggregated in the database for one period and kind: their sum and how many.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sums {
    /// Sum of the values.
    pub sum: f64,
    /// How many figures.
    pub figures: u64,
}

/// The value of several figures of one metric: counts add up; a percentage is given as is
/// when there is one figure, re-derived as 100 × numerator / denominator from the sums of
/// its numerator and denominator metrics when both exist, and otherwise not aggregated.
pub fn aggregate(
    kind: UnitKind,
    own: Option<Sums>,
    parts: Option<(Option<Sums>, Option<Sums>)>,
) -> Aggregate {
    let Some(own) = own else {
        return Ok(None);
    };
    match kind {
        UnitKind::Count => Ok(Some(own.sum)),
        UnitKind::Percentage if own.figures == 1 => Ok(Some(own.sum)),
        UnitKind::Percentage => match parts {
            Some((Some(n), Some(d))) if d.sum > 0.0 => Ok(Some(100.0 * n.sum / d.sum)),
            Some(_) => Err(format!(
                "{} percentages are not summed, and their numerator and denominator are not both recorded here",
                own.figures
            )),
            None => Err(format!(
                "{} percentages are not summed, and this metric names no numerator and denominator to re-derive it from",
                own.figures
            )),
        },
    }
}

/// One period of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The period.
    pub period: String,
    /// What was delivered.
    pub actual: Aggregate,
    /// What was planned.
    pub target: Aggregate,
    /// actual / target, when both are known and the target is not zero.
    pub attainment: Option<f64>,
    /// actual minus the actual of the previous period that has one.
    pub change: Option<f64>,
    /// The previous period `change` compares with.
    pub change_from: Option<String>,
}

/// Builds a series from per-period actuals and targets, in period order.
pub fn series(periods: Vec<(String, Aggregate, Aggregate)>) -> Vec<Point> {
    let mut previous: Option<(String, f64)> = None;
    periods
        .into_iter()
        .map(|(period, actual, target)| {
            let a = actual.as_ref().ok().copied().flatten();
            let t = target.as_ref().ok().copied().flatten();
            let attainment = a.zip(t).filter(|(_, t)| *t != 0.0).map(|(a, t)| a / t);
            let (change, change_from) = match (a, &previous) {
                (Some(a), Some((p, before))) => (Some(a - before), Some(p.clone())),
                _ => (None, None),
            };
            if let Some(a) = a {
                previous = Some((period.clone(), a));
            }
            Point {
                period,
                actual,
                target,
                attainment,
                change,
                change_from,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(sum: f64, figures: u64) -> Option<Sums> {
        Some(Sums { sum, figures })
    }

    #[test]
    fn counts_add_up_and_percentages_are_re_derived_or_refused() {
        assert_eq!(
            aggregate(UnitKind::Count, sums(30.0, 3), None),
            Ok(Some(30.0))
        );
        assert_eq!(aggregate(UnitKind::Count, None, None), Ok(None));
        assert_eq!(
            aggregate(UnitKind::Percentage, sums(40.0, 1), None),
            Ok(Some(40.0))
        );
        assert_eq!(
            aggregate(
                UnitKind::Percentage,
                sums(130.0, 2),
                Some((sums(10.0, 2), sums(40.0, 2)))
            ),
            Ok(Some(25.0))
        );
        assert!(aggregate(UnitKind::Percentage, sums(130.0, 2), None).is_err());
        assert!(
            aggregate(
                UnitKind::Percentage,
                sums(130.0, 2),
                Some((sums(10.0, 2), None))
            )
            .is_err()
        );
    }

    #[test]
    fn a_series_has_attainment_and_change_from_the_last_actual() {
        let points = series(vec![
            ("2017".into(), Ok(Some(204.0)), Ok(None)),
            ("2018".into(), Ok(Some(427.0)), Ok(Some(400.0))),
            ("2019".into(), Ok(None), Ok(Some(650.0))),
            ("2020".into(), Ok(Some(700.0)), Ok(Some(0.0))),
        ]);
        assert_eq!(points[0].change, None);
        assert_eq!(points[1].change, Some(223.0));
        assert_eq!(points[1].attainment, Some(427.0 / 400.0));
        assert_eq!(points[2].attainment, None);
        assert_eq!(points[3].change, Some(273.0));
        assert_eq!(points[3].change_from.as_deref(), Some("2018"));
        assert_eq!(
            points[3].attainment, None,
            "a zero target gives no attainment"
        );
    }
}
