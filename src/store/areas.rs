//! Queries over the geography tables.

use std::collections::HashMap;

use entity::{area, area_alt_code, area_within};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, LikeExpr, Order, Query, WindowStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};

use super::StoreError;
use crate::domain::geography::{Area, AreaLevel, Geography};

/// An alternative code as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AltCode {
    /// The alternative code.
    pub code: String,
    /// The primary code of the area it names.
    pub area: String,
    /// The coding scheme, for example `ITL1`.
    pub scheme: String,
}

/// One page of a keyset-paginated list ordered by code.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items of the page, in order.
    pub items: Vec<T>,
    /// Whether more items follow the last one.
    pub has_next: bool,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page {
            items: Vec::new(),
            has_next: false,
        }
    }
}

/// Which page to read: the items after a code, at most `first` of them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageRequest {
    /// Only items whose code sorts after this one.
    pub after: Option<String>,
    /// How many items at most.
    pub first: u64,
}

/// Which areas to list.
#[derive(Debug, Clone, Default)]
pub struct AreaFilter {
    /// Only areas that play this level's part.
    pub level: Option<AreaLevel>,
    /// Only areas lying within this area (primary code), at any depth.
    pub within: Option<String>,
    /// Only areas whose name contains this text, ignoring case.
    pub name_contains: Option<String>,
}

fn to_domain(row: area::Model) -> Result<Area, StoreError> {
    let level = row
        .level
        .parse::<AreaLevel>()
        .map_err(|e| StoreError::Corrupt(format!("area {}: {e}", row.code)))?;
    Ok(Area {
        code: row.code,
        name: row.name,
        level,
        parent: row.parent_code,
    })
}

fn to_domain_all(rows: Vec<area::Model>) -> Result<Vec<Area>, StoreError> {
    rows.into_iter().map(to_domain).collect()
}

/// The primary code of the area known by `code` (its own or an alternative one), if any.
pub async fn find(db: &impl ConnectionTrait, code: &str) -> Result<Option<Area>, StoreError> {
    let code = code.trim().to_uppercase();
    let by_alt = Query::select()
        .column(area_alt_code::Column::AreaCode)
        .from(area_alt_code::Entity)
        .and_where(area_alt_code::Column::Code.eq(code.as_str()))
        .to_owned();
    area::Entity::find()
        .filter(
            Condition::any()
                .add(area::Column::Code.eq(code.as_str()))
                .add(area::Column::Code.in_subquery(by_alt)),
        )
        .one(db)
        .await?
        .map(to_domain)
        .transpose()
}

/// The primary code of each area named by any of its codes (primary or alternative, any
/// case), in one statement; codes that name no area are absent from the map.
pub async fn primary_codes(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> Result<HashMap<String, String>, StoreError> {
    #[derive(FromQueryResult)]
    struct Named {
        given: String,
        code: String,
    }
    let wanted: Vec<String> = codes.iter().map(|c| c.trim().to_uppercase()).collect();
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let by_alt = Query::select()
        .expr_as(Expr::col(area_alt_code::Column::Code), Alias::new("given"))
        .expr_as(
            Expr::col(area_alt_code::Column::AreaCode),
            Alias::new("code"),
        )
        .from(area_alt_code::Entity)
        .and_where(area_alt_code::Column::Code.is_in(wanted.iter().map(String::as_str)))
        .to_owned();
    let statement = Query::select()
        .expr_as(Expr::col(area::Column::Code), Alias::new("given"))
        .expr_as(Expr::col(area::Column::Code), Alias::new("code"))
        .from(area::Entity)
        .and_where(area::Column::Code.is_in(wanted.iter().map(String::as_str)))
        .union(sea_orm::sea_query::UnionType::All, by_alt)
        .to_owned();
    let rows = Named::find_by_statement(db.get_database_backend().build(&statement))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.given, r.code)).collect())
}

/// Areas by primary code, in no particular order; unknown codes are left out.
pub async fn by_codes(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> Result<Vec<Area>, StoreError> {
    let rows = area::Entity::find()
        .filter(area::Column::Code.is_in(codes.iter().map(String::as_str)))
        .all(db)
        .await?;
    to_domain_all(rows)
}

/// The areas playing a level's part: those lying within themselves at that level.
fn playing(level: AreaLevel) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(area_within::Column::AreaCode)
        .from(area_within::Entity)
        .and_where(area_within::Column::Level.eq(level.as_str()))
        .and_where(
            Expr::col((area_within::Entity, area_within::Column::WithinCode))
                .equals((area_within::Entity, area_within::Column::AreaCode)),
        )
        .to_owned()
}

fn level_condition(level: AreaLevel) -> Condition {
    Condition::all().add(area::Column::Code.in_subquery(playing(level)))
}

