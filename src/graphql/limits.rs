//! Limits every query must stay within, so one request cannot exhaust the server, and error
//! codes for requests refused before execution (unparseable, invalid or over a limit).

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Response, ServerError, ServerResult, ValidationResult, Variables};

/// The limits a query is checked against. Each refusal names the limit and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of selections.
    pub max_depth: usize,
    /// Highest total cost; a list field costs its `first` times the cost of its items.
    pub max_complexity: usize,
    /// Most fields selected at the root of one operation (aliases included).
    pub max_root_fields: usize,
    /// Most aliases in one document.
    pub max_aliases: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 12,
            max_complexity: 10_000,
            max_root_fields: 10,
            max_aliases: 30,
        }
    }
}

/// The extension enforcing [`Limits`] and coding pre-execution errors.
pub struct QueryLimits(pub Limits);

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(QueryLimits(self.0))
    }
}

fn with_code(mut error: ServerError, code: &'static str) -> ServerError {
    let has_code = error
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some());
    if !has_code {
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", code);
    }
    error
}

fn refusal(message: String, code: &'static str, limit: &'static str, value: usize) -> ServerError {
    let mut error = ServerError::new(message, None);
    let ext = error.extensions.get_or_insert_with(Default::default);
    ext.set("code", code);
    ext.set("limit", limit);
    ext.set("limitValue", value);
    error
}

/// Counts root fields (through fragments) and aliases, guarding against fragment cycles,
/// which validation reports later.
struct Counter<'a> {
    doc: &'a ExecutableDocument,
    visiting: HashSet<&'a str>,
}

impl<'a> Counter<'a> {
    fn root_fields(&mut self, set: &'a SelectionSet) -> usize {
        let mut n = 0;
        for selection in &set.items {
            n += match &selection.node {
                Selection::Field(_) => 1,
                Selection::InlineFragment(f) => self.root_fields(&f.node.selection_set.node),
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    match self.doc.fragments.get(name) {
                        Some(fragment) if self.visiting.insert(name) => {
                            let n = self.root_fields(&fragment.node.selection_set.node);
                            self.visiting.remove(name);
                            n
                        }
                        _ => 0,
                    }
                }
            };
        }
        n
    }
}

fn aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|selection| match &selection.node {
            Selection::Field(f) => {
                usize::from(f.node.alias.is_some()) + aliases(&f.node.selection_set.node)
            }
            Selection::InlineFragment(f) => aliases(&f.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

impl QueryLimits {
    fn check_document(&self, doc: &ExecutableDocument) -> ServerResult<()> {
        let mut alias_count: usize = doc
            .fragments
            .values()
            .map(|f| aliases(&f.node.selection_set.node))
            .sum();
        for (_, operation) in doc.operations.iter() {
            let set = &operation.node.selection_set.node;
            let mut counter = Counter {
                doc,
                visiting: HashSet::new(),
            };
            let roots = counter.root_fields(set);
            if roots > self.0.max_root_fields {
                return Err(refusal(
                    format!(
                        "the operation selects {roots} root fields; the limit is {}",
                        self.0.max_root_fields
                    ),
                    "TOO_MANY_ROOT_FIELDS",
                    "maxRootFields",
                    self.0.max_root_fields,
                ));
            }
            alias_count += aliases(set);
        }
        if alias_count > self.0.max_aliases {
            return Err(refusal(
                format!(
                    "the query uses {alias_count} aliases; the limit is {}",
                    self.0.max_aliases
                ),
                "TOO_MANY_ALIASES",
                "maxAliases",
                self.0.max_aliases,
            ));
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Extension for QueryLimits {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next
            .run(ctx, query, variables)
            .await
            .map_err(|e| with_code(e, "GRAPHQL_PARSE_FAILED"))?;
        self.check_document(&doc)?;
        Ok(doc)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| with_code(e, "GRAPHQL_VALIDATION_FAILED"))
                .collect::<Vec<_>>()
        })?;
        if result.depth > self.0.max_depth {
            return Err(vec![refusal(
                format!(
                    "the query is nested {} levels deep; the limit is {}",
                    result.depth, self.0.max_depth
                ),
                "QUERY_TOO_DEEP",
                "maxDepth",
                self.0.max_depth,
            )]);
        }
        if result.complexity > self.0.max_complexity {
            return Err(vec![refusal(
                format!(
                    "the query's complexity is {}; the limit is {} (a list field costs its \
                     `first` times the cost of its items)",
                    result.complexity, self.0.max_complexity
                ),
                "QUERY_TOO_COMPLEX",
                "maxComplexity",
                self.0.max_complexity,
            )]);
        }
        Ok(result)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        // Resolvers code their own errors; what reaches here uncoded is the engine refusing an
        // argument or variable value.
        response.errors = response
            .errors
            .into_iter()
            .map(|e| with_code(e, "BAD_USER_INPUT"))
            .collect();
        response
    }
}
