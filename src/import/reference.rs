//! The reference data bundled with the binary (see `data/reference/SOURCES.md`): parsed,
//! checked and written in one transaction by `load-reference`, and by `serve` on an empty store.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{ImportError, Problem};
use crate::domain::geography::{AreaLevel, DistrictRow, Geography, Itl1Row, NamedArea};
use crate::domain::seb::Measure;
use crate::store;
use crate::store::reference::ReferenceShare;

const DISTRICTS: (&str, &str) = (
    "geography/lad20_itl_uk.csv",
    include_str!("../../data/reference/geography/lad20_itl_uk.csv"),
);
const REGIONS: (&str, &str) = (
    "geography/regions_dec2023_en.csv",
    include_str!("../../data/reference/geography/regions_dec2023_en.csv"),
);
const ITL1: (&str, &str) = (
    "geography/countries_itl1.csv",
    include_str!("../../data/reference/geography/countries_itl1.csv"),
);
const COUNTRIES: (&str, &str) = (
    "geography/countries.csv",
    include_str!("../../data/reference/geography/countries.csv"),
);
const PROGRAMMES: (&str, &str) = (
    "programmes/programmes.csv",
    include_str!("../../data/reference/programmes/programmes.csv"),
);
const PROGRAMME_FIGURES: (&str, &str) = (
    "programmes/programme_figures.csv",
    include_str!("../../data/reference/programmes/programme_figures.csv"),
);
const BENCHMARKS: (&str, &str) = (
    "benchmarks/benchmarks_uk.csv",
    include_str!("../../data/reference/benchmarks/benchmarks_uk.csv"),
);

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

#[derive(Deserialize)]
struct DistrictRecord {
    #[serde(rename = "LAD20CD")]
    code: String,
    #[serde(rename = "LAD20NM")]
    name: String,
    #[serde(rename = "ITL321CD")]
    itl3_code: String,
    #[serde(rename = "ITL321NM")]
    itl3_name: String,
    #[serde(rename = "ITL221CD")]
    itl2_code: String,
    #[serde(rename = "ITL221NM")]
    itl2_name: String,
    #[serde(rename = "ITL121CD")]
    itl1_code: String,
}

#[derive(Deserialize)]
struct RegionRecord {
    #[serde(rename = "RGN23CD")]
    code: String,
    #[serde(rename = "RGN23NM")]
    name: String,
}

#[derive(Deserialize)]
struct Itl1Record {
    itl1_code: String,
    gss_code: String,
    country_code: String,
}

#[derive(Deserialize)]
struct BenchmarkRecord {
    population: String,
    area_code: String,
    measure: String,
    category: String,
    share: f64,
    period: String,
    source: String,
    confirmed: String,
}

#[derive(Deserialize)]
struct CountryRecord {
    code: String,
    name: String,
    parent_code: Option<String>,
}

/// Parses every row of a bundled CSV, collecting a problem per bad row.
fn parse<T: DeserializeOwned>((file, text): (&str, &str), problems: &mut Vec<Problem>) -> Vec<T> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut rows = Vec::new();
    for record in reader.deserialize::<T>() {
        match record {
            Ok(row) => rows.push(row),
            Err(e) => problems.push(Problem {
                file: file.to_owned(),
                line: e.position().map(|p| p.line()),
                column: None,
                value: None,
                reason: e.to_string(),
            }),
        }
    }
    rows
}

/// The bundled geography, parsed and checked: the ONS areas and the Commission's 2025 local
/// areas.
pub fn geography() -> Result<Geography, ImportError> {
    let mut geography = ons_geography()?;
    let mut problems = Vec::new();
    let (specs, newer) = super::smc::local_areas(&mut problems);
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }
    geography
        .add_local_areas(&specs, &newer)
        .map_err(|e| geography_problem("smc/areas_2025_codes.json", e))?;
    Ok(geography)
}

fn geography_problem(file: &str, e: crate::domain::geography::GeographyError) -> ImportError {
    ImportError::Invalid(vec![Problem {
        file: file.to_owned(),
        line: None,
        column: None,
        value: None,
        reason: e.to_string(),
    }])
}

/// The ONS geography alone (countries, regions, ITL areas, 2020 local authorities).
pub fn ons_geography() -> Result<Geography, ImportError> {
    let mut problems = Vec::new();
    let countries: Vec<CountryRecord> = parse(COUNTRIES, &mut problems);
    let regions: Vec<RegionRecord> = parse(REGIONS, &mut problems);
    let itl1: Vec<Itl1Record> = parse(ITL1, &mut problems);
    let districts: Vec<DistrictRecord> = parse(DISTRICTS, &mut problems);
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }
    let countries: Vec<NamedArea> = countries
        .into_iter()
        .map(|c| NamedArea {
            code: c.code,
            name: c.name,
            parent: c.parent_code.filter(|p| !p.is_empty()),
        })
        .collect();
    let regions: Vec<NamedArea> = regions
        .into_iter()
        .map(|r| NamedArea {
            code: r.code,
            name: r.name,
            parent: None,
        })
        .collect();
    let itl1: Vec<Itl1Row> = itl1
        .into_iter()
        .map(|r| Itl1Row {
            itl1: r.itl1_code,
            gss: r.gss_code,
            country: r.country_code,
        })
        .collect();
    let districts: Vec<DistrictRow> = districts
        .into_iter()
        .map(|d| DistrictRow {
            code: d.code,
            name: d.name,
            itl3: (d.itl3_code, d.itl3_name),
            itl2: (d.itl2_code, d.itl2_name),
            itl1: d.itl1_code,
        })
        .collect();
    Geography::from_reference(&countries, &regions, &itl1, &districts)
        .map_err(|e| geography_problem("geography/", e))
}

