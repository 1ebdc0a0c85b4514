//! The reference data bundled with the binary (see `data/reference/SOURCES.md`): parsed,
//! checked and written in one transaction by `load-reference`, and by `serve` on a store that
//! lacks it or holds it as another binary read it (the store keeps a fingerprint).

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, TransactionTrait};

use super::pipeline::{self, Format, ImportError, Input, Problem, Record, bundled};
use super::{indicators, programmes, smc};
use crate::domain::geography::{AreaLevel, DistrictRow, Geography, Itl1Row, NamedArea};
use crate::domain::seb::Measure;
use crate::store;
use crate::store::reference::ReferenceShare;

const DISTRICTS: (&str, &str) = bundled!("geography/lad20_itl_uk.csv");
const REGIONS: (&str, &str) = bundled!("geography/regions_dec2023_en.csv");
const ITL1: (&str, &str) = bundled!("geography/countries_itl1.csv");
const COUNTRIES: (&str, &str) = bundled!("geography/countries.csv");
const COMPARATORS: (&str, &str) = bundled!("geography/comparators.csv");
const PROGRAMMES: (&str, &str) = bundled!("programmes/programmes.csv");
const PROGRAMME_FIGURES: (&str, &str) = bundled!("programmes/programme_figures.csv");
const BENCHMARKS: (&str, &str) = bundled!("benchmarks/benchmarks_uk.csv");

/// What a reference load wrote.
#[derive(Debug, Default)]
pub struct Summary {
    /// Areas written, per level.
    pub areas: BTreeMap<AreaLevel, usize>,
    /// Alternative codes written.
    pub alt_codes: usize,
    /// Reference population shares (benchmarks) written.
    pub reference_shares: usize,
    /// Published indicator values (the Commission's indices) written.
    pub indicator_values: usize,
    /// Published values not loaded, each with why.
    pub left_out: Vec<String>,
    /// Published programme figures written.
    pub programme_figures: usize,
}

/// Reads a bundled CSV file through the pipeline, each record into a row by `row`; a
/// required column left empty is a problem.
fn parse<T>(
    (file, text): (&str, &str),
    required: &[&str],
    problems: &mut Vec<Problem>,
    row: impl Fn(&Record<'_>) -> T,
) -> Vec<T> {
    pipeline::read(
        Input::text(file, text),
        &Format::published(required),
        problems,
        |r, problems| {
            let before = problems.len();
            for name in required {
                r.required(name, problems);
            }
            (problems.len() == before).then(|| row(r))
        },
    )
}

/// A bundled area: code, name and (for a country) its parent.
fn named_area(r: &Record<'_>, code: &str, name: &str, parent: Option<&str>) -> NamedArea {
    NamedArea {
        code: r.get(code).to_owned(),
        name: r.get(name).to_owned(),
        parent: parent
            .map(|p| r.get(p).to_owned())
            .filter(|p| !p.is_empty()),
    }
}

/// The bundled geography, parsed and checked: the ONS areas and the Commission's 2025 local
/// areas, and the comparators published beside UK figures.
pub fn geography() -> Result<Geography, ImportError> {
    let mut geography = ons_geography()?;
    let mut problems = Vec::new();
    let (specs, newer) = smc::local_areas(&mut problems);
    let comparators = parse(COMPARATORS, &["code", "name"], &mut problems, |r| {
        named_area(r, "code", "name", None)
    });
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }
    geography
        .add_local_areas(&specs, &newer)
        .map_err(|e| geography_problem("smc/areas_2025_codes.json", e))?;
    geography
        .add_comparators(&comparators)
        .map_err(|e| geography_problem(COMPARATORS.0, e))?;
    Ok(geography)
}

fn geography_problem(file: &str, e: crate::domain::geography::GeographyError) -> ImportError {
    ImportError::Invalid(vec![Problem::whole(file, e.to_string())])
}

