//! The one pagination helper: Relay connections over keyset pages ordered by code.

use std::borrow::Cow;

use async_graphql::connection::{CursorType, OpaqueCursor, PageInfo};
use async_graphql::{OutputType, SimpleObject, TypeName};

use super::error::ApiError;
use crate::store::areas::{Page, PageRequest};

/// A type listed in pages: it names its connection and edge types, so this module need not
/// know every node type.
pub trait Paged: OutputType + Clone {
    /// The name of a page of these nodes, for example `AreaConnection`.
    const CONNECTION: &'static str;
    /// The name of one of these nodes with its cursor, for example `AreaEdge`.
    const EDGE: &'static str;
}

/// How many items a connection returns when `first` is not given.
pub const DEFAULT_PAGE_SIZE: i32 = 20;
/// The most items one page may ask for.
pub const MAX_PAGE_SIZE: i32 = 100;

/// A page of results in a stable order, with the total count and the cursor to continue
/// from (a Relay cursor connection).
#[derive(SimpleObject)]
#[graphql(name_type)]
pub struct Connection<N: Paged> {
    /// The items of this page, each with its cursor.
    pub edges: Vec<Edge<N>>,
    /// The items of this page, without cursors.
    pub nodes: Vec<N>,
    /// Whether more items follow, and the cursors to continue from.
    pub page_info: PageInfo,
    /// How many items match, over all pages.
    pub total_count: u64,
}

/// One item of a connection with its cursor.
#[derive(SimpleObject)]
#[graphql(name_type)]
pub struct Edge<N: Paged> {
    /// The item.
    pub node: N,
    /// Pass as `after` to get the items that follow this one.
    pub cursor: String,
}

impl<N: Paged> TypeName for Connection<N> {
    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed(N::CONNECTION)
    }
}

impl<N: Paged> TypeName for Edge<N> {
    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed(N::EDGE)
    }
}

/// The most items one page of a map-sized list (every local authority at once) may ask for.
pub const MAX_MAP_PAGE_SIZE: i32 = 500;

/// Checks `first` and decodes `after` into a page request.
pub fn page_request(first: Option<i32>, after: Option<String>) -> Result<PageRequest, ApiError> {
    page_request_up_to(first, after, MAX_PAGE_SIZE)
}

/// Checks `first` (at most `max`) and decodes `after` into a page request.
pub fn page_request_up_to(
    first: Option<i32>,
    after: Option<String>,
    max: i32,
) -> Result<PageRequest, ApiError> {
    let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(0..=max).contains(&first) {
        return Err(ApiError::BadUserInput(format!(
            "`first` must be between 0 and {max}, got {first}"
        )));
    }
    let after = after
        .map(|cursor| {
            OpaqueCursor::<String>::decode_cursor(&cursor)
                .map(|c| c.0)
                .map_err(|_| {
                    ApiError::BadUserInput(format!(
                        "`after` is not a cursor this API gave out: {cursor:?}"
                    ))
                })
        })
        .transpose()?;
    Ok(PageRequest {
        after,
        first: u64::try_from(first).unwrap_or(0),
    })
}

/// The complexity of a list field: its `first` (defaulted and clamped) times its items' cost.
pub fn list_complexity(first: Option<i32>, child_complexity: usize) -> usize {
    complexity_up_to(first, child_complexity, MAX_PAGE_SIZE)
}

/// The complexity of a map-sized list. Its items count a tenth: a map of every authority is
/// one page of cheap, batched rows, and must fit the default limit.
pub fn map_list_complexity(first: Option<i32>, child_complexity: usize) -> usize {
    complexity_up_to(first, child_complexity, MAX_MAP_PAGE_SIZE) / 10 + 1
}

fn complexity_up_to(first: Option<i32>, child_complexity: usize, max: i32) -> usize {
    let first = first.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, max);
    usize::try_from(first)
        .unwrap_or(1)
        .saturating_mul(child_complexity)
        .saturating_add(1)
}

/// Builds a connection from a page, its total, each item's cursor key and node conversion.
pub fn connection<T, N>(
    page: Page<T>,
    total_count: u64,
    had_cursor: bool,
    key: impl Fn(&T) -> String,
    node: impl Fn(T) -> N,
) -> Connection<N>
where
    N: Paged,
{
    let edges: Vec<Edge<N>> = page
        .items
        .into_iter()
        .map(|item| Edge {
            cursor: OpaqueCursor(key(&item)).encode_cursor(),
            node: node(item),
        })
        .collect();
    let page_info = PageInfo {
        has_previous_page: had_cursor,
        has_next_page: page.has_next,
        start_cursor: edges.first().map(|e| e.cursor.clone()),
        end_cursor: edges.last().map(|e| e.cursor.clone()),
    };
    Connection {
        nodes: edges.iter().map(|e| e.node.clone()).collect(),
        edges,
        page_info,
        total_count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_defaults_to_twenty_and_may_not_exceed_a_hundred() {
        assert_eq!(page_request(None, None).map(|p| p.first).ok(), Some(20));
        assert_eq!(
            page_request(Some(100), None).map(|p| p.first).ok(),
            Some(100)
        );
        let err = page_request(Some(1000), None).expect_err("too many");
        assert_eq!(err.code(), "BAD_USER_INPUT");
        assert!(err.message().contains("between 0 and 100, got 1000"));
        assert!(page_request(Some(-1), None).is_err());
    }

    #[test]
    fn a_cursor_round_trips_and_garbage_is_refused() {
        let cursor = OpaqueCursor("E09000001".to_owned()).encode_cursor();
        assert_eq!(
            page_request(None, Some(cursor)).ok().and_then(|p| p.after),
            Some("E09000001".to_owned())
        );
        assert!(page_request(None, Some("not a cursor".into())).is_err());
    }

    #[test]
    fn list_complexity_grows_with_first() {
        assert_eq!(list_complexity(Some(100), 3), 301);
        assert_eq!(list_complexity(None, 3), 61);
        assert_eq!(list_complexity(Some(100_000), 3), 301);
    }
}
