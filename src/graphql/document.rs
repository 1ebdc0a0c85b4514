//! Measures of a query document taken in time linear in its text, before validation.
//!
//! A document can name a fragment that spreads another twice, which spreads another twice, and
//! so on: 1 KB of text that expands to millions of fields. Anything that walks the expansion
//! (validation, a naive counter) is exponential in it. Here every fragment is measured once and
//! its measures are reused wherever it is spread, so the cost is linear in the text whatever
//! it expands to, and a document over a limit is refused before anything expensive runs.

use crate::config::InputBounds;
use std::collections::HashMap;

use async_graphql::Name;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

/// Root fields of the introspection system, measured by their own rules: their nesting is
/// bounded by the schema itself, so the depth limit meant for data does not apply.
const INTROSPECTION_ROOTS: [&str; 2] = ["__schema", "__type"];

/// Introspection fields that return lists. Each level of them multiplies the answer by the
/// number of types, fields or arguments in the schema.
const INTROSPECTION_LISTS: [&str; 9] = [
    "types",
    "fields",
    "args",
    "inputFields",
    "interfaces",
    "possibleTypes",
    "enumValues",
    "directives",
    "locations",
];

/// What a GraphQL text holds, counted without parsing it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TextMeasure {
    /// Lexical tokens (names, numbers, strings, punctuators); comments, commas and white
    /// space are not tokens.
    pub tokens: usize,
    /// The longest name or number, in bytes. Names in this schema are short; a huge one only
    /// costs validation time (it is compared with every known name for a suggestion).
    pub longest_name: usize,
}

/// How many lexical tokens a GraphQL text holds (see [`measure_text`]).
pub fn count_tokens(text: &str) -> usize {
    measure_text(text).tokens
}

/// Measures a GraphQL text in one pass, without parsing it. Unterminated strings end the
/// count; the parser reports them.
pub fn measure_text(text: &str) -> TextMeasure {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut tokens = 0;
    let mut longest_name = 0;
    let done = |tokens, longest_name| TextMeasure {
        tokens,
        longest_name,
    };
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            // The byte-order mark, allowed as white space.
            0xEF if bytes[i..].starts_with(&[0xEF, 0xBB, 0xBF]) => i += 3,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' => {
                tokens += 1;
                if bytes[i..].starts_with(b"\"\"\"") {
                    i += 3;
                    loop {
                        if i >= bytes.len() {
                            return done(tokens, longest_name);
                        }
                        if bytes[i..].starts_with(b"\\\"\"\"") {
                            i += 4;
                        } else if bytes[i..].starts_with(b"\"\"\"") {
                            i += 3;
                            break;
                        } else {
                            i += 1;
                        }
                    }
                } else {
                    i += 1;
                    loop {
                        match bytes.get(i) {
                            None | Some(b'\n') | Some(b'\r') => return done(tokens, longest_name),
                            Some(b'\\') => i += 2,
                            Some(b'"') => {
                                i += 1;
                                break;
                            }
                            Some(_) => i += 1,
                        }
                    }
                }
            }
            b'.' if bytes[i..].starts_with(b"...") => {
                tokens += 1;
                i += 3;
            }
            b if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' => {
                // A name or a number: one token up to the next separator or punctuator.
                tokens += 1;
                let start = i;
                i += 1;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'_' | b'.' | b'+'))
                {
                    i += 1;
                }
                longest_name = longest_name.max(i - start);
            }
            _ => {
                // A punctuator, or a byte the parser will refuse: one token either way.
                tokens += 1;
                i += 1;
            }
        }
    }
    done(tokens, longest_name)
}