/// The ONS geography alone (countries, regions, ITL areas, 2020 local authorities).
pub fn ons_geography() -> Result<Geography, ImportError> {
    let mut problems = Vec::new();
    let p = &mut problems;
    let countries = parse(COUNTRIES, &["code", "name"], p, |r| {
        named_area(r, "code", "name", Some("parent_code"))
    });
    let regions = parse(REGIONS, &["RGN23CD", "RGN23NM"], p, |r| {
        named_area(r, "RGN23CD", "RGN23NM", None)
    });
    let itl1 = parse(ITL1, &["itl1_code", "gss_code", "country_code"], p, |r| {
        Itl1Row {
            itl1: r.get("itl1_code").to_owned(),
            gss: r.get("gss_code").to_owned(),
            country: r.get("country_code").to_owned(),
        }
    });
    let district_columns = [
        "LAD20CD", "LAD20NM", "ITL321CD", "ITL321NM", "ITL221CD", "ITL221NM", "ITL121CD",
    ];
    let districts = parse(DISTRICTS, &district_columns, p, |r| {
        let pair = |code: &str, name: &str| (r.get(code).to_owned(), r.get(name).to_owned());
        DistrictRow {
            code: r.get("LAD20CD").to_owned(),
            name: r.get("LAD20NM").to_owned(),
            itl3: pair("ITL321CD", "ITL321NM"),
            itl2: pair("ITL221CD", "ITL221NM"),
            itl1: r.get("ITL121CD").to_owned(),
        }
    });
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }
    Geography::from_reference(&countries, &regions, &itl1, &districts)
        .map_err(|e| geography_problem("geography/", e))
}

/// The bundled reference population shares, checked against the measures and the geography.
pub fn reference_shares(geography: &Geography) -> Result<Vec<ReferenceShare>, ImportError> {
    let mut problems = Vec::new();
    let columns = [
        "population",
        "area_code",
        "measure",
        "category",
        "share",
        "period",
        "source",
        "confirmed",
    ];
    let shares = pipeline::read(
        Input::text(BENCHMARKS.0, BENCHMARKS.1),
        &Format::strict(&columns, &[]),
        &mut problems,
        |r, problems| {
            let (measure, category) = (r.get("measure"), r.get("category"));
            match measure.parse::<Measure>() {
                Ok(m) if !m.groups().contains(&category) => {
                    let reason = format!("expected one of {}", m.groups().join(", "));
                    problems.push(r.problem("category", category, reason));
                }
                Ok(_) => {}
                Err(e) => problems.push(r.problem("measure", measure, e.to_string())),
            }
            let share = r.required_number("share", problems);
            if let Some(share) = share.filter(|s| !(0.0..=1.0).contains(s)) {
                let reason = "must be a fraction from 0 to 1";
                problems.push(r.problem("share", &share.to_string(), reason));
            }
            let area_code = r.get("area_code");
            if !geography.areas.iter().any(|a| a.code == area_code) {
                let reason = "not an area of the geography";
                problems.push(r.problem("area_code", area_code, reason));
            }
            let confirmed = r.boolean("confirmed", None, problems);
            let text = |name: &str| r.get(name).to_owned();
            Some(ReferenceShare {
                population: text("population"),
                area_code: text("area_code"),
                measure: text("measure"),
                category: text("category"),
                share: share?,
                period: text("period"),
                source: text("source"),
                confirmed: confirmed?,
            })
        },
    );
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }
    Ok(shares)
}

/// The bundled reference data as this binary reads it.
struct Bundled {
    geography: Geography,
    shares: Vec<ReferenceShare>,
    published: smc::Published,
}

impl Bundled {
    /// Parses and checks every bundled file.
    fn read() -> Result<Bundled, ImportError> {
        let geography = geography()?;
        let shares = reference_shares(&geography)?;
        let published = published_indicators(&geography)?;
        Ok(Bundled {
            geography,
            shares,
            published,
        })
    }

