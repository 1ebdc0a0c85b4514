//! Persisted (trusted) queries: named documents shipped with the server (the explorer's own
//! questions) and added by the operator, each known by its name and by the SHA-256 of its
//! text, so clients can call them by URL (`/q/{name}`) or by hash (the persisted-query
//! extension of Apollo's conventions), and a server may refuse any other document.
//!
//! Every document is checked against the schema when the server starts (one query
//! operation, every field known), so a broken one stops the server instead of failing its
//! callers.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use async_graphql::Variables;
use async_graphql::parser::types::{
    BaseType, ExecutableDocument, OperationType, Type, VariableDefinition,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::tabular::{Plan, SchemaTypes};

/// The queries shipped with the server, as `(name, text)`.
const SHIPPED: [(&str, &str); 13] = [
    (
        "cold-spot-map",
        include_str!("queries/cold-spot-map.graphql"),
    ),
    (
        "workforce-distribution",
        include_str!("queries/workforce-distribution.graphql"),
    ),
    (
        "workforce-benchmark",
        include_str!("queries/workforce-benchmark.graphql"),
    ),
    ("who-gets-on", include_str!("queries/who-gets-on.graphql")),
    (
        "programme-series",
        include_str!("queries/programme-series.graphql"),
    ),
    (
        "programme-reach",
        include_str!("queries/programme-reach.graphql"),
    ),
    (
        "indicator-values",
        include_str!("queries/indicator-values.graphql"),
    ),
    (
        "reference-populations",
        include_str!("queries/reference-populations.graphql"),
    ),
    ("indicators", include_str!("queries/indicators.graphql")),
    ("map-areas", include_str!("queries/map-areas.graphql")),
    ("area-profile", include_str!("queries/area-profile.graphql")),
    ("programmes", include_str!("queries/programmes.graphql")),
    ("employers", include_str!("queries/employers.graphql")),
];

/// Longest name a persisted query may have.
const MAX_NAME: usize = 64;

/// Why the persisted queries could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PersistedError {
    /// The operator's directory could not be read.
    #[error("persisted queries: cannot read {path}: {source}")]
    Read {
        /// The directory or file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A document is not a usable persisted query.
    #[error("persisted query `{name}`: {reason}")]
    Invalid {
        /// The query's name (its file name without `.graphql`).
        name: String,
        /// What is wrong.
        reason: String,
    },
}

/// Where a persisted query comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Shipped with the server.
    Shipped,
    /// Added by the operator.
    Operator,
}

/// One variable of a persisted query, as listed to clients.
#[derive(Debug, Clone, Serialize)]
pub struct VariableSpec {
    /// Its name, without `$`; the URL parameter of the same name sets it.
    pub name: String,
    /// Its GraphQL type, for example `[String!]`.
    #[serde(rename = "type")]
    pub ty: String,
    /// Whether it must be given (non-null, without a default).
    pub required: bool,
    /// Its default, as GraphQL writes it, when it has one.
    pub default: Option<String>,
    #[serde(skip)]
    base: ValueKind,
    #[serde(skip)]
    list: bool,
}

/// How a URL parameter's text becomes a variable's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueKind {
    Int,
    Float,
    Boolean,
    /// Strings, IDs and enums: the text as it is.
    Text,
    /// Input objects: JSON text.
    Json,
}

/// A persisted query.
#[derive(Debug, Clone)]
pub struct PersistedQuery {
    /// Its name: what `/q/{name}` calls it by.
    pub name: String,
    /// What it answers (its leading `#` comment lines).
    pub description: String,
    /// The document, as its text is hashed.
    pub document: String,
    /// The SHA-256 of the document's text, in lower-case hexadecimal.
    pub sha256: String,
    /// Its variables, in the order declared.
    pub variables: Vec<VariableSpec>,
    /// Shipped or added by the operator.
    pub origin: Origin,
    /// The parsed document (checked against the schema).
    pub parsed: ExecutableDocument,
}