/// What one selection set (with every fragment it spreads) amounts to once expanded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Measure {
    /// Field selections after expanding every fragment spread.
    pub fields: u64,
    /// Deepest nesting of data fields (introspection subtrees not counted).
    pub depth: usize,
    /// Fields selected directly in the set (through fragments), as an operation's root.
    pub root_fields: u64,
    /// Deepest nesting inside `__schema` or `__type`.
    pub introspection_depth: usize,
    /// Most introspection list fields on one path inside `__schema` or `__type`.
    pub introspection_lists: usize,
    /// How many `__schema` and `__type` fields the expansion selects.
    pub introspection_roots: u64,
}

impl Measure {
    /// Two sibling selections together: their fields add up, depths take the deeper.
    fn beside(self, other: Measure) -> Measure {
        Measure {
            fields: self.fields.saturating_add(other.fields),
            depth: self.depth.max(other.depth),
            root_fields: self.root_fields.saturating_add(other.root_fields),
            introspection_depth: self.introspection_depth.max(other.introspection_depth),
            introspection_lists: self.introspection_lists.max(other.introspection_lists),
            introspection_roots: self
                .introspection_roots
                .saturating_add(other.introspection_roots),
        }
    }

    /// Two operations of one document: as siblings, except that root fields are counted per
    /// operation (only one runs).
    fn across(self, other: Measure) -> Measure {
        Measure {
            root_fields: self.root_fields.max(other.root_fields),
            ..self.beside(other)
        }
    }
}

/// The measures of a document: validation looks at every operation, so `expanded` combines
/// them all (root fields: the most any one operation selects).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DocumentMeasure {
    /// Fragment definitions in the document.
    pub fragments: usize,
    /// Aliases written in the document (each occurrence in the text once).
    pub aliases: usize,
    /// The operations once expanded.
    pub expanded: Measure,
}

/// Measures a parsed document in time linear in its size.
pub fn measure(doc: &ExecutableDocument) -> DocumentMeasure {
    let mut walker = Walker {
        doc,
        memo: HashMap::new(),
    };
    let mut total = DocumentMeasure {
        fragments: doc.fragments.len(),
        aliases: doc
            .fragments
            .values()
            .map(|f| aliases(&f.node.selection_set.node))
            .sum(),
        expanded: Measure::default(),
    };
    for (_, operation) in doc.operations.iter() {
        let set = &operation.node.selection_set.node;
        total.expanded = total.expanded.across(walker.set(set));
        total.aliases += aliases(set);
    }
    total
}

/// The state of a fragment's measure: being measured (a cycle, which validation reports) or
/// measured.
enum Memo {
    Visiting,
    Done(SetMeasure),
}

/// A selection set measured in both readings: as data, and as the inside of an introspection
/// field (where its fields count as introspection depth and lists).
#[derive(Clone, Copy, Default)]
struct SetMeasure {
    data: Measure,
    /// Depth of the set read as introspection.
    intro_depth: usize,
    /// Introspection list nesting of the set read as introspection.
    intro_lists: usize,
}

struct Walker<'a> {
    doc: &'a ExecutableDocument,
    memo: HashMap<&'a str, Memo>,
}

impl<'a> Walker<'a> {
    fn set(&mut self, set: &'a SelectionSet) -> Measure {
        self.both(set).data
    }

    fn fragment(&mut self, name: &'a Name) -> SetMeasure {
        match self.memo.get(name.as_str()) {
            Some(Memo::Done(m)) => return *m,
            Some(Memo::Visiting) => return SetMeasure::default(),
            None => {}
        }
        let Some(fragment) = self.doc.fragments.get(name) else {
            // An unknown fragment: validation reports it.
            return SetMeasure::default();
        };
        self.memo.insert(name.as_str(), Memo::Visiting);
        let m = self.both(&fragment.node.selection_set.node);
        self.memo.insert(name.as_str(), Memo::Done(m));
        m
    }

