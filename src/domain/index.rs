//! The cold-spot index: how per-area domain scores become an overall score, a rank, and a
//! classification, by the two methods in the domain notes.
//!
//! Standardisation and domain means are computed by the database (see `store::indicators`);
//! what arrives here is one row per area with its domain scores, a few hundred at most.

/// How areas are grouped once scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Rank, then quintiles: the top quintile are hot spots, the bottom quintile cold spots
    /// (the 2016-2017 Social Mobility Index).
    Quintiles,
    /// Seven bands of the score at ±0.5, ±1.0 and ±1.5; the two unfavourable bands are cold
    /// spots and the two favourable ones hot spots (State of the Nation 2024-2025).
    ZBands,
}

/// Hot spot, cold spot, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Classification {
    /// Among the best areas.
    HotSpot,
    /// Among the worst areas.
    ColdSpot,
    /// Neither.
    Neither,
}

/// The Commission's seven z-score bands, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Band {
    /// z ≤ -1.5.
    MostUnfavourable,
    /// -1.5 < z ≤ -1.0.
    Unfavourable,
    /// -1.0 < z ≤ -0.5.
    LowerMiddling,
    /// -0.5 < z < 0.5.
    Middling,
    /// 0.5 ≤ z < 1.0.
    UpperMiddling,
    /// 1.0 ≤ z < 1.5.
    Favourable,
    /// z ≥ 1.5.
    MostFavourable,
}

/// The band cut-offs, symmetric around 0.
pub const BAND_CUT_OFFS: [f64; 3] = [0.5, 1.0, 1.5];

impl Band {
    /// Every band, worst first (the Commission's group ids 1 to 7).
    pub const ALL: [Band; 7] = [
        Band::MostUnfavourable,
        Band::Unfavourable,
        Band::LowerMiddling,
        Band::Middling,
        Band::UpperMiddling,
        Band::Favourable,
        Band::MostFavourable,
    ];

    /// The band of a z-score. A value exactly on a cut-off belongs to the outer band (the
    /// published z-scores are rounded to three decimals: -0.500 is lower middling).
    pub fn of(z: f64) -> Band {
        let [a, b, c] = BAND_CUT_OFFS;
        if z <= -c {
            Band::MostUnfavourable
        } else if z <= -b {
            Band::Unfavourable
        } else if z <= -a {
            Band::LowerMiddling
        } else if z < a {
            Band::Middling
        } else if z < b {
            Band::UpperMiddling
        } else if z < c {
            Band::Favourable
        } else {
            Band::MostFavourable
        }
    }

    /// The Commission's name for the band, for example `most unfavourable`.
    pub fn published_name(self) -> &'static str {
        match self {
            Band::MostUnfavourable => "most unfavourable",
            Band::Unfavourable => "unfavourable",
            Band::LowerMiddling => "lower middling",
            Band::Middling => "middling",
            Band::UpperMiddling => "upper middling",
            Band::Favourable => "favourable",
            Band::MostFavourable => "most favourable",
        }
    }

    /// The band a published name (any case) stands for.
    pub fn from_published_name(name: &str) -> Option<Band> {
        let name = name.trim().to_ascii_lowercase();
        Band::ALL.into_iter().find(|b| b.published_name() == name)
    }

    /// Hot or cold spot by band.
    pub fn classification(self) -> Classification {
        match self {
            Band::MostUnfavourable | Band::Unfavourable => Classification::ColdSpot,
            Band::Favourable | Band::MostFavourable => Classification::HotSpot,
            _ => Classification::Neither,
        }
    }
}

/// One area's domain scores (mean standardised value of its indicators in each domain).
#[derive(Debug, Clone, PartialEq)]
pub struct AreaScores {
    /// The area's code.
    pub area: String,
    /// Domain and score, in domain order.
    pub domains: Vec<(String, f64)>,
    /// How many indicator values the scores were computed from.
    pub indicators_used: u32,
}

/// One area's place in the index.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// The area's code.
    pub area: String,
    /// Overall score: the mean of its domain scores (higher is better).
    pub score: f64,
    /// 1 = best; areas with equal scores share a rank.
    pub rank: u32,
    /// 1 = top fifth of ranks (QUINTILES only).
    pub quintile: Option<u8>,
    /// The z-score band of the score (Z_BANDS only).
    pub band: Option<Band>,
    /// Hot spot, cold spot or neither.
    pub classification: Classification,
    /// Domain and score.
    pub domains: Vec<(String, f64)>,
    /// How many indicator values the score was computed from.
    pub indicators_used: u32,
}