/// A URL parameter that cannot set a variable.
#[derive(Debug, thiserror::Error)]
#[error("parameter `{name}`: {reason}")]
pub struct VariableError {
    /// The parameter.
    pub name: String,
    /// Why.
    pub reason: String,
}

/// The SHA-256 of a document's text, as the persisted-query extension names it.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Every persisted query, by name and by hash.
#[derive(Debug, Default)]
pub struct PersistedQueries {
    by_name: BTreeMap<String, PersistedQuery>,
    by_hash: HashMap<String, String>,
}

impl PersistedQueries {
    /// The shipped queries and those in `dir` (each `*.graphql` file one query named by its
    /// file name), each checked against the schema `types`.
    pub fn load(types: &SchemaTypes, dir: Option<&Path>) -> Result<Self, PersistedError> {
        let mut queries = PersistedQueries::default();
        for (name, text) in SHIPPED {
            queries.add(types, name, text.to_owned(), Origin::Shipped)?;
        }
        if let Some(dir) = dir {
            let read = |source| PersistedError::Read {
                path: dir.to_owned(),
                source,
            };
            let mut files = Vec::new();
            for entry in std::fs::read_dir(dir).map_err(read)? {
                let path = entry.map_err(read)?.path();
                if path.extension().is_some_and(|e| e == "graphql") {
                    files.push(path);
                }
            }
            files.sort();
            for path in files {
                let name = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or_default()
                    .to_owned();
                let text =
                    std::fs::read_to_string(&path).map_err(|source| PersistedError::Read {
                        path: path.clone(),
                        source,
                    })?;
                queries.add(types, &name, text, Origin::Operator)?;
            }
        }
        Ok(queries)
    }

    fn add(
        &mut self,
        types: &SchemaTypes,
        name: &str,
        document: String,
        origin: Origin,
    ) -> Result<(), PersistedError> {
        let invalid = |reason: String| PersistedError::Invalid {
            name: name.to_owned(),
            reason,
        };
        let name_ok = !name.is_empty()
            && name.len() <= MAX_NAME
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !name_ok {
            return Err(invalid(format!(
                "a name is 1 to {MAX_NAME} lower-case letters, digits, `-` or `_`"
            )));
        }
        if self.by_name.contains_key(name) {
            return Err(invalid("another query has this name".to_owned()));
        }
        let parsed = async_graphql::parser::parse_query(&document)
            .map_err(|e| invalid(format!("not a GraphQL document: {e}")))?;
        let mut operations = parsed.operations.iter();
        let (Some((_, operation)), None) = (operations.next(), operations.next()) else {
            return Err(invalid(
                "a persisted query holds exactly one operation".to_owned(),
            ));
        };
        if operation.node.ty != OperationType::Query {
            return Err(invalid("only queries can be persisted".to_owned()));
        }
        Plan::build(types, &parsed, None).map_err(|e| invalid(e.to_string()))?;
        let variables = operation
            .node
            .variable_definitions
            .iter()
            .map(|v| variable_spec(types, &v.node))
            .collect();
        let sha256 = sha256_hex(&document);
        if let Some(other) = self.by_hash.get(&sha256) {
            return Err(invalid(format!("its text is the same as `{other}`")));
        }
        let description = document
            .lines()
            .map(str::trim)
            .take_while(|l| l.starts_with('#'))
            .map(|l| l.trim_start_matches('#').trim())
            .collect::<Vec<_>>()
            .join(" ");
        self.by_hash.insert(sha256.clone(), name.to_owned());
        self.by_name.insert(
            name.to_owned(),
            PersistedQuery {
                name: name.to_owned(),
                description,
                document,
                sha256,
                variables,
                origin,
                parsed,
            },
        );
        Ok(())
    }

    /// The query called `name`.
    pub fn by_name(&self, name: &str) -> Option<&PersistedQuery> {
        self.by_name.get(name)
    }

