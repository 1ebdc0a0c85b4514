//! The one pagination helper: Relay connections over keyset pages ordered by code.

use async_graphql::connection::{Connection, Edge, OpaqueCursor};
use async_graphql::{OutputType, SimpleObject};

use super::error::ApiError;
use crate::store::areas::{Page, PageRequest};

/// How many items a connection returns when `first` is not given.
pub const DEFAULT_PAGE_SIZE: i32 = 20;
/// The most items one page may ask for.
pub const MAX_PAGE_SIZE: i32 = 100;

/// Fields every connection carries beside its edges.
#[derive(SimpleObject)]
pub struct ConnectionTotals {
    /// How many items match, over all pages.
    pub total_count: u64,
}

/// A connection of `Node`s with a total count, with opaque cursors.
pub type CodeConnection<Node> = Connection<OpaqueCursor<String>, Node, ConnectionTotals>;

/// Checks `first` and decodes `after` into a page request.
pub fn page_request(first: Option<i32>, after: Option<String>) -> Result<PageRequest, ApiError> {
    let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(0..=MAX_PAGE_SIZE).contains(&first) {
        return Err(ApiError::BadUserInput(format!(
            "`first` must be between 0 and {MAX_PAGE_SIZE}, got {first}"
        )));
    }
    let after = after
        .map(|cursor| {
            use async_graphql::connection::CursorType;
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
    let first = first.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
    usize::try_from(first)
        .unwrap_or(1)
        .saturating_mul(child_complexity)
        .saturating_add(1)
}

/// Builds a connection from a page, its total, each item's cursor key and node conversion.
pub fn connection<T, Node>(
    page: Page<T>,
    total_count: u64,
    had_cursor: bool,
    key: impl Fn(&T) -> String,
    node: impl Fn(T) -> Node,
) -> CodeConnection<Node>
where
    Node: OutputType,
{
    let mut connection = Connection::with_additional_fields(
        had_cursor,
        page.has_next,
        ConnectionTotals { total_count },
    );
    connection.edges.extend(
        page.items
            .into_iter()
            .map(|item| Edge::new(OpaqueCursor(key(&item)), node(item))),
    );
    connection
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_defaults_to_twenty_and_may_not_exceed_a_hundred() {
        assert_eq!(page_request(None, None).map(|p| p.first).ok(), Some(20));
        assert_eq!(page_request(Some(100), None).map(|p| p.first).ok(), Some(100));
        let err = page_request(Some(1000), None).expect_err("too many");
        assert_eq!(err.code(), "BAD_USER_INPUT");
        assert!(err.message().contains("between 0 and 100, got 1000"));
        assert!(page_request(Some(-1), None).is_err());
    }

    #[test]
    fn a_cursor_round_trips_and_garbage_is_refused() {
        use async_graphql::connection::CursorType;
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