/// The last rank of each of the first four quintiles among `n` ranked areas: the rank nearest
/// to each fifth, so the top and bottom quintiles hold the same number of areas (with 324
/// areas, 65 each, as the 2016 index named).
pub fn quintile_cut_offs(n: usize) -> [u32; 4] {
    let cut = |k: usize| ((k * n) as f64 / 5.0).round() as u32;
    [cut(1), cut(2), cut(3), cut(4)]
}

/// The quintile of a rank, given the cut-offs.
fn quintile(rank: u32, cut_offs: &[u32; 4]) -> u8 {
    1 + cut_offs.iter().filter(|c| rank > **c).count() as u8
}

/// Scores, ranks and classifies areas. Areas with no domain score are left out.
pub fn rank(areas: Vec<AreaScores>, method: Method) -> (Vec<Ranked>, [u32; 4]) {
    let mut scored: Vec<(AreaScores, f64)> = areas
        .into_iter()
        .filter(|a| !a.domains.is_empty())
        .map(|a| {
            let score = a.domains.iter().map(|(_, s)| s).sum::<f64>() / a.domains.len() as f64;
            (a, score)
        })
        .collect();
    scored.sort_by(|(a, x), (b, y)| y.total_cmp(x).then_with(|| a.area.cmp(&b.area)));
    let cut_offs = quintile_cut_offs(scored.len());
    let mut ranked = Vec::with_capacity(scored.len());
    let mut previous: Option<(f64, u32)> = None;
    for (position, (area, score)) in scored.into_iter().enumerate() {
        let rank = match previous {
            Some((s, r)) if s == score => r,
            _ => position as u32 + 1,
        };
        previous = Some((score, rank));
        let (quintile, band, classification) = match method {
            Method::Quintiles => {
                let q = quintile(rank, &cut_offs);
                let classification = match q {
                    1 => Classification::HotSpot,
                    5 => Classification::ColdSpot,
                    _ => Classification::Neither,
                };
                (Some(q), None, classification)
            }
            Method::ZBands => {
                let band = Band::of(score);
                (None, Some(band), band.classification())
            }
        };
        ranked.push(Ranked {
            area: area.area,
            score,
            rank,
            quintile,
            band,
            classification,
            domains: area.domains,
            indicators_used: area.indicators_used,
        });
    }
    (ranked, cut_offs)
}

/// A breakdown of an indicator value in canonical form (`type=value` pairs sorted by type,
/// joined by `;`; empty for the total), or why the text is not one.
pub fn canonical_breakdown(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(String::new());
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    for part in text.split(';') {
        let Some((kind, value)) = part.split_once('=') else {
            return Err(format!("`{part}` is not type=value"));
        };
        let (kind, value) = (kind.trim(), value.trim());
        if kind.is_empty() || value.is_empty() {
            return Err(format!("`{part}` is not type=value"));
        }
        if pairs.iter().any(|(k, _)| k == kind) {
            return Err(format!("type `{kind}` appears twice"));
        }
        pairs.push((kind.to_owned(), value.to_owned()));
    }
    pairs.sort();
    Ok(pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(";"))
}