    /// The query whose text has this SHA-256 (lower-case hexadecimal; case is ignored).
    pub fn by_hash(&self, sha256: &str) -> Option<&PersistedQuery> {
        let name = self.by_hash.get(&sha256.to_ascii_lowercase())?;
        self.by_name.get(name)
    }

    /// Every query, by name.
    pub fn iter(&self) -> impl Iterator<Item = &PersistedQuery> {
        self.by_name.values()
    }
}

fn variable_spec(types: &SchemaTypes, definition: &VariableDefinition) -> VariableSpec {
    let ty = &definition.var_type.node;
    let (named, list) = match &ty.base {
        BaseType::Named(name) => (name.as_str(), false),
        BaseType::List(inner) => (innermost(inner), true),
    };
    let base = match named {
        "Int" => ValueKind::Int,
        "Float" => ValueKind::Float,
        "Boolean" => ValueKind::Boolean,
        other if types.is_input_object(other) => ValueKind::Json,
        _ => ValueKind::Text,
    };
    VariableSpec {
        name: definition.name.node.to_string(),
        ty: ty.to_string(),
        required: !ty.nullable && definition.default_value.is_none(),
        default: definition
            .default_value
            .as_ref()
            .map(|v| v.node.to_string()),
        base,
        list,
    }
}

fn innermost(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => innermost(inner),
    }
}

impl PersistedQuery {
    /// The variables set by URL parameters `params` (name and value, in order; a list
    /// variable takes every value given for it, or one JSON array). Parameters in
    /// `reserved` (the server's own, such as `format`) are passed over.
    pub fn variables_from(
        &self,
        params: &[(String, String)],
        reserved: &[&str],
    ) -> Result<Variables, VariableError> {
        let mut values: serde_json::Map<String, serde_json::Value> = serde_json::Map::new();
        for (name, text) in params {
            if reserved.contains(&name.as_str()) {
                continue;
            }
            let Some(spec) = self.variables.iter().find(|v| v.name == *name) else {
                let known: Vec<&str> = self.variables.iter().map(|v| v.name.as_str()).collect();
                return Err(VariableError {
                    name: name.clone(),
                    reason: format!(
                        "`{}` has no such variable (it has: {})",
                        self.name,
                        if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ),
                });
            };
            let value = spec.parse(text)?;
            match (spec.list, values.get_mut(name)) {
                (true, Some(serde_json::Value::Array(items))) => match value {
                    serde_json::Value::Array(more) => items.extend(more),
                    one => items.push(one),
                },
                (false, Some(_)) => {
                    return Err(VariableError {
                        name: name.clone(),
                        reason: "given more than once, but it takes one value".to_owned(),
                    });
                }
                (true, _) => {
                    let items = match value {
                        serde_json::Value::Array(items) => items,
                        one => vec![one],
                    };
                    values.insert(name.clone(), serde_json::Value::Array(items));
                }
                (false, None) => {
                    values.insert(name.clone(), value);
                }
            }
        }
        if let Some(missing) = self
            .variables
            .iter()
            .find(|v| v.required && !values.contains_key(&v.name))
        {
            return Err(VariableError {
                name: missing.name.clone(),
                reason: format!("required by `{}` ({})", self.name, missing.ty),
            });
        }
        Ok(Variables::from_json(serde_json::Value::Object(values)))
    }
}

