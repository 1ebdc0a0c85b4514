//! Per-request dataloaders: every area a query touches through `parent`, `children` or
//! `within` is fetched in batches, so a page of areas with their relations costs a constant
//! number of SQL statements whatever its size.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::store::Pool;
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest,
};
use async_graphql::{Request, ServerResult};

use crate::domain::geography::{Area, AreaLevel};
use crate::service::index::{self as index_service, IndexKey, IndexResult};
use crate::store::StoreError;
use crate::store::areas::{self, AltCode, ChildPosition, Page};
use crate::store::indicators::{self, Indicator, Value};
use crate::store::{programmes, workforce};

/// Implements the loader of `$key` with values `$value`: `$body` fetches the values of `keys`
/// from the store `db`, every key of a batch at once.
macro_rules! loads {
    ($key:ty => $value:ty, |$db:ident, $keys:ident| $body:block) => {
        impl Loader<$key> for AreaLoader {
            type Value = $value;
            type Error = Arc<StoreError>;

            async fn load(&self, $keys: &[$key]) -> Result<HashMap<$key, $value>, Self::Error> {
                let $db = &self.db;
                $body
            }
        }
    };
}

/// Loaders of what each of many owners has, fetched for every owner asked for at once as a
/// map by owner and handed out (an owner with nothing gets the empty value).
macro_rules! values_by_owner {
    ($(#[$doc:meta])* $key:ident($owner:ty) => $value:ty = $fetch:path) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub $owner);

        loads!($key => $value, |db, keys| {
            let owners: Vec<$owner> = keys.iter().map(|k| k.0.clone()).collect();
            let found = $fetch(db, &owners).await?;
            Ok(handed_out(keys, found, |k| &k.0))
        });
    };
}

/// Batches area look-ups for one request.
pub struct AreaLoader {
    db: Pool,
}

/// Key: the area of `level` that `area` lies within.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WithinKey {
    /// Primary code of the contained area.
    pub area: String,
    /// Level of the containing area wanted.
    pub level: AreaLevel,
}

/// Key: one page of an area's children, optionally of one level only.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChildrenKey {
    /// Primary code of the parent.
    pub parent: String,
    /// Only children playing this level's part.
    pub level: Option<AreaLevel>,
    /// Only children after this position.
    pub after: Option<ChildPosition>,
    /// How many children at most.
    pub first: u64,
}

loads!(String => Area, |db, keys| {
    let found = areas::by_codes(db, keys).await?;
    Ok(found.into_iter().map(|a| (a.code.clone(), a)).collect())
});

loads!(WithinKey => Area, |db, keys| {
    let pairs: Vec<(String, AreaLevel)> =
        keys.iter().map(|k| (k.area.clone(), k.level)).collect();
    let found = areas::within(db, &pairs).await?;
    Ok(found
        .into_iter()
        .map(|((area, level), within)| (WithinKey { area, level }, within))
        .collect())
});

values_by_owner!(
    /// Key: the alternative codes of an area.
    AltCodesKey(String) => Vec<AltCode> = areas::alt_codes
);

loads!(ChildrenKey => (Page<Area>, u64), |db, keys| {
    // Keys asking for the same page shape share one statement pair; a query usually has one.
    type Shape<'a> = (Option<AreaLevel>, Option<&'a ChildPosition>, u64);
    let mut shapes: HashMap<Shape<'_>, Vec<String>> = HashMap::new();
    for key in keys {
        shapes
            .entry((key.level, key.after.as_ref(), key.first))
            .or_default()
            .push(key.parent.clone());
    }
    let mut result = HashMap::with_capacity(keys.len());
    for ((level, after, first), parents) in shapes {
        let pages = areas::children_pages(db, &parents, level, after, first).await?;
        for (parent, value) in pages {
            let key = ChildrenKey {
                parent,
                level,
                after: after.cloned(),
                first,
            };
            result.insert(key, value);
        }
    }
    Ok(result)
});

/// Key: an indicator by id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IndicatorKey(pub i32);

loads!(IndicatorKey => Indicator, |db, keys| {
    let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
    Ok(indicators::by_ids(db, &ids)
        .await?
        .into_iter()
        .map(|i| (IndicatorKey(i.id), i))
        .collect())
});

values_by_owner!(
    /// Key: the periods an indicator has values for.
    PeriodsKey(i32) => Vec<String> = indicators::periods
);

values_by_owner!(
    /// Key: the breakdowns an indicator has values for (the total left out).
    BreakdownsKey(i32) => Vec<String> = indicators::breakdowns
);