/// The bundled reference population shares, checked against the measures and the geography.
pub fn reference_shares(geography: &Geography) -> Result<Vec<ReferenceShare>, ImportError> {
    let mut problems = Vec::new();
    let records: Vec<BenchmarkRecord> = parse(BENCHMARKS, &mut problems);
    let mut shares = Vec::with_capacity(records.len());
    for (i, r) in records.into_iter().enumerate() {
        let line = i as u64 + 2;
        let mut problem = |column: &str, value: &str, reason: String| {
            problems.push(Problem {
                file: BENCHMARKS.0.to_owned(),
                line: Some(line),
                column: Some(column.to_owned()),
                value: Some(value.to_owned()),
                reason,
            })
        };
        match r.measure.parse::<Measure>() {
            Ok(measure) if !measure.groups().contains(&r.category.as_str()) => problem(
                "category",
                &r.category,
                format!("expected one of {}", measure.groups().join(", ")),
            ),
            Ok(_) => {}
            Err(e) => problem("measure", &r.measure, e.to_string()),
        }
        if !(0.0..=1.0).contains(&r.share) {
            problem(
                "share",
                &r.share.to_string(),
                "must be a fraction from 0 to 1".into(),
            );
        }
        if !geography.areas.iter().any(|a| a.code == r.area_code) {
            problem(
                "area_code",
                &r.area_code,
                "not an area of the geography".into(),
            );
        }
        let confirmed = match r.confirmed.as_str() {
            "yes" => true,
            "no" => false,
            other => {
                problem("confirmed", other, "must be yes or no".into());
                false
            }
        };
        shares.push(ReferenceShare {
            population: r.population,
            area_code: r.area_code,
            measure: r.measure,
            category: r.category,
            share: r.share,
            period: r.period,
            source: r.source,
            confirmed,
        });
    }
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }
    Ok(shares)
}

/// (Re)loads the bundled reference data in one transaction; running it twice changes nothing.
pub async fn load<C>(db: &C) -> Result<Summary, ImportError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let geography = geography()?;
    let shares = reference_shares(&geography)?;
    let published = published_indicators(&geography)?;
    let txn = store::begin_write(db).await?;
    store::areas::save_geography(&txn, &geography).await?;
    store::reference::replace_all(&txn, &shares).await?;
    let ids = store::indicators::upsert_definitions(&txn, &published.definitions).await?;
    let mut indicator_values = 0;
    for (code, values) in &published.values {
        let id = ids.get(code).copied().ok_or_else(|| {
            ImportError::Store(store::StoreError::Corrupt(format!(
                "indicator {code} was not found after being written"
            )))
        })?;
        store::indicators::upsert_values(&txn, id, values).await?;
        indicator_values += values.len();
    }
    let programmes = super::programmes::import(
        &txn,
        super::Input {
            name: PROGRAMME_FIGURES.0.to_owned(),
            reader: PROGRAMME_FIGURES.1.as_bytes(),
        },
        Some(super::Input {
            name: PROGRAMMES.0.to_owned(),
            reader: PROGRAMMES.1.as_bytes(),
        }),
    )
    .await?;
    txn.commit().await?;

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
pub fn published_indicators(geography: &Geography) -> Result<super::smc::Published, ImportError> {
    let mut problems = Vec::new();
    let mut published = super::smc::composites_2023(&mut problems);
    for later in [
        super::smc::composites_2025(geography, &mut problems),
        super::smc::son25_indicators(geography, &mut problems),
    ] {
        published.definitions.extend(later.definitions);
        published.values.extend(later.values);
        published.left_out.extend(later.left_out);
    }
    let known: std::collections::HashSet<&str> =
        geography.areas.iter().map(|a| a.code.as_str()).collect();
    for (code, values) in &published.values {
        for v in values
            .iter()
            .filter(|v| !known.contains(v.area_code.as_str()))
        {
            problems.push(Problem {
                file: "smc".to_owned(),
                line: None,
                column: Some("area_code".to_owned()),
                value: Some(v.area_code.clone()),
                reason: format!("{code}: not an area of the bundled geography"),
            });
        }
    }
    if problems.is_empty() {
        Ok(published)
    } else {
        Err(ImportError::Invalid(problems))
    }
}

/// Loads the reference data when the store lacks any of it (a fresh `serve`, or one after a
/// migration added a kind); returns what it wrote.
pub async fn load_if_empty<C>(db: &C) -> Result<Option<Summary>, ImportError>
where
    C: ConnectionTrait + TransactionTrait,
{
    if store::areas::total(db).await? > 0
        && store::reference::total(db).await? > 0
        && store::indicators::any_published(db).await?
        && store::programmes::any(db, false).await?
    {
        return Ok(None);
    }
    load(db).await.map(Some)
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
        assert_eq!(count(AreaLevel::LocalAuthority), 379);
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
            assert_eq!(levels, AreaLevel::ALL.len() - 1, "{}", area.code);
        }
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
        let (specs, newer) = crate::import::smc::local_areas(&mut Vec::new());
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
}