impl VariableSpec {
    /// One URL value as this variable's value (or, for a list, one item of it or a JSON
    /// array of them).
    fn parse(&self, text: &str) -> Result<serde_json::Value, VariableError> {
        let fail = |what: &str| VariableError {
            name: self.name.clone(),
            reason: format!("`{text}` is not {what}"),
        };
        if self.list && text.trim_start().starts_with('[') {
            return serde_json::from_str(text).map_err(|_| fail("a JSON array"));
        }
        Ok(match self.base {
            ValueKind::Int => text
                .trim()
                .parse::<i64>()
                .map(serde_json::Value::from)
                .map_err(|_| fail("a whole number"))?,
            ValueKind::Float => text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(serde_json::Value::from)
                .ok_or_else(|| fail("a number"))?,
            ValueKind::Boolean => match text.trim() {
                "true" => serde_json::Value::Bool(true),
                "false" => serde_json::Value::Bool(false),
                _ => return Err(fail("`true` or `false`")),
            },
            ValueKind::Text => serde_json::Value::String(text.to_owned()),
            ValueKind::Json => serde_json::from_str(text).map_err(|_| fail("a JSON object"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> PersistedQueries {
        let types = SchemaTypes::from_sdl(&super::super::sdl()).expect("the schema parses");
        PersistedQueries::load(&types, None).expect("the shipped queries are valid")
    }

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_shipped_query_is_known_by_name_and_hash() {
        let queries = shipped();
        assert_eq!(queries.iter().count(), SHIPPED.len());
        for (name, text) in SHIPPED {
            let query = queries.by_name(name).expect("known by name");
            assert_eq!(query.document, text);
            assert!(!query.description.is_empty(), "{name} has no description");
            let by_hash = queries.by_hash(&sha256_hex(text)).expect("known by hash");
            assert_eq!(by_hash.name, name);
        }
    }

    #[test]
    fn url_parameters_become_typed_variables() {
        let queries = shipped();
        let query = queries.by_name("workforce-distribution").expect("shipped");
        let variables = query
            .variables_from(
                &params(&[
                    ("years", "2023"),
                    ("years", "2024"),
                    ("employers", "[\"HMRC\"]"),
                    ("joinersOnly", "true"),
                    ("by", "REGION"),
                    ("format", "csv"),
                ]),
                &["format"],
            )
            .expect("valid");
        let json = variables.into_value().into_json().expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "years": [2023, 2024],
                "employers": ["HMRC"],
                "joinersOnly": true,
                "by": ["REGION"],
            })
        );
    }

    #[test]
    fn bad_parameters_are_named() {
        let queries = shipped();
        let query = queries.by_name("workforce-distribution").expect("shipped");
        let refused = |pairs: &[(&str, &str)]| {
            query
                .variables_from(&params(pairs), &["format"])
                .expect_err("refused")
        };
        let e = refused(&[("year", "2023")]);
        assert_eq!(e.name, "year");
        assert!(e.reason.contains("years"), "{}", e.reason);
        let e = refused(&[("years", "twenty")]);
        assert_eq!(e.name, "years");
        assert!(e.reason.contains("whole number"), "{}", e.reason);
        let e = refused(&[("joinersOnly", "yes")]);
        assert_eq!(e.name, "joinersOnly");
        let e = refused(&[
            ("measure", "PARENTAL_OCCUPATION"),
            ("measure", "SCHOOL_TYPE"),
        ]);
        assert!(e.reason.contains("more than once"), "{}", e.reason);
        let map = queries.by_name("cold-spot-map").expect("shipped");
        let e = map
            .variables_from(&params(&[]), &[])
            .expect_err("period is required");
        assert_eq!(e.name, "period");
    }

    #[test]
    fn documents_that_cannot_serve_are_refused() {
        let types = SchemaTypes::from_sdl(&super::super::sdl()).expect("the schema parses");
        let mut queries = PersistedQueries::default();
        let mut refuse = |name: &str, text: &str| {
            queries
                .add(&types, name, text.to_owned(), Origin::Operator)
                .expect_err(text)
                .to_string()
        };
        assert!(refuse("a", "query { nope }").contains("nope"));
        assert!(
            refuse(
                "b",
                "query A { employers { code } } query B { employers { code } }"
            )
            .contains("exactly one")
        );
        assert!(refuse("c", "{ employers { code ").contains("not a GraphQL document"));
        assert!(refuse("Bad Name", "{ employers { code } }").contains("lower-case"));
    }
}
