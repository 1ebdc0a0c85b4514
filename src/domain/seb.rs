//! Socio-economic background (SEB) measures: the answer codes staff give, and the background
//! groups each code counts towards (as in the Civil Service's five questions).

/// One of the five SEB questions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Measure {
    /// Occupation of the main household earner at about age 14 (the headline measure).
    ParentalOccupation,
    /// Type of school attended, mostly between 11 and 16.
    SchoolType,
    /// Eligibility for free school meals.
    FreeSchoolMeals,
    /// Parents' higher education by the time the person was 18.
    ParentalDegree,
    /// Self-assessed lower socio-economic background.
    SelfAssessed,
}

/// An answer code and the background group it counts towards (`None`: unknown, which counts
/// towards the headcount but never towards the shares).
type CodeGroup = (&'static str, Option<&'static str>);

const PARENTAL_OCCUPATION: &[CodeGroup] = &[
    ("professional", Some(PROFESSIONAL)),
    ("senior_manager", Some(PROFESSIONAL)),
    ("intermediate", Some(INTERMEDIATE)),
    ("small_business", Some(INTERMEDIATE)),
    ("technical_craft", Some(LOWER)),
    ("routine", Some(LOWER)),
    ("long_term_unemployed", Some(LOWER)),
    ("other", None),
    ("prefer_not_to_say", None),
];

const SCHOOL_TYPE: &[CodeGroup] = &[
    ("state_non_selective", Some("STATE")),
    ("state_selective", Some("STATE")),
    ("independent", Some("INDEPENDENT")),
    // A means-tested bursary of 90% or more counts as state schooling.
    ("independent_bursary", Some("STATE")),
    ("overseas", Some("OVERSEAS")),
    ("dont_know", None),
    ("prefer_not_to_say", None),
];

const FREE_SCHOOL_MEALS: &[CodeGroup] = &[
    ("yes", Some("YES")),
    ("no", Some("NO")),
    ("not_applicable", None),
    ("dont_know", None),
    ("prefer_not_to_say", None),
];

const YES_NO: &[CodeGroup] = &[
    ("yes", Some("YES")),
    ("no", Some("NO")),
    ("dont_know", None),
    ("prefer_not_to_say", None),
];

/// The professional background group of parental occupation.
pub const PROFESSIONAL: &str = "PROFESSIONAL";
/// The intermediate background group of parental occupation.
pub const INTERMEDIATE: &str = "INTERMEDIATE";
/// The lower socio-economic background group ("lower SEB") of parental occupation.
pub const LOWER: &str = "LOWER";

impl Measure {
    /// Every measure, headline first.
    pub const ALL: [Measure; 5] = [
        Measure::ParentalOccupation,
        Measure::SchoolType,
        Measure::FreeSchoolMeals,
        Measure::ParentalDegree,
        Measure::SelfAssessed,
    ];

    /// The CSV column (and stored column) holding the answers.
    pub fn column(self) -> &'static str {
        match self {
            Measure::ParentalOccupation => "parental_occupation",
            Measure::SchoolType => "school_type",
            Measure::FreeSchoolMeals => "free_school_meals",
            Measure::ParentalDegree => "parental_degree",
            Measure::SelfAssessed => "self_assessed",
        }
    }

    /// Every answer code with its group.
    pub fn codes(self) -> &'static [(&'static str, Option<&'static str>)] {
        match self {
            Measure::ParentalOccupation => PARENTAL_OCCUPATION,
            Measure::SchoolType => SCHOOL_TYPE,
            Measure::FreeSchoolMeals => FREE_SCHOOL_MEALS,
            Measure::ParentalDegree | Measure::SelfAssessed => YES_NO,
        }
    }

    /// The background groups shares are reported for, in display order.
    pub fn groups(self) -> &'static [&'static str] {
        match self {
            Measure::ParentalOccupation => &[PROFESSIONAL, INTERMEDIATE, LOWER],
            Measure::SchoolType => &["STATE", "INDEPENDENT", "OVERSEAS"],
            Measure::FreeSchoolMeals | Measure::ParentalDegree | Measure::SelfAssessed => {
                &["YES", "NO"]
            }
        }
    }

    /// The answer codes counting towards `group`.
    pub fn codes_of(self, group: &str) -> Vec<&'static str> {
        self.codes()
            .iter()
            .filter(|(_, g)| *g == Some(group))
            .map(|(code, _)| *code)
            .collect()
    }

    /// Reads one answer: `Ok(None)` when empty (not answered), the canonical code otherwise,
    /// or an error listing the codes allowed.
    pub fn parse_answer(self, text: &str) -> Result<Option<&'static str>, String> {
        if text.is_empty() {
            return Ok(None);
        }
        self.codes()
            .iter()
            .find(|(code, _)| *code == text)
            .map(|(code, _)| Some(*code))
            .ok_or_else(|| {
                let allowed: Vec<&str> = self.codes().iter().map(|(c, _)| *c).collect();
                format!(
                    "not a {} code; expected one of {} or empty",
                    self.column(),
                    allowed.join(", ")
                )
            })
    }

    /// Whether an answer (a stored code or `None` for no answer) has a known group.
    pub fn is_declared(self, answer: Option<&str>) -> bool {
        answer.is_some_and(|a| self.codes().iter().any(|(c, g)| *c == a && g.is_some()))
    }
}

/// A measure name that is not one of the five.
#[derive(Debug, thiserror::Error)]
#[error("unknown SEB measure `{0}`")]
pub struct UnknownMeasure(pub String);

crate::domain::named_values!(Measure, column, UnknownMeasure);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parental_occupation_codes_fall_in_the_published_groups() {
        let m = Measure::ParentalOccupation;
        assert_eq!(m.codes_of(PROFESSIONAL), ["professional", "senior_manager"]);
        assert_eq!(m.codes_of(INTERMEDIATE), ["intermediate", "small_business"]);
        assert_eq!(
            m.codes_of(LOWER),
            ["technical_craft", "routine", "long_term_unemployed"]
        );
        assert!(!m.is_declared(Some("other")));
        assert!(!m.is_declared(None));
        assert!(m.is_declared(Some("routine")));
    }

    #[test]
    fn a_bursary_counts_as_state_schooling() {
        assert_eq!(
            Measure::SchoolType.codes_of("STATE"),
            [
                "state_non_selective",
                "state_selective",
                "independent_bursary"
            ]
        );
    }

    #[test]
    fn free_school_meals_shares_are_over_yes_and_no_only() {
        let m = Measure::FreeSchoolMeals;
        assert!(!m.is_declared(Some("not_applicable")));
        assert_eq!(m.groups(), ["YES", "NO"]);
    }

    #[test]
    fn answers_parse_exactly_and_empty_means_not_answered() {
        let m = Measure::ParentalOccupation;
        assert_eq!(m.parse_answer(""), Ok(None));
        assert_eq!(m.parse_answer("routine"), Ok(Some("routine")));
        let err = m.parse_answer("Routine").expect_err("codes are exact");
        assert!(err.contains("technical_craft"), "{err}");
        assert!(
            Measure::SelfAssessed
                .parse_answer("not_applicable")
                .is_err()
        );
    }

    #[test]
    fn measures_round_trip_through_their_column_names() {
        for m in Measure::ALL {
            assert_eq!(m.column().parse::<Measure>().expect("known"), m);
        }
    }
}