/// `SELECT code FROM area WHERE <filter>`, to filter other tables by area.
pub fn codes_matching(filter: &AreaFilter) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(area::Column::Code)
        .from(area::Entity)
        .cond_where(filter_condition(filter))
        .to_owned()
}

/// The condition on `area.code` selecting the areas of a filter.
pub fn filter_condition(filter: &AreaFilter) -> Condition {
    let mut cond = Condition::all();
    if let Some(level) = filter.level {
        cond = cond.add(level_condition(level));
    }
    if let Some(within) = &filter.within {
        let inside = Query::select()
            .column(area_within::Column::AreaCode)
            .from(area_within::Entity)
            .and_where(area_within::Column::WithinCode.eq(within.as_str()))
            .and_where(area_within::Column::AreaCode.ne(within.as_str()))
            .to_owned();
        cond = cond.add(area::Column::Code.in_subquery(inside));
    }
    if let Some(text) = &filter.name_contains {
        cond = cond.add(name_contains(text));
    }
    cond
}

/// A case-insensitive substring match that treats `%` and `_` in the text literally.
fn name_contains(text: &str) -> Expr {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Expr::expr(Func::lower(Expr::col((area::Entity, area::Column::Name))))
        .like(LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}

/// How many areas match the filter.
pub async fn count(db: &impl ConnectionTrait, filter: &AreaFilter) -> Result<u64, StoreError> {
    Ok(area::Entity::find()
        .filter(filter_condition(filter))
        .count(db)
        .await?)
}

/// One page of the areas matching the filter, ordered by code.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &AreaFilter,
    page: &PageRequest,
) -> Result<Page<Area>, StoreError> {
    let mut query = area::Entity::find().filter(filter_condition(filter));
    if let Some(after) = &page.after {
        query = query.filter(area::Column::Code.gt(after.as_str()));
    }
    let rows = query
        .order_by_asc(area::Column::Code)
        .limit(page.first + 1)
        .all(db)
        .await?;
    paged(to_domain_all(rows)?, page.first)
}

fn paged<T>(mut items: Vec<T>, first: u64) -> Result<Page<T>, StoreError> {
    let first = usize::try_from(first).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let has_next = items.len() > first;
    items.truncate(first);
    Ok(Page { items, has_next })
}

/// Where an area's children are ordered: the administrative line (0) before the statistical
/// one (1), then by code. A children cursor is this pair.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChildPosition {
    /// 0 for the administrative line, 1 for ITL areas.
    pub line: i32,
    /// The child's code.
    pub code: String,
}

impl ChildPosition {
    /// The position of `area` among its parent's children.
    pub fn of(area: &Area) -> ChildPosition {
        ChildPosition {
            line: i32::from(area.level.is_statistical()),
            code: area.code.clone(),
        }
    }
}

fn line_expr() -> Expr {
    let statistical = [AreaLevel::Itl2.as_str(), AreaLevel::Itl3.as_str()];
    Expr::case(
        Expr::col((area::Entity, area::Column::Level)).is_in(statistical),
        1,
    )
    .finally(0)
    .into()
}

/// The children of several parents, one page each, in two statements whatever the number of
/// parents: one window query for the pages and one grouped count for the totals. Children
/// come administrative line first (a region's authorities, then its ITL2 areas), then by code.
pub async fn children_pages(
    db: &impl ConnectionTrait,
    parents: &[String],
    level: Option<AreaLevel>,
    after: Option<&ChildPosition>,
    first: u64,
) -> Result<HashMap<String, (Page<Area>, u64)>, StoreError> {
    let mut cond =
        Condition::all().add(area::Column::ParentCode.is_in(parents.iter().map(String::as_str)));
    if let Some(level) = level {
        cond = cond.add(level_condition(level));
    }

    let mut ranked = area::Entity::find().filter(cond.clone());
    if let Some(after) = after {
        ranked = ranked.filter(
            Condition::any().add(line_expr().gt(after.line)).add(
                Condition::all()
                    .add(line_expr().eq(after.line))
                    .add(area::Column::Code.gt(after.code.as_str())),
            ),
        );
    }
    let mut ranked = ranked.into_query();
    ranked.expr_as(line_expr(), Alias::new("line"));
    ranked.expr_window_as(
        Func::cust("ROW_NUMBER"),
        WindowStatement::partition_by(area::Column::ParentCode)
            .order_by_expr(line_expr(), Order::Asc)
            .order_by(area::Column::Code, Order::Asc)
            .to_owned(),
        Alias::new("rn"),
    );
    let outer = Query::select()
        .column(sea_orm::sea_query::Asterisk)
        .from_subquery(ranked, Alias::new("ranked"))
        .and_where(Expr::col(Alias::new("rn")).lte(first + 1))
        .order_by(area::Column::ParentCode, Order::Asc)
        .order_by(Alias::new("line"), Order::Asc)
        .order_by(area::Column::Code, Order::Asc)
        .to_owned();
    let rows = area::Model::find_by_statement(db.get_database_backend().build(&outer))
        .all(db)
        .await?;

    let totals: Vec<(Option<String>, i64)> = area::Entity::find()
        .select_only()
        .column(area::Column::ParentCode)
        .column_as(area::Column::Code.count(), "n")
        .filter(cond)
        .group_by(area::Column::ParentCode)
        .into_tuple()
        .all(db)
        .await?;
    let totals: HashMap<String, u64> = totals
        .into_iter()
        .filter_map(|(parent, n)| Some((parent?, u64::try_from(n).unwrap_or(0))))
        .collect();

    let mut grouped: HashMap<String, Vec<Area>> = HashMap::new();
    for row in rows {
        let area = to_domain(row)?;
        if let Some(parent) = area.parent.clone() {
            grouped.entry(parent).or_default().push(area);
        }
    }
    parents
        .iter()
        .map(|parent| {
            let items = grouped.remove(parent).unwrap_or_default();
            let total = totals.get(parent).copied().unwrap_or(0);
            Ok((parent.clone(), (paged(items, first)?, total)))
        })
        .collect()
}