/// The types of some canonical breakdowns (as [`canonical_breakdown`] writes them), each with
/// the values it takes, in order.
pub fn breakdown_types(breakdowns: &[String]) -> Vec<(String, Vec<String>)> {
    let mut types: std::collections::BTreeMap<&str, std::collections::BTreeSet<&str>> =
        std::collections::BTreeMap::new();
    for part in breakdowns.iter().flat_map(|b| b.split(';')) {
        if let Some((kind, value)) = part.split_once('=') {
            types.entry(kind).or_default().insert(value);
        }
    }
    types
        .into_iter()
        .map(|(kind, values)| {
            let values = values.into_iter().map(str::to_owned).collect();
            (kind.to_owned(), values)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakdown_types_gather_each_types_values() {
        let breakdowns =
            ["quintile=2;seb=b", "quintile=1;seb=a", "seb=a", "region=x"].map(str::to_owned);
        assert_eq!(
            breakdown_types(&breakdowns),
            [
                ("quintile".to_owned(), vec!["1".to_owned(), "2".to_owned()]),
                ("region".to_owned(), vec!["x".to_owned()]),
                ("seb".to_owned(), vec!["a".to_owned(), "b".to_owned()]),
            ]
        );
    }

    fn area(code: &str, domains: &[f64]) -> AreaScores {
        AreaScores {
            area: code.to_owned(),
            domains: domains
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("d{i}"), *s))
                .collect(),
            indicators_used: domains.len() as u32,
        }
    }

    #[test]
    fn bands_put_cut_offs_in_the_outer_band() {
        assert_eq!(Band::of(-1.5), Band::MostUnfavourable);
        assert_eq!(Band::of(-1.499), Band::Unfavourable);
        assert_eq!(Band::of(-1.0), Band::Unfavourable);
        assert_eq!(Band::of(-0.5), Band::LowerMiddling);
        assert_eq!(Band::of(-0.499), Band::Middling);
        assert_eq!(Band::of(0.0), Band::Middling);
        assert_eq!(Band::of(0.499), Band::Middling);
        assert_eq!(Band::of(0.5), Band::UpperMiddling);
        assert_eq!(Band::of(1.0), Band::Favourable);
        assert_eq!(Band::of(1.5), Band::MostFavourable);
        assert_eq!(Band::of(-3.2).classification(), Classification::ColdSpot);
        assert_eq!(Band::of(-1.2).classification(), Classification::ColdSpot);
        assert_eq!(Band::of(-0.7).classification(), Classification::Neither);
        assert_eq!(Band::of(1.2).classification(), Classification::HotSpot);
        assert_eq!(
            Band::from_published_name("Lower Middling"),
            Some(Band::LowerMiddling)
        );
        assert_eq!(Band::from_published_name("lukewarm"), None);
    }

    #[test]
    fn quintile_cut_offs_give_equal_tails() {
        assert_eq!(quintile_cut_offs(324), [65, 130, 194, 259]);
        assert_eq!(quintile_cut_offs(10), [2, 4, 6, 8]);
        assert_eq!(quintile_cut_offs(41), [8, 16, 25, 33]);
    }

    #[test]
    fn scores_are_domain_means_ranked_best_first_with_shared_ranks() {
        let areas = vec![
            area("A", &[1.0, 0.0]),   // 0.5
            area("B", &[-1.0]),       // -1.0
            area("C", &[0.25, 0.75]), // 0.5, tied with A
            area("D", &[2.0, 1.0]),   // 1.5
            area("E", &[]),           // no score: left out
            area("F", &[-2.0, -1.0]), // -1.5
        ];
        let (ranked, cut_offs) = rank(areas, Method::Quintiles);
        assert_eq!(cut_offs, [1, 2, 3, 4]);
        let order: Vec<(&str, u32)> = ranked.iter().map(|r| (r.area.as_str(), r.rank)).collect();
        assert_eq!(order, [("D", 1), ("A", 2), ("C", 2), ("B", 4), ("F", 5)]);
        let quintiles: Vec<Option<u8>> = ranked.iter().map(|r| r.quintile).collect();
        assert_eq!(quintiles, [Some(1), Some(2), Some(2), Some(4), Some(5)]);
        assert_eq!(ranked[0].classification, Classification::HotSpot);
        assert_eq!(ranked[4].classification, Classification::ColdSpot);
        assert_eq!(ranked[1].score, 0.5);

        let (ranked, _) = rank(
            vec![area("A", &[1.0, 0.0]), area("F", &[-2.0, -1.0])],
            Method::ZBands,
        );
        assert_eq!(ranked[0].band, Some(Band::UpperMiddling));
        assert_eq!(ranked[1].band, Some(Band::MostUnfavourable));
        assert_eq!(ranked[1].classification, Classification::ColdSpot);
        assert_eq!(ranked[0].quintile, None);
    }

    #[test]
    fn breakdowns_are_sorted_by_type_and_checked() {
        assert_eq!(canonical_breakdown("").as_deref(), Ok(""));
        assert_eq!(
            canonical_breakdown(" sex=Female ; seb=Working class").as_deref(),
            Ok("seb=Working class;sex=Female")
        );
        assert!(canonical_breakdown("seb").is_err());
        assert!(canonical_breakdown("seb=a;seb=b").is_err());
        assert!(canonical_breakdown("=a").is_err());
    }
}
