//! Limits every query must stay within, so one request cannot exhaust the server, and error
//! codes for requests refused before execution (unparseable, invalid or over a limit).

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest,
    NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, Response, ServerError, ServerResult, ValidationResult, Variables};

use super::document::{self, BadInput};
use super::error::quote;
pub use crate::config::Limits;

/// The extension enforcing [`Limits`] and coding pre-execution errors.
pub struct QueryLimits(pub Limits);

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(QueryLimits(self.0))
    }
}

/// The longest name (of a field, argument, alias, fragment, variable) or number a query may
/// hold: no name in the schema comes near it.
const MAX_NAME_CHARS: usize = 100;

/// The longest error message sent, in characters: messages may quote the query or its input,
/// and a client must not get a megabyte back for a megabyte sent.
const MAX_MESSAGE_CHARS: usize = 300;

/// Cuts an over-long message, at a character boundary.
fn bounded(mut error: ServerError) -> ServerError {
    if let Some((cut, _)) = error.message.char_indices().nth(MAX_MESSAGE_CHARS) {
        error.message.truncate(cut);
        error.message.push_str("… (message cut)");
    }
    error
}

/// The starts of the engine's messages about a client's argument or variable values.
const INPUT_ERRORS: [&str; 5] = [
    "Failed to parse ",
    "Expected input type ",
    "Invalid value for argument",
    "Variable ",
    "Schema is not configured for ",
];

/// An error the engine raised during execution, coded: the client's input, or an internal
/// error logged here and reported without its text.
fn engine_error(error: ServerError) -> ServerError {
    let coded = error
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some());
    if coded || INPUT_ERRORS.iter().any(|s| error.message.starts_with(s)) {
        return with_code(error, "BAD_USER_INPUT");
    }
    tracing::error!(error = %error.message, "uncoded error while executing a query");
    let mut internal = ServerError::new("internal error", error.locations.first().copied());
    internal.path = error.path;
    with_code(internal, "INTERNAL")
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
    bounded(error)
}

fn refusal(message: String, code: &'static str, limit: &'static str, value: u64) -> ServerError {
    let mut error = ServerError::new(message, None);
    let ext = error.extensions.get_or_insert_with(Default::default);
    ext.set("code", code);
    ext.set("limit", limit);
    ext.set("limitValue", value);
    error
}

fn bad_input(bad: BadInput) -> ServerError {
    let mut error = ServerError::new(format!("`{}` {}", quote(&bad.name), bad.reason), None);
    let ext = error.extensions.get_or_insert_with(Default::default);
    ext.set("code", "BAD_USER_INPUT");
    ext.set("argument", quote(&bad.name));
    error
}

/// Refuses when `actual` is over `limit`, with a message of the form
/// "<what>: <actual>; the limit is <limit>".
fn at_most(
    actual: u64,
    limit: u64,
    what: &str,
    code: &'static str,
    name: &'static str,
) -> ServerResult<()> {
    if actual > limit {
        return Err(refusal(
            format!("{what}: {actual}; the limit is {limit}"),
            code,
            name,
            limit,
        ));
    }
    Ok(())
}

impl QueryLimits {
    fn check_document(&self, doc: &ExecutableDocument) -> ServerResult<()> {
        let l = &self.0;
        let document = document::measure(doc);
        let m = document.expanded;
        let n = |v: usize| u64::try_from(v).unwrap_or(u64::MAX);
        // Fragments first: the measures below recurse through them.
        at_most(
            n(document.fragments),
            n(l.max_fragments),
            "fragment definitions in the query",
            "TOO_MANY_FRAGMENTS",
            "maxFragments",
        )?;
        at_most(
            m.fields,
            l.max_fields,
            "fields in the query once its fragments are expanded",
            "QUERY_TOO_LARGE",
            "maxFields",
        )?;
        at_most(
            m.root_fields,
            n(l.max_root_fields),
            "root fields in one operation",
            "TOO_MANY_ROOT_FIELDS",
            "maxRootFields",
        )?;
        at_most(
            n(document.aliases),
            n(l.max_aliases),
            "aliases in the query",
            "TOO_MANY_ALIASES",
            "maxAliases",
        )?;
        at_most(
            n(m.depth),
            n(l.max_depth),
            "the query's nesting depth",
            "QUERY_TOO_DEEP",
            "maxDepth",
        )?;
        if m.introspection_roots > 0 && !l.introspection {
            let mut error = ServerError::new("introspection is turned off on this server", None);
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", "INTROSPECTION_DISABLED");
            return Err(error);
        }
        at_most(
            m.introspection_roots,
            l.max_introspection_roots,
            "introspection fields (`__schema`, `__type`) in the query",
            "INTROSPECTION_TOO_LARGE",
            "maxIntrospectionRoots",
        )?;
        at_most(
            n(m.introspection_depth),
            n(l.max_introspection_depth),
            "the nesting depth inside introspection",
            "INTROSPECTION_TOO_DEEP",
            "maxIntrospectionDepth",
        )?;
        at_most(
            n(m.introspection_lists),
            n(l.max_introspection_lists),
            "introspection lists (`types`, `fields`, `args`, ...) nested on one path",
            "INTROSPECTION_TOO_DEEP",
            "maxIntrospectionLists",
        )?;
        document::check_arguments(doc, l.input).map_err(bad_input)
    }
}