    /// A hash of what a load writes, as this binary reads the files: a changed file or a
    /// changed reading of one (a split now taken as the area's group) changes it.
    fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        hash.update(format!("{:?}", self.geography).as_bytes());
        hash.update(format!("{:?}", self.shares).as_bytes());
        hash.update(format!("{:?}", self.published).as_bytes());
        for (_, text) in [PROGRAMMES, PROGRAMME_FIGURES] {
            hash.update(text.as_bytes());
        }
        hex::encode(hash.finalize())
    }
}

/// (Re)loads the bundled reference data in one transaction; running it twice changes nothing.
/// The published indicators' values are replaced whole, so none a newer reading no longer
/// gives lingers.
pub async fn load<C>(db: &C) -> Result<Summary, ImportError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let bundled = Bundled::read()?;
    let fingerprint = bundled.fingerprint();
    write(db, &bundled, &fingerprint).await
}

async fn write<C>(db: &C, bundled: &Bundled, fingerprint: &str) -> Result<Summary, ImportError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let Bundled {
        geography,
        shares,
        published,
    } = bundled;
    let (indicator_values, programmes) = pipeline::write(db, Vec::new(), async |txn| {
        store::areas::save_geography(txn, geography).await?;
        store::reference::replace_all(txn, shares).await?;
        let values = indicators::write(
            txn,
            &published.definitions,
            &published.values,
            indicators::Stored::Replaced,
        )
        .await?;
        let programmes = programmes::import(
            txn,
            Input::text(PROGRAMME_FIGURES.0, PROGRAMME_FIGURES.1),
            Some(Input::text(PROGRAMMES.0, PROGRAMMES.1)),
        )
        .await?;
        store::version::set_reference_fingerprint(txn, fingerprint).await?;
        Ok((values.values().sum(), programmes))
    })
    .await?;

    let mut summary = Summary {
        alt_codes: geography.alt_codes.len(),
        reference_shares: shares.len(),
        indicator_values,
        left_out: published.left_out.clone(),
        programme_figures: programmes.figures.values().sum(),
        ..Summary::default()
    };
    for area in &geography.areas {
        *summary.areas.entry(area.level).or_default() += 1;
    }
    Ok(summary)
}

/// The Commission's published indices, every area checked against the geography.
pub fn published_indicators(geography: &Geography) -> Result<smc::Published, ImportError> {
    let mut problems = Vec::new();
    let mut published = smc::composites_2023(&mut problems);
    published.extend(smc::composites_2025(geography, &mut problems));
    published.extend(smc::son25_indicators(geography, &mut problems));
    let known: std::collections::HashSet<&str> =
        geography.areas.iter().map(|a| a.code.as_str()).collect();
    for (code, values) in &published.values {
        for v in values
            .iter()
            .filter(|v| !known.contains(v.area_code.as_str()))
        {
            let mut problem = Problem::whole(
                "smc",
                format!("{code}: not an area of the bundled geography"),
            );
            problem.column = Some("area_code".to_owned());
            problem.value = Some(v.area_code.clone());
            problems.push(problem);
        }
    }
    if problems.is_empty() {
        Ok(published)
    } else {
        Err(ImportError::Invalid(problems))
    }
}

