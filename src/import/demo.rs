//! Generating the synthetic demo data and importing it: the one place that depends on both
//! [`crate::demo`] (which generates) and the import pipeline (which checks and writes).

use sea_orm::{ConnectionTrait, TransactionTrait};

use super::pipeline::{ImportError, Input, Problem};
use super::{indicators, programmes, reference, workforce};
use crate::demo::{self, DEFAULT_RECORDS, DEFAULT_SEED, SOURCE};
use crate::domain::geography::Geography;
use crate::domain::workforce::PersonKey;
use crate::store;

/// Demo data as generated, or why generating it failed (as a problem of the demo source).
fn generated<T>(result: Result<T, csv::Error>) -> Result<T, ImportError> {
    result.map_err(|e| ImportError::Invalid(vec![Problem::whole(SOURCE, e.to_string())]))
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
    workforce::import_in(
        db,
        SOURCE,
        std::io::Cursor::new(csv),
        key.unwrap_or(&synthetic),
    )
    .await
}

/// Generates a pair of files from the bundled geography with `write` (which takes the
/// companion first) and imports them with `import` (which takes the main one first).
async fn generate_and_import<T>(
    write: impl FnOnce(&mut Vec<u8>, &mut Vec<u8>, &Geography, u64) -> Result<usize, csv::Error>,
    import: impl AsyncFnOnce(Input<&[u8]>, Option<Input<&[u8]>>) -> Result<T, ImportError>,
) -> Result<T, ImportError> {
    let geography = reference::geography()?;
    let (mut companion, mut main) = (Vec::new(), Vec::new());
    generated(write(&mut companion, &mut main, &geography, DEFAULT_SEED))?;
    import(
        Input::text(SOURCE, &main),
        Some(Input::text(SOURCE, &companion)),
    )
    .await
}

/// Generates the synthetic local-authority indicators and imports them.
pub async fn indicators(
    db: &(impl ConnectionTrait + TransactionTrait),
) -> Result<indicators::Summary, ImportError> {
    let write = |d: &mut _, v: &mut _, g: &_, seed| demo::indicators::write_csvs(d, v, g, seed);
    generate_and_import(write, async |v, d| indicators::import(db, v, d).await).await
}

/// Generates the synthetic programme activity and imports it.
pub async fn programmes(
    db: &(impl ConnectionTrait + TransactionTrait),
) -> Result<programmes::Summary, ImportError> {
    generate_and_import(
        |p: &mut _, f: &mut _, g: &_, seed| demo::programmes::write_csvs(p, f, g, seed),
        async |figures, described| programmes::import(db, figures, described).await,
    )
    .await
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
    if !store::indicators::any(db, true).await? {
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

    type Write = fn(&mut Vec<u8>, &mut Vec<u8>, &Geography) -> Result<usize, csv::Error>;

    /// Generates a pair of files twice with the same seed, checks both are the same and
    /// returns them with the count `write` reports.
    fn twice(write: Write) -> (Vec<u8>, Vec<u8>, usize) {
        let g = reference::geography().expect("bundled geography");
        let (mut a1, mut b1, mut a2, mut b2) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let n = write(&mut a1, &mut b1, &g).expect("written");
        write(&mut a2, &mut b2, &g).expect("written");
        assert_eq!((&a1, &b1), (&a2, &b2), "the same seed writes the same");
        (a1, b1, n)
    }

    #[test]
    fn every_english_authority_has_every_demo_indicator_and_the_same_seed_writes_the_same() {
        let (d1, _, n) = twice(|d, v, g| demo::indicators::write_csvs(d, v, g, 1));
        let g = reference::geography().expect("bundled geography");
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
        let (p1, _, n) = twice(|p, f, g| demo::programmes::write_csvs(p, f, g, 3));
        assert!(n > 500, "{n} figures");
        let mut programmes = csv::Reader::from_reader(p1.as_slice());
        let header = programmes.headers().expect("header").clone();
        let column = |name: &str| header.iter().position(|h| h == name).expect(name);
        let (name, synthetic, source) = (column("name"), column("synthetic"), column("source"));
        for row in programmes.records() {
            let row = row.expect("row");
            assert!(row[name].contains("(synthetic)"), "{row:?}");
            assert_eq!(&row[synthetic], "true");
            assert!(row[source].contains("synthetic"), "{row:?}");
        }
    }
}