#[derive(Debug, FromQueryResult)]
struct WithinRow {
    member: String,
    member_level: String,
    code: String,
    name: String,
    level: String,
    parent_code: Option<String>,
}

/// For each (area, level) asked, the area of that level containing it, in one statement.
pub async fn within(
    db: &impl ConnectionTrait,
    keys: &[(String, AreaLevel)],
) -> Result<HashMap<(String, AreaLevel), Area>, StoreError> {
    let mut codes: Vec<&str> = keys.iter().map(|(c, _)| c.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    let mut levels: Vec<&str> = keys.iter().map(|(_, l)| l.as_str()).collect();
    levels.sort_unstable();
    levels.dedup();
    let query = Query::select()
        .expr_as(
            Expr::col((area_within::Entity, area_within::Column::AreaCode)),
            Alias::new("member"),
        )
        .expr_as(
            Expr::col((area_within::Entity, area_within::Column::Level)),
            Alias::new("member_level"),
        )
        .column((area::Entity, area::Column::Code))
        .column((area::Entity, area::Column::Name))
        .column((area::Entity, area::Column::Level))
        .column((area::Entity, area::Column::ParentCode))
        .from(area_within::Entity)
        .inner_join(
            area::Entity,
            Expr::col((area::Entity, area::Column::Code))
                .equals((area_within::Entity, area_within::Column::WithinCode)),
        )
        .and_where(Expr::col((area_within::Entity, area_within::Column::AreaCode)).is_in(codes))
        .and_where(Expr::col((area_within::Entity, area_within::Column::Level)).is_in(levels))
        .to_owned();
    let rows = WithinRow::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await?;
    let mut found = HashMap::with_capacity(rows.len());
    for row in rows {
        let member_level = row
            .member_level
            .parse::<AreaLevel>()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let area = to_domain(area::Model {
            code: row.code,
            name: row.name,
            level: row.level,
            parent_code: row.parent_code,
        })?;
        found.insert((row.member, member_level), area);
    }
    Ok(found)
}

/// How many areas the store holds.
pub async fn total(db: &impl ConnectionTrait) -> Result<u64, StoreError> {
    Ok(area::Entity::find().count(db).await?)
}

/// Rows per insert statement: well under SQLite's and PostgreSQL's bound-parameter limits.
const CHUNK: usize = 500;

/// Writes a geography: areas are inserted or updated by code (so rows elsewhere that name an
/// area stay valid), and their alternative codes and containment are replaced.
///
/// Call it inside a transaction: it writes in several statements.
pub async fn save_geography(
    db: &impl ConnectionTrait,
    geography: &Geography,
) -> Result<(), StoreError> {
    use sea_orm::sea_query::OnConflict;

    let codes: Vec<&str> = geography.areas.iter().map(|a| a.code.as_str()).collect();
    for chunk in codes.chunks(CHUNK) {
        area_within::Entity::delete_many()
            .filter(area_within::Column::AreaCode.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
        area_alt_code::Entity::delete_many()
            .filter(area_alt_code::Column::AreaCode.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    // Parents come before children in `areas`, which the parent foreign key needs.
    for chunk in geography.areas.chunks(CHUNK) {
        let rows = chunk.iter().map(|a| area::ActiveModel {
            code: Set(a.code.clone()),
            name: Set(a.name.clone()),
            level: Set(a.level.as_str().to_owned()),
            parent_code: Set(a.parent.clone()),
        });
        area::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(area::Column::Code)
                    .update_columns([
                        area::Column::Name,
                        area::Column::Level,
                        area::Column::ParentCode,
                    ])
                    .to_owned(),
            )
            .exec(db)
            .await?;
    }
    for chunk in geography.alt_codes.chunks(CHUNK) {
        let rows = chunk.iter().map(|a| area_alt_code::ActiveModel {
            code: Set(a.code.clone()),
            area_code: Set(a.area.clone()),
            scheme: Set(a.scheme.to_owned()),
        });
        area_alt_code::Entity::insert_many(rows).exec(db).await?;
    }
    for chunk in geography.containment.chunks(CHUNK) {
        let rows = chunk.iter().map(|c| area_within::ActiveModel {
            area_code: Set(c.area.clone()),
            level: Set(c.level.as_str().to_owned()),
            within_code: Set(c.within.clone()),
        });
        area_within::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

/// The alternative codes of several areas, in one statement, keyed by primary code.
pub async fn alt_codes(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> Result<HashMap<String, Vec<AltCode>>, StoreError> {
    let rows = area_alt_code::Entity::find()
        .filter(area_alt_code::Column::AreaCode.is_in(codes.iter().map(String::as_str)))
        .order_by_asc(area_alt_code::Column::Code)
        .all(db)
        .await?;
    let mut grouped: HashMap<String, Vec<AltCode>> = HashMap::new();
    for row in rows {
        grouped
            .entry(row.area_code.clone())
            .or_default()
            .push(AltCode {
                code: row.code,
                area: row.area_code,
                scheme: row.scheme,
            });
    }
    Ok(grouped)
}

/// Every local authority with the region (ITL1 area) it lies in, by authority code.
pub async fn authority_regions(
    db: &impl ConnectionTrait,
) -> Result<HashMap<String, String>, StoreError> {
    let rows: Vec<(String, String)> = area_within::Entity::find()
        .select_only()
        .column(area_within::Column::AreaCode)
        .column(area_within::Column::WithinCode)
        .filter(area_within::Column::Level.eq(AreaLevel::Region.as_str()))
        .filter(level_condition_on_within(AreaLevel::LocalAuthority))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Only containment rows of areas playing `level`'s part.
fn level_condition_on_within(level: AreaLevel) -> Condition {
    Condition::all().add(area_within::Column::AreaCode.in_subquery(playing(level)))
}

/// The local authorities lying within any of `codes` (primary codes, at any level; an
/// authority lies within itself), in code order.
pub async fn authorities_within(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> Result<Vec<String>, StoreError> {
    Ok(area_within::Entity::find()
        .select_only()
        .column(area_within::Column::AreaCode)
        .distinct()
        .filter(area_within::Column::WithinCode.is_in(codes.iter().map(String::as_str)))
        .filter(level_condition_on_within(AreaLevel::LocalAuthority))
        .order_by_asc(area_within::Column::AreaCode)
        .into_tuple()
        .all(db)
        .await?)
}

/// Every code an area is known by (primary and alternative, upper case) with the area's
/// primary code: what imports resolve area codes against.
pub async fn code_index(db: &impl ConnectionTrait) -> Result<HashMap<String, String>, StoreError> {
    let primary: Vec<String> = area::Entity::find()
        .select_only()
        .column(area::Column::Code)
        .into_tuple()
        .all(db)
        .await?;
    let alternative: Vec<(String, String)> = area_alt_code::Entity::find()
        .select_only()
        .column(area_alt_code::Column::Code)
        .column(area_alt_code::Column::AreaCode)
        .into_tuple()
        .all(db)
        .await?;
    let mut index: HashMap<String, String> = alternative
        .into_iter()
        .map(|(code, area)| (code.to_uppercase(), area))
        .collect();
    index.extend(primary.into_iter().map(|c| (c.to_uppercase(), c)));
    Ok(index)
}

/// The primary codes of the areas matching a filter, in code order.
pub async fn codes(
    db: &impl ConnectionTrait,
    filter: &AreaFilter,
) -> Result<Vec<String>, StoreError> {
    Ok(area::Entity::find()
        .select_only()
        .column(area::Column::Code)
        .filter(filter_condition(filter))
        .order_by_asc(area::Column::Code)
        .into_tuple()
        .all(db)
        .await?)
}

/// The local authorities within each of `codes` (primary codes), keyed by container.
pub async fn authorities_by_container(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> Result<std::collections::BTreeMap<String, Vec<String>>, StoreError> {
    let rows: Vec<(String, String)> = area_within::Entity::find()
        .select_only()
        .column(area_within::Column::WithinCode)
        .column(area_within::Column::AreaCode)
        .filter(area_within::Column::WithinCode.is_in(codes.iter().map(String::as_str)))
        .filter(level_condition_on_within(AreaLevel::LocalAuthority))
        .order_by_asc(area_within::Column::AreaCode)
        .into_tuple()
        .all(db)
        .await?;
    Ok(super::grouped(rows))
}