/// Loads the reference data when the store lacks any of it (a fresh `serve`, or one after a
/// migration added a kind) or holds it as another binary read it (its fingerprint differs:
/// an upgrade whose bundled files or their reading changed); returns what it wrote.
pub async fn load_if_stale<C>(db: &C) -> Result<Option<Summary>, ImportError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let bundled = Bundled::read()?;
    let fingerprint = bundled.fingerprint();
    if store::version::reference_fingerprint(db).await?.as_deref() == Some(fingerprint.as_str())
        && store::areas::total(db).await? > 0
        && store::reference::total(db).await? > 0
        && store::indicators::any(db, false).await?
        && store::programmes::any(db, false).await?
    {
        return Ok(None);
    }
    write(db, &bundled, &fingerprint).await.map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_geography_has_every_uk_area_the_ons_lists() {
        let g = geography().expect("bundled data is consistent");
        let count = |level| g.areas.iter().filter(|a| a.level == level).count();
        assert_eq!(count(AreaLevel::Uk), 1);
        assert_eq!(count(AreaLevel::Country), 4);
        assert_eq!(count(AreaLevel::Region), 9);
        assert_eq!(count(AreaLevel::Itl2), 41);
        assert_eq!(count(AreaLevel::Itl3), 179);
        // The 379 districts on 2020 boundaries and the 6 unitary authorities since.
        assert_eq!(count(AreaLevel::LocalAuthority), 385);
        assert_eq!(g.newer_authorities.len(), 6);
        // Nine English regions plus the three other countries play the region's part.
        let regions = g
            .containment
            .iter()
            .filter(|c| c.level == AreaLevel::Region && c.area == c.within)
            .count();
        assert_eq!(regions, 12);
    }

    #[test]
    fn the_bundled_benchmarks_are_the_commissions_uk_figures() {
        let g = geography().expect("bundled data is consistent");
        let shares = reference_shares(&g).expect("bundled benchmarks are consistent");
        let po: Vec<(&str, f64, bool)> = shares
            .iter()
            .filter(|s| s.measure == "parental_occupation")
            .map(|s| (s.category.as_str(), s.share, s.confirmed))
            .collect();
        assert_eq!(
            po,
            [
                ("PROFESSIONAL", 0.37, false),
                ("INTERMEDIATE", 0.24, false),
                ("LOWER", 0.39, false)
            ]
        );
        assert!(shares.iter().all(|s| s.area_code == "K02000001"));
    }

    #[test]
    fn every_authority_lies_in_one_area_of_every_level() {
        let g = geography().expect("bundled data is consistent");
        let within = |area: &str, level: AreaLevel| {
            g.containment
                .iter()
                .find(|c| c.area == area && c.level == level)
                .map(|c| c.within.as_str())
        };
        for area in g
            .areas
            .iter()
            .filter(|a| a.level == AreaLevel::LocalAuthority)
        {
            let levels = g
                .containment
                .iter()
                .filter(|c| c.area == area.code && c.level != AreaLevel::LocalArea)
                .count();
            // Every level but the local areas and the comparators; Cumberland and Westmorland
            // and Furness each took districts of two ITL3 areas.
            let expected = match area.code.as_str() {
                "E06000063" | "E06000064" => AreaLevel::ALL.len() - 3,
                _ => AreaLevel::ALL.len() - 2,
            };
            assert_eq!(levels, expected, "{}", area.code);
        }
        // The newer authorities lie where the districts they replaced lay.
        for (authority, region, itl2, itl3) in [
            ("E06000061", "E12000004", "TLF2", Some("TLF25")),
            ("E06000062", "E12000004", "TLF2", Some("TLF24")),
            ("E06000063", "E12000002", "TLD1", None),
            ("E06000064", "E12000002", "TLD1", None),
            ("E06000065", "E12000003", "TLE2", Some("TLE22")),
            ("E06000066", "E12000009", "TLK2", Some("TLK23")),
        ] {
            assert_eq!(within(authority, AreaLevel::Region), Some(region));
            assert_eq!(within(authority, AreaLevel::Itl2), Some(itl2));
            assert_eq!(within(authority, AreaLevel::Itl3), itl3, "{authority}");
            assert_eq!(within(authority, AreaLevel::Country), Some("E92000001"));
        }
        let name = |code: &str| {
            g.areas
                .iter()
                .find(|a| a.code == code)
                .map(|a| a.name.as_str())
        };
        assert_eq!(name("E06000065"), Some("North Yorkshire"));
        assert_eq!(name("E06000066"), Some("Somerset"));
        assert_eq!(name("E06000063"), Some("Cumberland"));
    }

    #[test]
    fn the_commissions_205_local_areas_are_a_level_of_their_own() {
        let mut g = geography().expect("bundled data is consistent");
        let playing: Vec<&str> = g
            .containment
            .iter()
            .filter(|c| c.level == AreaLevel::LocalArea && c.area == c.within)
            .map(|c| c.within.as_str())
            .collect();
        assert_eq!(playing.len(), 205);
        // A county keeps its code and holds its districts; Northern Ireland is one area.
        assert!(playing.contains(&"E10000003"));
        assert!(playing.contains(&"N92000002"));
        // Camden with the City of London is already an ITL3 area; Cumbria (two newer
        // authorities) is an area of its own.
        assert!(playing.contains(&"TLI31"));
        assert!(playing.contains(&"SMC25-CUMBRIA"));
        assert!(
            playing.contains(&"E06000065"),
            "North Yorkshire, newer than 2020"
        );
        let within = |area: &str| {
            g.containment
                .iter()
                .find(|c| c.area == area && c.level == AreaLevel::LocalArea)
                .map(|c| c.within.clone())
        };
        assert_eq!(
            within("E07000008").as_deref(),
            Some("E10000003"),
            "Cambridge"
        );
        assert_eq!(within("E09000001").as_deref(), Some("TLI31"));
        assert_eq!(within("N09000001").as_deref(), Some("N92000002"));
        assert_eq!(
            within("E08000025").as_deref(),
            Some("E08000025"),
            "Birmingham is its own"
        );
        // The districts replaced by newer unitary authorities are in none, and said so.
        let (specs, newer) = smc::local_areas(&mut Vec::new());
        let mut fresh = ons_geography().expect("bundled data is consistent");
        let report = fresh.add_local_areas(&specs, &newer).expect("consistent");
        assert_eq!(
            report.unplaced_districts.len(),
            24,
            "{:?}",
            report.unplaced_districts
        );
        assert!(report.unplaced_districts.contains(&"E07000163".to_owned()));
        assert_eq!(report.newer_codes.len(), 6);
        g.areas.retain(|a| a.level == AreaLevel::LocalArea);
        assert_eq!(g.areas.len(), report.added.len());
    }

    /// What a parser of the bundled SMC files finds with the bundled geography, which must
    /// raise no problem.
    fn without_problems(
        parse: impl FnOnce(&Geography, &mut Vec<Problem>) -> smc::Published,
    ) -> smc::Published {
        let geography = geography().expect("bundled geography");
        let mut problems = Vec::new();
        let published = parse(&geography, &mut problems);
        assert!(problems.is_empty(), "{problems:#?}");
        published
    }

    #[test]
    fn the_son25_indicators_resolve_every_area_and_keep_breakdowns_and_intervals() {
        let published = without_problems(smc::son25_indicators);
        let total: usize = published.values.values().map(Vec::len).sum();
        // Every published value but the 25 marked NA and the 44 of GVA per head (dr55) given
        // for the 2025 ITL2 areas, which are reported: attached by name to the 2021 areas,
        // Eastern Scotland (2021, with Edinburgh) showed the figure of the 2025 area without it.
        assert_eq!(total, 4296);
        assert_eq!(published.left_out.len(), 44, "{:#?}", published.left_out);
        assert!(
            published
                .left_out
                .iter()
                .all(|l| l.contains("dr55") && l.contains("2025 ITL2 areas"))
        );
        // Access to higher education: the UK's own series, and the OECD's average as the
        // comparator it is (it was served as the UK's, under a breakdown `area=OECD`).
        let dr23 = &published.values["son25_dr23"];
        assert_eq!(dr23.len(), 26);
        assert!(dr23.iter().all(|v| v.breakdown.is_empty()));
        assert_eq!(
            dr23.iter().filter(|v| v.area_code == "K02000001").count(),
            13
        );
        assert_eq!(dr23.iter().filter(|v| v.area_code == "OECD").count(), 13);
        assert!(
            published.values["son25_dr55"]
                .iter()
                .all(|v| !v.area_code.starts_with("TL")),
            "GVA per head only for the UK and its countries"
        );
        // An ITL2 area's quintile is its published group, not a breakdown: every regional
        // value is reachable as the area's own.
        let regional: Vec<&crate::store::indicators::NewValue> = published
            .values
            .values()
            .flatten()
            .filter(|v| v.area_code.starts_with("TL"))
            .collect();
        assert!(regional.len() > 800, "{}", regional.len());
        assert!(
            regional
                .iter()
                .all(|v| v.published_group.is_some() && !v.breakdown.contains("quintile"))
        );
        // Level of development at 5 in England in 2019: 72% overall, 57% with free school meals.
        let in11 = &published.values["son25_in11"];
        let england = |breakdown: &str| {
            in11.iter()
                .find(|v| {
                    v.area_code == "E92000001" && v.period == "2019" && v.breakdown == breakdown
                })
                .map(|v| (v.value, v.sample_size))
        };
        assert_eq!(england(""), Some((72.0, Some(638946))));
        assert_eq!(
            england("seb=Eligible for free school meals").map(|v| v.0),
            Some(57.0)
        );
        assert!(
            published
                .values
                .values()
                .flatten()
                .any(|v| v.lower.is_some() && v.upper.is_some())
        );
        assert!(
            published
                .values
                .values()
                .flatten()
                .any(|v| v.area_code.starts_with("TL"))
        );
    }

    #[test]
    fn a_malformed_son25_row_is_reported_not_dropped() {
        let geography = geography().expect("bundled geography");
        let header = "measure_code,measure_title,area_type,area_name,primary_split_type,\
            primary_split_value,secondary_split_type,secondary_split_value,tertiary_split_type,\
            tertiary_split_value,fourth_split_type,fourth_split_value,time_period,value,lci,uci,\
            sample_size,unit,value_note";
        let row = |value: &str, lci: &str| {
            format!(
                "in11,Level,Country,England,seb,Total,NA,NA,NA,NA,NA,NA,2019,{value},{lci},NA,100,Percentage,NA"
            )
        };
        let text = [
            header.to_owned(),
            row("72", "70"),
            row("lots", "NA"),               // line 3: not a number
            row("71", "low"),                // line 4: nor is its interval
            "in11,Level,Country".to_owned(), // line 5: too few fields
            row("NA", "NA"),                 // published as not available: left out, as documented
            ",,,,,,,,,,,,,,,,,,".to_owned(), // a spacer row holds nothing
        ]
        .join("\n");
        let mut problems = Vec::new();
        let published =
            smc::son::son25_indicators_of(&[("son25/test.csv", &text)], &geography, &mut problems);
        let reported: Vec<(Option<u64>, Option<&str>)> = problems
            .iter()
            .map(|p| (p.line, p.column.as_deref()))
            .collect();
        assert_eq!(
            reported,
            [
                (Some(3), Some("value")),
                (Some(4), Some("lci")),
                (Some(5), None)
            ],
            "{problems:#?}"
        );
        assert!(problems.iter().all(|p| p.file == "son25/test.csv"));
        let values: Vec<f64> = published
            .values
            .values()
            .flatten()
            .map(|v| v.value)
            .collect();
        assert_eq!(values, [72.0]);
    }

    #[test]
    fn the_2025_composites_cover_205_areas_in_every_period() {
        let published = without_problems(smc::composites_2025);
        let total: usize = published.values.values().map(Vec::len).sum();
        assert_eq!(
            total, 2870,
            "205 areas: 4 periods of three composites, 2 of one"
        );
        for values in published.values.values() {
            let mut areas: Vec<&str> = values.iter().map(|v| v.area_code.as_str()).collect();
            areas.sort();
            areas.dedup();
            assert_eq!(areas.len(), 205);
        }
    }
}