    fn both(&mut self, set: &'a SelectionSet) -> SetMeasure {
        let mut out = SetMeasure::default();
        for selection in &set.items {
            let inner = match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let name = field.name.node.as_str();
                    let sub = self.both(&field.selection_set.node);
                    let fields = 1u64.saturating_add(sub.data.fields);
                    let data = if INTROSPECTION_ROOTS.contains(&name) {
                        // The subtree is read as introspection: no data depth of its own.
                        Measure {
                            fields,
                            depth: 0,
                            root_fields: 1,
                            introspection_depth: 1 + sub.intro_depth,
                            introspection_lists: sub.intro_lists,
                            introspection_roots: 1u64.saturating_add(sub.data.introspection_roots),
                        }
                    } else {
                        Measure {
                            fields,
                            depth: 1 + sub.data.depth,
                            root_fields: 1,
                            ..sub.data
                        }
                    };
                    SetMeasure {
                        data,
                        intro_depth: 1 + sub.intro_depth,
                        intro_lists: usize::from(INTROSPECTION_LISTS.contains(&name))
                            + sub.intro_lists,
                    }
                }
                Selection::InlineFragment(fragment) => self.both(&fragment.node.selection_set.node),
                Selection::FragmentSpread(spread) => self.fragment(&spread.node.fragment_name.node),
            };
            out.data = out.data.beside(inner.data);
            out.intro_depth = out.intro_depth.max(inner.intro_depth);
            out.intro_lists = out.intro_lists.max(inner.intro_lists);
        }
        out
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

/// A value given to an argument or variable that no field accepts: why, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadInput {
    /// The argument (`filter.areas`) or variable (`$codes`) at fault.
    pub name: String,
    /// Why it is refused.
    pub reason: String,
}

/// Checks every argument written in the document (each once, as written) against `bounds`.
pub fn check_arguments(doc: &ExecutableDocument, bounds: InputBounds) -> Result<(), BadInput> {
    let sets = doc
        .operations
        .iter()
        .map(|(_, op)| &op.node.selection_set.node)
        .chain(doc.fragments.values().map(|f| &f.node.selection_set.node));
    for set in sets {
        check_set(set, bounds)?;
    }
    Ok(())
}

fn check_set(set: &SelectionSet, bounds: InputBounds) -> Result<(), BadInput> {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                for (name, value) in &field.node.arguments {
                    // Variables are checked with their values; as written they are nulls.
                    let Ok(written) = value.node.clone().into_const_with(|_| {
                        Ok::<_, std::convert::Infallible>(async_graphql::Value::Null)
                    });
                    check_const(&written, name.node.as_str(), bounds)?;
                }
                check_set(&field.node.selection_set.node, bounds)?;
            }
            Selection::InlineFragment(f) => check_set(&f.node.selection_set.node, bounds)?,
            Selection::FragmentSpread(_) => {}
        }
    }
    Ok(())
}

/// Checks every variable's value against `bounds`.
pub fn check_variables(
    variables: &async_graphql::Variables,
    bounds: InputBounds,
) -> Result<(), BadInput> {
    for (name, value) in variables.iter() {
        check_const(value, &format!("${name}"), bounds)?;
    }
    Ok(())
}

fn check_const(
    value: &async_graphql::Value,
    path: &str,
    bounds: InputBounds,
) -> Result<(), BadInput> {
    use async_graphql::Value as C;
    match value {
        C::String(s) => check_string(s, path, bounds),
        C::List(items) => {
            check_list(items.len(), path, bounds)?;
            items
                .iter()
                .try_for_each(|item| check_const(item, path, bounds))
        }
        C::Object(fields) => fields
            .iter()
            .try_for_each(|(key, v)| check_const(v, &format!("{path}.{key}"), bounds)),
        _ => Ok(()),
    }
}

fn check_string(s: &str, path: &str, bounds: InputBounds) -> Result<(), BadInput> {
    if s.contains('\0') {
        return Err(BadInput {
            name: path.to_owned(),
            reason: "contains a NUL character".to_owned(),
        });
    }
    // Counting stops past the limit, so a megabyte string costs no more than a short one.
    if s.chars().nth(bounds.max_string_chars).is_some() {
        return Err(BadInput {
            name: path.to_owned(),
            reason: format!("is longer than {} characters", bounds.max_string_chars),
        });
    }
    Ok(())
}