values_by_owner!(
    /// Key: the levels of the areas an indicator has values for.
    LevelsKey(i32) => Vec<AreaLevel> = indicators::levels
);

values_by_owner!(
    /// Key: the local authorities within an area.
    AuthoritiesKey(String) => Vec<String> = areas::authorities_by_container
);

/// Key: an area's total indicator values, in one period or all.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AreaValuesKey {
    /// Primary code of the area.
    pub area: String,
    /// The period; `None` for every period.
    pub period: Option<String>,
}

loads!(AreaValuesKey => Vec<Value>, |db, keys| {
    // One statement per period asked for; a map asks for one.
    let mut by_period: HashMap<Option<String>, Vec<String>> = HashMap::new();
    for key in keys {
        by_period
            .entry(key.period.clone())
            .or_default()
            .push(key.area.clone());
    }
    let mut result: HashMap<AreaValuesKey, Vec<Value>> =
        keys.iter().map(|k| (k.clone(), Vec::new())).collect();
    for (period, areas) in by_period {
        for value in indicators::area_totals(db, &areas, period.as_deref()).await? {
            let key = AreaValuesKey {
                area: value.value.area_code.clone(),
                period: period.clone(),
            };
            if let Some(values) = result.get_mut(&key) {
                values.push(value);
            }
        }
    }
    Ok(result)
});

/// Loaders of the rows each of many owners has, fetched in one statement for every owner
/// asked for and handed out by owner id (an owner with none gets an empty list).
macro_rules! rows_by_owner {
    ($(#[$doc:meta])* $key:ident: $row:ty = $fetch:path, $owner:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub i32);

        loads!($key => Vec<$row>, |db, keys| {
            let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
            let mut result: HashMap<$key, Vec<$row>> =
                keys.iter().map(|k| (k.clone(), Vec::new())).collect();
            for row in $fetch(db, &ids).await? {
                if let Some(list) = result.get_mut(&$key(row.$owner)) {
                    list.push(row);
                }
            }
            Ok(result)
        });
    };
}

rows_by_owner!(
    /// Key: the metrics of a programme.
    ProgrammeMetricsKey: programmes::Metric = programmes::metrics, programme_id
);
rows_by_owner!(
    /// Key: the snapshots of an employer.
    SnapshotsKey: workforce::Snapshot = workforce::snapshots, employer_id
);
rows_by_owner!(
    /// Key: the business units of an employer.
    BusinessUnitsKey: workforce::BusinessUnit = workforce::business_units, employer_id
);
rows_by_owner!(
    /// Key: the grades of an employer.
    GradesKey: workforce::Grade = workforce::grades, employer_id
);

/// The values found for each key's owner (`owner` of a key), the default for none.
fn handed_out<K, O, V>(
    keys: &[K],
    found: impl IntoIterator<Item = (O, V)>,
    owner: impl Fn(&K) -> &O,
) -> HashMap<K, V>
where
    K: Clone + Eq + std::hash::Hash,
    O: Eq + std::hash::Hash,
    V: Default,
{
    let mut found: HashMap<O, V> = found.into_iter().collect();
    keys.iter()
        .map(|k| (k.clone(), found.remove(owner(k)).unwrap_or_default()))
        .collect()
}

loads!(IndexKey => Arc<IndexResult>, |db, keys| {
    let mut result = HashMap::with_capacity(keys.len());
    for key in keys {
        let index = index_service::compute(db, key).await?;
        result.insert(key.clone(), index);
    }
    Ok(result)
});

/// Adds a fresh [`DataLoader`] to every request, so nothing is cached across requests.
///
/// A loader gathers keys for `window` before it queries. Batching is by time: the resolvers
/// of one list register their keys in a burst, and a burst that outlasts the window (a very
/// busy machine) is fetched in more than one batch.
pub struct PerRequestLoaders {
    db: Pool,
    window: Duration,
}

impl PerRequestLoaders {
    /// Loaders reading from `db`, gathering keys for `window`.
    pub fn new(db: Pool, window: Duration) -> Self {
        PerRequestLoaders { db, window }
    }
}

impl ExtensionFactory for PerRequestLoaders {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PerRequestLoaders {
            db: self.db.clone(),
            window: self.window,
        })
    }
}

#[async_trait::async_trait]
impl Extension for PerRequestLoaders {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let loader = DataLoader::new(
            AreaLoader {
                db: self.db.clone(),
            },
            tokio::spawn,
        )
        .delay(self.window);
        next.run(ctx, request.data(loader)).await
    }
}