#[async_trait::async_trait]
impl Extension for QueryLimits {
    /// Every check that needs only the text runs here, before async-graphql's own parse
    /// step: that step walks fragment spreads without memoising them (its recursion-depth
    /// check), which is exponential in a fragment-doubling document. The document parsed here
    /// is kept on the request, so it is parsed once.
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let text = document::measure_text(&request.query);
        let n = |v: usize| u64::try_from(v).unwrap_or(u64::MAX);
        at_most(
            n(text.tokens),
            n(self.0.max_tokens),
            "tokens in the query text",
            "TOO_MANY_TOKENS",
            "maxTokens",
        )?;
        at_most(
            n(text.longest_name),
            n(MAX_NAME_CHARS),
            "characters in the longest name or number in the query",
            "NAME_TOO_LONG",
            "maxNameChars",
        )?;
        document::check_variables(&request.variables, self.0.input).map_err(bad_input)?;
        let doc = request
            .parsed_query()
            .map_err(|e| with_code(e, "GRAPHQL_PARSE_FAILED"))?;
        self.check_document(doc)?;
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables)
            .await
            .map_err(|e| with_code(e, "GRAPHQL_PARSE_FAILED"))
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
        if result.complexity > self.0.max_complexity {
            return Err(vec![refusal(
                format!(
                    "the query's complexity is {}; the limit is {} (a list field costs the \
                     items it can return, its `first` or its documented maximum, times the cost \
                     of each item)",
                    result.complexity, self.0.max_complexity
                ),
                "QUERY_TOO_COMPLEX",
                "maxComplexity",
                u64::try_from(self.0.max_complexity).unwrap_or(u64::MAX),
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
        // Resolvers can only fail with an `ApiError`, which carries its code; what reaches
        // here uncoded comes from the engine: a refused argument or variable value is the
        // client's, anything else is ours and is not described to the client.
        response.errors = response.errors.into_iter().map(engine_error).collect();
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(error: &ServerError) -> String {
        let ext = error.extensions.as_ref().expect("coded");
        ext.get("code").expect("a code").to_string()
    }

    #[test]
    fn engine_errors_about_input_values_are_the_clients() {
        for message in [
            r#"Failed to parse "Int": not a number"#,
            r#"Expected input type "String", found 3."#,
            "Invalid value for argument \"first\"",
            "Variable x is not defined.",
        ] {
            let coded = engine_error(ServerError::new(message, None));
            assert_eq!(code(&coded), "\"BAD_USER_INPUT\"", "{message}");
            assert_eq!(coded.message, message);
        }
    }

    #[test]
    fn other_uncoded_errors_are_internal_and_say_nothing() {
        let coded = engine_error(ServerError::new(
            "database pool exhausted at 10.0.0.3",
            None,
        ));
        assert_eq!(code(&coded), "\"INTERNAL\"");
        assert_eq!(coded.message, "internal error");
    }

    #[test]
    fn a_code_already_set_is_kept() {
        let mut error = ServerError::new("no area has the code `X`", None);
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", "NOT_FOUND");
        assert_eq!(code(&engine_error(error)), "\"NOT_FOUND\"");
    }
}
