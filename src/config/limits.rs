//! The limits every GraphQL request is checked against, and their defaults.

/// The limits a query is checked against. Each refusal names the limit and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of data fields (introspection has its own limits below).
    pub max_depth: usize,
    /// Highest total cost; a list field costs the items it can return times each item's
    /// cost (see `graphql::cost`).
    pub max_complexity: usize,
    /// Most fields selected at the root of one operation (aliases included).
    pub max_root_fields: usize,
    /// Most aliases in one document.
    pub max_aliases: usize,
    /// Most lexical tokens in the query text, counted before it is parsed.
    pub max_tokens: usize,
    /// Most fragment definitions in one document.
    pub max_fragments: usize,
    /// Most field selections once every fragment spread is expanded (counted without
    /// expanding).
    pub max_fields: u64,
    /// Deepest nesting inside `__schema` or `__type` (graphql-js' standard introspection
    /// query needs 14).
    pub max_introspection_depth: usize,
    /// Most introspection list fields (`types`, `fields`, `args`, ...) on one path: each level
    /// multiplies the answer by the size of the schema (the standard query needs 3).
    pub max_introspection_lists: usize,
    /// Most `__schema` and `__type` fields in one document, once expanded.
    pub max_introspection_roots: u64,
    /// Bounds on every argument and variable value.
    pub input: InputBounds,
    /// Whether the schema can be introspected (GraphiQL and code generators need it).
    pub introspection: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 12,
            max_complexity: 50_000,
            max_root_fields: 10,
            max_aliases: 30,
            max_tokens: 5_000,
            max_fragments: 50,
            max_fields: 1_000,
            max_introspection_depth: 16,
            max_introspection_lists: 3,
            max_introspection_roots: 2,
            input: InputBounds {
                max_string_chars: 100,
                max_list_items: 500,
            },
            introspection: true,
        }
    }
}

/// Bounds on every input value, whatever the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputBounds {
    /// Longest string, in characters.
    pub max_string_chars: usize,
    /// Most items in one list.
    pub max_list_items: usize,
}