fn check_list(len: usize, path: &str, bounds: InputBounds) -> Result<(), BadInput> {
    if len > bounds.max_list_items {
        return Err(BadInput {
            name: path.to_owned(),
            reason: format!(
                "has {len} items; at most {} are accepted",
                bounds.max_list_items
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn doubling(levels: usize) -> String {
        let mut text = String::from("query { ...F0 } fragment F0 on Query { __typename }");
        for n in 1..=levels {
            text.push_str(&format!(
                " fragment F{n} on Query {{ ...F{m} ...F{m} }}",
                m = n - 1
            ));
        }
        text.replacen("...F0 }", &format!("...F{levels} }}"), 1)
    }

    #[test]
    fn tokens_are_counted_without_parsing() {
        assert_eq!(count_tokens("{ a }"), 3);
        assert_eq!(
            count_tokens("query Q($x: [Int!]) { a(x: $x, s: \"a b\") }"),
            23
        );
        assert_eq!(count_tokens("# only a comment\n"), 0);
        assert_eq!(count_tokens("{ a(s: \"\"\"x \\\"\"\" y\"\"\") ...F }"), 10);
        assert_eq!(count_tokens("{ a(n: -1.5e3) }"), 8);
    }

    #[test]
    fn the_longest_name_is_measured() {
        let m = measure_text("{ area(code: \"a very long string is not a name\") { name } }");
        assert_eq!(m.longest_name, 4);
        assert_eq!(
            measure_text(&format!("{{ {} }}", "x".repeat(500))).longest_name,
            500
        );
    }

    #[test]
    fn a_fragment_doubling_document_is_measured_without_expanding_it() {
        let doc = parse_query(doubling(60)).expect("parses");
        let m = measure(&doc);
        // 2^60 fields once expanded: far past any limit, measured in microseconds.
        assert_eq!(m.expanded.fields, 1u64 << 60);
        assert_eq!(m.expanded.root_fields, 1u64 << 60);
        assert_eq!(m.fragments, 61);
    }

    #[test]
    fn depth_counts_data_fields_and_leaves_introspection_to_its_own_measure() {
        let doc = parse_query(
            "{ a { b { c } } ...F __schema { types { fields { type { ofType { name } } } } } }
             fragment F on Query { d { e { f { g } } } }",
        )
        .expect("parses");
        let m = measure(&doc);
        assert_eq!(m.expanded.depth, 4);
        assert_eq!(m.expanded.introspection_depth, 6);
        assert_eq!(m.expanded.introspection_lists, 2);
        assert_eq!(m.expanded.introspection_roots, 1);
        assert_eq!(m.expanded.root_fields, 3);
    }

    #[test]
    fn fragment_cycles_end_the_walk() {
        let doc =
            parse_query("{ ...A } fragment A on Query { a ...B } fragment B on Query { b ...A }")
                .expect("parses");
        assert_eq!(measure(&doc).expanded.fields, 2);
    }

    #[test]
    fn long_strings_nul_characters_and_long_lists_are_named() {
        let bounds = InputBounds {
            max_string_chars: 5,
            max_list_items: 2,
        };
        let bad = |q: &str| check_arguments(&parse_query(q).expect("parses"), bounds);
        assert_eq!(bad(r#"{ a(x: "short") }"#), Ok(()));
        assert_eq!(
            bad(r#"{ a(x: "longer") }"#).map_err(|e| e.name),
            Err("x".to_owned())
        );
        assert_eq!(
            bad(r#"{ a(f: { areas: [1, 2, 3] }) }"#).map_err(|e| e.name),
            Err("f.areas".to_owned())
        );
        assert_eq!(
            bad("{ a(x: \"a\\u0000\") }").map_err(|e| e.reason),
            Err("contains a NUL character".to_owned())
        );
    }
}
