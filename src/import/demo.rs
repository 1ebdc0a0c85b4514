//! Generating the synthetic demo data and importing it: the one place that depends on both
//! [`crate::demo`] (which generates) and the import pipeline (which checks and writes).

use sea_orm::{ConnectionTrait, TransactionTrait};

use super::pipeline::{ImportError, Input, Problem};
use super::{indicators, programmes, reference, workforce};
use crate::demo::{self, DEFAULT_RECORDS, DEFAULT_SEED, SOURCE};
use crate::domain::workforce::PersonKey;
use crate::store;

/// Demo data as generated, or why generating it failed (as a problem of the demo source).
fn generated<T>(result: Result<T, csv::Error>) -> Result<T, ImportError> {
    result.map_err(|e| ImportError::Invalid(vec![Problem::whole(SOURCE, e.to_string())]))
}

/// A pair of generated files as imports read them: the main one and its companion.
fn pair<'a>(main: &'a [u8], companion: &'a [u8]) -> (Input<&'a [u8]>, Option<Input<&'a [u8]>>) {
    let input = |reader| Input {
        name: SOURCE.to_owned(),
        reader,
    };
    (input(main), Some(input(companion)))
}

/// Generates the default demo workforce and imports it.
///
/// Its person references are invented, so any key serves; the configured one is used when
/// there is one.
pub async fn workforce<C>(
    db: &C,
    key: Option<&PersonKey>,
) -> Result<workforce::Summary, ImportError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let mut csv = Vec::new();
    generated(demo::write_csv(&mut csv, DEFAULT_RECORDS, DEFAULT_SEED))?;
    let synthetic = PersonKey::for_synthetic_data();
    workforce::import(db, SOURCE, csv.as_slice(), key.unwrap_or(&synthetic)).await
}

/// Generates the synthetic local-authority indicators and imports them.
pub async fn indicators<C>(db: &C) -> Result<indicators::Summary, ImportError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let geography = reference::geography()?;
    let (mut definitions, mut values) = (Vec::new(), Vec::new());
    let written =
        demo::indicators::write_csvs(&mut definitions, &mut values, &geography, DEFAULT_SEED);
    generated(written)?;
    let (values, definitions) = pair(&values, &definitions);
    indicators::import(db, values, definitions).await
}

/// Generates the synthetic programme activity and imports it.
pub async fn programmes<C>(db: &C) -> Result<programmes::Summary, ImportError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let geography = reference::geography()?;
    let (mut programmes, mut figures) = (Vec::new(), Vec::new());
    let written =
        demo::programmes::write_csvs(&mut programmes, &mut figures, &geography, DEFAULT_SEED);
    generated(written)?;
    let (figures, programmes) = pair(&figures, &programmes);
    programmes::import(db, figures, programmes).await
}

/// What [`load_if_missing`] loaded.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The demo workforce, when the store had no staff records.
    pub workforce: Option<workforce::Summary>,
    /// The demo indicators, when the store had no synthetic indicator.
    pub indicators: Option<indicators::Summary>,
    /// The demo programmes, when the store had no synthetic programme.
    pub programmes: Option<programmes::Summary>,
}

impl Loaded {
    /// Logs what was loaded, when anything was.
    pub fn log(&self) {
        if self.workforce.is_none() && self.indicators.is_none() && self.programmes.is_none() {
            return;
        }
        let w = self.workforce.as_ref();
        let i = self.indicators.as_ref();
        let p = self.programmes.as_ref();
        tracing::info!(
            records = w.map(|s| s.rows),
            snapshots = w.map(|s| s.snapshots.len()),
            indicators = i.map(|s| s.definitions),
            indicator_values = i.map(|s| s.values.values().sum::<usize>()),
            programmes = p.map(|s| s.programmes),
            programme_figures = p.map(|s| s.figures.values().sum::<usize>()),
            "loaded synthetic demo data into a store that lacked it"
        );
    }
}

/// Loads each kind of demo data the store lacks (a fresh `serve` with demo data on): the
/// workforce when there is no staff record, the indicators and programmes when there is no
/// synthetic one.
pub async fn load_if_missing<C>(db: &C, key: Option<&PersonKey>) -> Result<Loaded, ImportError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let mut loaded = Loaded::default();
    if !store::workforce::has_records(db).await? {
        loaded.workforce = Some(workforce(db, key).await?);
    }
    if !store::indicators::any_synthetic(db).await? {
        loaded.indicators = Some(indicators(db).await?);
    }
    if !store::programmes::any(db, true).await? {
        loaded.programmes = Some(programmes(db).await?);
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_english_authority_has_every_demo_indicator_and_the_same_seed_writes_the_same() {
        let g = reference::geography().expect("bundled geography");
        let (mut d1, mut v1, mut d2, mut v2) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let n = demo::indicators::write_csvs(&mut d1, &mut v1, &g, 1).expect("written");
        demo::indicators::write_csvs(&mut d2, &mut v2, &g, 1).expect("written");
        assert_eq!((d1.clone(), v1.clone()), (d2, v2));
        let authorities = demo::english_authorities(&g);
        assert_eq!(authorities.len(), 314);
        let definitions = String::from_utf8(d1).expect("UTF-8");
        let indicators = definitions.lines().count() - 1;
        assert_eq!(indicators, 8);
        assert_eq!(n, 314 * indicators);
        assert_eq!(definitions.matches("(synthetic)").count(), 2 * indicators);
        assert!(definitions.lines().skip(1).all(|l| l.ends_with(",true")));
    }

    #[test]
    fn the_same_seed_writes_the_same_labelled_programme_activity() {
        let g = reference::geography().expect("bundled geography");
        let (mut p1, mut f1, mut p2, mut f2) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let n = demo::programmes::write_csvs(&mut p1, &mut f1, &g, 3).expect("written");
        demo::programmes::write_csvs(&mut p2, &mut f2, &g, 3).expect("written");
        assert_eq!((&p1, &f1), (&p2, &f2));
        assert!(n > 500, "{n} figures");
        let programmes = String::from_utf8(p1).expect("UTF-8");
        assert!(
            programmes
                .lines()
                .skip(1)
                .all(|l| l.contains("(synthetic)") && l.ends_with(",true"))
        );
    }
}
