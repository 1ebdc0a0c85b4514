//! Any answer as a tidy, long-format table: one row per figure, one column per dimension,
//! then the figure's name, its value, its unit and its status.
//!
//! Which of an answer's fields are figures and which describe them comes from the schema,
//! not from the values: a number is a figure (its unit and what a null means are listed in
//! [`FIGURES`]) unless [`NUMERIC_DIMENSIONS`] names it; every other scalar (text, enum,
//! boolean, or a list of them) is a dimension. A row carries the dimensions selected beside
//! its figure, in the objects above it, and in the objects beside it that select no figure
//! (a group's `key`, an index entry's `area`): those describe their parent. Columns follow
//! from the query alone, in the order it selects them, so a query's table keeps its shape
//! whatever the data.
//!
//! A withheld or missing figure gets a GSS symbol for its value (`[c]` confidential, `[x]`
//! not available, `[z]` not applicable), and its reason (the `suppressed` field beside it,
//! where selected) in the status column.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use async_graphql::parser::types::{
    BaseType, ExecutableDocument, Selection, SelectionSet, TypeKind,
};
use serde_json::Value;

/// Names of the fixed columns, which a dimension may not take.
pub const FIXED_COLUMNS: [&str; 4] = ["figure", "value", "unit", "status"];

/// Most fields a table's plan may hold: a document expanding to more (through fragments
/// spread many times) is refused.
const MAX_PLAN_FIELDS: usize = 5_000;

/// Why an answer cannot be laid out as a table.
#[derive(Debug, thiserror::Error)]
pub enum TabularError {
    /// The schema's SDL could not be read.
    #[error("the schema cannot be read: {0}")]
    Schema(String),
    /// The document does not fit the schema.
    #[error("{0}")]
    Document(String),
}

/// The GSS symbol of a figure without a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symbol {
    /// `[c]`: confidential, withheld by disclosure control.
    Confidential,
    /// `[x]`: not available.
    NotAvailable,
    /// `[z]`: not applicable.
    NotApplicable,
}

impl Symbol {
    /// The symbol as written in a table.
    pub fn text(self) -> &'static str {
        match self {
            Symbol::Confidential => "[c]",
            Symbol::NotAvailable => "[x]",
            Symbol::NotApplicable => "[z]",
        }
    }

    /// The status written when no field gives the reason.
    fn default_status(self) -> &'static str {
        match self {
            Symbol::Confidential => "confidential",
            Symbol::NotAvailable => "not available",
            Symbol::NotApplicable => "not applicable",
        }
    }
}

/// The unit of a figure.
#[derive(Debug, Clone, Copy)]
enum Unit {
    /// Always this.
    Is(&'static str),
    /// The value of a `unit` dimension of the row (an indicator's, say) when selected,
    /// else this.
    Selected(&'static str),
}

/// What a numeric field of the schema is, as a figure.
#[derive(Debug, Clone, Copy)]
struct FigureSpec {
    ty: &'static str,
    field: &'static str,
    unit: Unit,
    /// What a null value means.
    null: Symbol,
    /// Fields beside it saying why it is null, first given first.
    reasons: &'static [&'static str],
}

const fn figure(
    ty: &'static str,
    field: &'static str,
    unit: Unit,
    null: Symbol,
    reasons: &'static [&'static str],
) -> FigureSpec {
    FigureSpec {
        ty,
        field,
        unit,
        null,
        reasons,
    }
}

use Symbol::{Confidential as C, NotAvailable as X};
use Unit::{Is, Selected};

const INDICATOR_UNIT: Unit = Selected("the indicator's unit");
const METRIC_UNIT: Unit = Selected("the metric's unit");

/// Every numeric field of the schema that is a figure: its unit and what a null means.
const FIGURES: &[FigureSpec] = &[
    figure("Area", "coldSpotShare", Is("fraction"), X, &[]),
    figure("AreaConnection", "totalCount", Is("areas"), X, &[]),
    figure("CategoryCount", "count", Is("people"), C, &["suppressed"]),
    figure("CategoryCount", "share", Is("fraction"), C, &["suppressed"]),
    figure("CategoryCount", "benchmarkShare", Is("fraction"), X, &[]),
    figure("ColdSpots", "share", Is("fraction"), X, &[]),
    figure("ColdSpots", "coldSpots", Is("local authorities"), X, &[]),
    figure("ColdSpots", "scored", Is("local authorities"), X, &[]),
    figure("DisclosurePolicy", "minimumCount", Is("people"), X, &[]),
    figure(
        "DistributionGroup",
        "headcount",
        Is("people"),
        C,
        &["headcountSuppressed"],
    ),
    figure(
        "DistributionGroup",
        "respondents",
        Is("people"),
        C,
        &["respondentsSuppressed"],
    ),
    figure(
        "DistributionGroup",
        "declarationRate",
        Is("fraction"),
        C,
        &["headcountSuppressed", "respondentsSuppressed"],
    ),
    figure("DomainScore", "score", Is("score"), X, &[]),
    figure("Gap", "value", Is("score points"), C, &["suppressed"]),
    figure("Gap", "lowerMean", Is("score"), C, &["suppressed"]),
    figure("Gap", "otherMean", Is("score"), C, &["suppressed"]),
    figure("IndexConnection", "totalCount", Is("areas"), X, &[]),
    figure("IndexEntry", "score", Is("score"), X, &[]),
    figure("IndexEntry", "rank", Is("rank"), X, &[]),
    figure("IndexEntry", "indicatorsUsed", Is("indicators"), X, &[]),
    figure("IndexParameters", "areasScored", Is("areas"), X, &[]),
    figure("IndicatorUsed", "areas", Is("areas"), X, &[]),
    figure("IndicatorUsed", "mean", INDICATOR_UNIT, X, &[]),
    figure("IndicatorUsed", "standardDeviation", INDICATOR_UNIT, X, &[]),
    figure("IndicatorValue", "value", INDICATOR_UNIT, X, &[]),
    figure("IndicatorValue", "lower", INDICATOR_UNIT, X, &[]),
    figure("IndicatorValue", "upper", INDICATOR_UNIT, X, &[]),
    figure("IndicatorValue", "sampleSize", Is("people"), X, &[]),
    figure(
        "IndicatorValueConnection",
        "totalCount",
        Is("values"),
        X,
        &[],
    ),
    figure("PerturbationTable", "maxDeviation", Is("people"), X, &[]),
    figure(
        "PerturbationTable",
        "variance",
        Is("people squared"),
        X,
        &[],
    ),
    figure(
        "ProgrammeTotal",
        "actual",
        METRIC_UNIT,
        X,
        &["notAggregated"],
    ),
    figure(
        "ProgrammeTotal",
        "target",
        METRIC_UNIT,
        X,
        &["notAggregated"],
    ),
    figure("ProgrammeTotal", "actualAreas", Is("areas"), X, &[]),
    figure("Ratio", "value", Is("ratio"), C, &["suppressed"]),
    figure(
        "Ratio",
        "seniorLowerShare",
        Is("fraction"),
        C,
        &["suppressed"],
    ),
    figure(
        "Ratio",
        "overallLowerShare",
        Is("fraction"),
        C,
        &["suppressed"],
    ),
    figure("ReachArea", "value", METRIC_UNIT, X, &[]),
    figure("ReachArea", "valueInAuthorities", METRIC_UNIT, X, &[]),
    figure("ReachArea", "coldSpotValue", METRIC_UNIT, X, &[]),
    figure("ReachArea", "coldSpotShare", Is("fraction"), X, &[]),
    figure("ReferenceShare", "share", Is("fraction"), X, &[]),
    figure(
        "RepresentationGap",
        "lowerShare",
        Is("fraction"),
        C,
        &["suppressed"],
    ),
    figure(
        "RepresentationGap",
        "overallLowerShare",
        Is("fraction"),
        C,
        &["suppressed"],
    ),
    figure(
        "RepresentationGap",
        "gap",
        Is("fraction"),
        C,
        &["suppressed"],
    ),
    figure(
        "SeriesPoint",
        "actual",
        METRIC_UNIT,
        X,
        &["actualNotAggregated"],
    ),
    figure(
        "SeriesPoint",
        "target",
        METRIC_UNIT,
        X,
        &["targetNotAggregated"],
    ),
    figure("SeriesPoint", "attainment", Is("ratio"), X, &[]),
    figure("SeriesPoint", "change", METRIC_UNIT, X, &[]),
    figure(
        "Workforce",
        "headcount",
        Is("people"),
        C,
        &["headcountSuppressed"],
    ),
];

/// Numeric fields that say which group a figure belongs to, not how many: dimensions.
const NUMERIC_DIMENSIONS: &[(&str, &str)] = &[
    ("AuditEvent", "id"),
    ("AuditEvent", "at"),
    ("AuditEvent", "keyId"),
    ("AuditEvent", "rows"),
    ("GradeNode", "level"),
    ("GroupKey", "year"),
    ("GroupKey", "gradeLevel"),
    ("IndexEntry", "quintile"),
    ("Ratio", "seniorGradeLevel"),
    ("ReleaseNode", "number"),
    ("ReleaseNode", "publishedAt"),
    ("ReleaseNode", "corrects"),
    ("ReleasedSnapshot", "year"),
    ("ReleasedSnapshot", "replacesRelease"),
    ("SnapshotNode", "release"),
    ("SnapshotNode", "year"),
    ("SnapshotNode", "importedAt"),
];

/// Types and fields that steer paging, not data: left out of tables.
const PAGING_TYPES: [&str; 1] = ["PageInfo"];
const PAGING_FIELDS: [&str; 1] = ["cursor"];

/// Dimension fields whose values describe where a table's figures come from, gathered for
/// its metadata.
pub const METADATA_FIELDS: [&str; 7] = [
    "source",
    "licence",
    "period",
    "indexPeriod",
    "year",
    "years",
    "synthetic",
];

/// A field's type: the named type at its core and whether it is a list.
#[derive(Debug, Clone)]
struct FieldType {
    named: String,
    list: bool,
}

/// The schema's object types and their fields, read from its SDL.
#[derive(Debug, Default)]
pub struct SchemaTypes {
    objects: HashMap<String, HashMap<String, FieldType>>,
    input_objects: BTreeSet<String>,
}

impl SchemaTypes {
    /// Reads the types of the schema `sdl`.
    pub fn from_sdl(sdl: &str) -> Result<SchemaTypes, TabularError> {
        use async_graphql::parser::types::TypeSystemDefinition;
        let document = async_graphql::parser::parse_schema(sdl)
            .map_err(|e| TabularError::Schema(e.to_string()))?;
        let mut types = SchemaTypes::default();
        for definition in document.definitions {
            let TypeSystemDefinition::Type(ty) = definition else {
                continue;
            };
            let ty = ty.node;
            match ty.kind {
                TypeKind::Object(object) => {
                    let fields = object
                        .fields
                        .into_iter()
                        .map(|f| {
                            let f = f.node;
                            let (named, list) = core_type(&f.ty.node.base);
                            (f.name.node.to_string(), FieldType { named, list })
                        })
                        .collect();
                    types.objects.insert(ty.name.node.to_string(), fields);
                }
                TypeKind::InputObject(_) => {
                    types.input_objects.insert(ty.name.node.to_string());
                }
                _ => {}
            }
        }
        Ok(types)
    }

    /// Whether `name` is an input object type.
    pub fn is_input_object(&self, name: &str) -> bool {
        self.input_objects.contains(name)
    }

    fn field(&self, ty: &str, field: &str) -> Option<&FieldType> {
        self.objects.get(ty)?.get(field)
    }

    fn is_object(&self, name: &str) -> bool {
        self.objects.contains_key(name)
    }
}

fn core_type(base: &BaseType) -> (String, bool) {
    match base {
        BaseType::Named(name) => (name.to_string(), false),
        BaseType::List(inner) => (core_type(&inner.base).0, true),
    }
}

fn figure_spec(ty: &str, field: &str) -> Option<&'static FigureSpec> {
    FIGURES.iter().find(|f| f.ty == ty && f.field == field)
}

fn is_numeric(named: &str) -> bool {
    matches!(named, "Int" | "Float")
}

#[derive(Debug)]
enum Kind {
    /// A dimension: its column.
    Label(usize),
    /// A figure: its index in the plan's figures, and its spec (none for a number the
    /// schema added after [`FIGURES`] was written: unit unknown, null not available).
    Figure(usize, Option<&'static FigureSpec>),
    /// A reason given beside a figure (the schema field): read into the figure's status.
    Reason(String),
    /// An object, or a list of them.
    Object {
        /// Selects no figure at any depth (and is not a list): its dimensions describe
        /// its parent.
        descriptive: bool,
        children: Vec<Node>,
    },
    /// Paging: left out.
    Ignored,
}

#[derive(Debug)]
struct Node {
    key: String,
    kind: Kind,
}

/// A column of a table's plan: its path of response keys and the field it shows.
#[derive(Debug)]
struct Column {
    path: Vec<String>,
    field: String,
}

/// How a document's answers are laid out as tables.
#[derive(Debug)]
pub struct Plan {
    nodes: Vec<Node>,
    dimensions: Vec<Column>,
    figures: Vec<Column>,
    dimension_names: Vec<String>,
    figure_names: Vec<String>,
    /// The object types the document selects.
    pub types: BTreeSet<String>,
}

struct Builder<'a> {
    types: &'a SchemaTypes,
    document: &'a ExecutableDocument,
    dimensions: Vec<Column>,
    figures: Vec<Column>,
    seen_types: BTreeSet<String>,
    fields: usize,
    fragments: Vec<String>,
}

/// One response key's fields, merged over the selection sets that select it.
struct Merged<'a> {
    key: String,
    name: String,
    selections: Vec<&'a SelectionSet>,
}

impl<'a> Builder<'a> {
    fn fail(message: String) -> TabularError {
        TabularError::Document(message)
    }

    /// Counts one more field or fragment spread against [`MAX_PLAN_FIELDS`].
    fn count(&mut self) -> Result<(), TabularError> {
        self.fields += 1;
        if self.fields > MAX_PLAN_FIELDS {
            return Err(Self::fail(format!(
                "the query selects more than {MAX_PLAN_FIELDS} fields"
            )));
        }
        Ok(())
    }

    /// The fields `sets` select, by response key in first-selected order, fragments
    /// expanded.
    fn merge(
        &mut self,
        sets: &[&'a SelectionSet],
        into: &mut Vec<Merged<'a>>,
    ) -> Result<(), TabularError> {
        for set in sets {
            for item in &set.items {
                match &item.node {
                    Selection::Field(field) => {
                        let field = &field.node;
                        let key = field.response_key().node.to_string();
                        let position = into.iter().position(|m| m.key == key);
                        let merged = match position {
                            Some(i) => &mut into[i],
                            None => {
                                into.push(Merged {
                                    key,
                                    name: field.name.node.to_string(),
                                    selections: Vec::new(),
                                });
                                into.last_mut().expect("just pushed")
                            }
                        };
                        merged.selections.push(&field.selection_set.node);
                    }
                    Selection::InlineFragment(fragment) => {
                        self.merge(&[&fragment.node.selection_set.node], into)?;
                    }
                    Selection::FragmentSpread(spread) => {
                        let name = spread.node.fragment_name.node.to_string();
                        if self.fragments.contains(&name) {
                            return Err(Self::fail(format!("fragment `{name}` spreads itself")));
                        }
                        let Some(fragment) = self.document.fragments.get(name.as_str()) else {
                            return Err(Self::fail(format!("no fragment `{name}`")));
                        };
                        // Each spread counts, so a fragment spread twice in a fragment spread
                        // twice... is refused before it expands.
                        self.count()?;
                        self.fragments.push(name);
                        self.merge(&[&fragment.node.selection_set.node], into)?;
                        self.fragments.pop();
                    }
                }
            }
        }
        Ok(())
    }

    fn nodes(
        &mut self,
        ty: &str,
        sets: &[&'a SelectionSet],
        path: &[String],
    ) -> Result<Vec<Node>, TabularError> {
        self.seen_types.insert(ty.to_owned());
        let mut merged = Vec::new();
        self.merge(sets, &mut merged)?;
        // A reason selected beside its figure is the figure's status, not a dimension.
        let reasons: BTreeSet<&str> = merged
            .iter()
            .filter_map(|f| figure_spec(ty, &f.name))
            .flat_map(|spec| spec.reasons.iter().copied())
            .collect();
        let mut nodes = Vec::with_capacity(merged.len());
        for field in &merged {
            self.count()?;
            let mut field_path = path.to_vec();
            field_path.push(field.key.clone());
            let column = Column {
                path: field_path.clone(),
                field: field.name.clone(),
            };
            let kind = if reasons.contains(field.name.as_str()) {
                Kind::Reason(field.name.clone())
            } else if field.name == "__typename" {
                self.dimensions.push(column);
                Kind::Label(self.dimensions.len() - 1)
            } else {
                let Some(field_type) = self.types.field(ty, &field.name) else {
                    return Err(Self::fail(format!("`{ty}` has no field `{}`", field.name)));
                };
                if PAGING_FIELDS.contains(&field.name.as_str())
                    || PAGING_TYPES.contains(&field_type.named.as_str())
                {
                    Kind::Ignored
                } else if self.types.is_object(&field_type.named) {
                    let children =
                        self.nodes(&field_type.named.clone(), &field.selections, &field_path)?;
                    Kind::Object {
                        descriptive: !field_type.list && !selects_figures(&children),
                        children,
                    }
                } else if is_numeric(&field_type.named)
                    && !field_type.list
                    && !NUMERIC_DIMENSIONS.contains(&(ty, field.name.as_str()))
                {
                    self.figures.push(column);
                    Kind::Figure(self.figures.len() - 1, figure_spec(ty, &field.name))
                } else {
                    self.dimensions.push(column);
                    Kind::Label(self.dimensions.len() - 1)
                }
            };
            nodes.push(Node {
                key: field.key.clone(),
                kind,
            });
        }
        Ok(nodes)
    }
}

fn selects_figures(nodes: &[Node]) -> bool {
    nodes.iter().any(|n| match &n.kind {
        Kind::Figure(..) => true,
        Kind::Object { children, .. } => selects_figures(children),
        _ => false,
    })
}

/// Each path's name: its last key, or as many of its last keys (joined by `.`) as it takes
/// to tell it from the others and from `reserved`.
fn names(columns: &[Column], reserved: &[&str]) -> Vec<String> {
    let suffix = |path: &[String], n: usize| path[path.len() - n.min(path.len())..].join(".");
    columns
        .iter()
        .map(|column| {
            let path = &column.path;
            (1..=path.len())
                .map(|n| suffix(path, n))
                .find(|name| {
                    !reserved.contains(&name.as_str())
                        && columns
                            .iter()
                            .filter(|other| other.path != *path)
                            .all(|other| {
                                suffix(&other.path, name.matches('.').count() + 1) != *name
                            })
                })
                .unwrap_or_else(|| format!("_{}", path.join(".")))
        })
        .collect()
}

/// A row of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The value of each dimension column (empty when the row has none).
    pub dimensions: Vec<String>,
    /// The figure's name.
    pub figure: String,
    /// The value: a number, or a GSS symbol.
    pub value: Cell,
    /// The figure's unit.
    pub unit: String,
    /// Why the value is withheld or missing; empty when it is given.
    pub status: String,
}

/// A figure's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// A number, as the answer gave it.
    Number(serde_json::Number),
    /// No value: the symbol saying why.
    Symbol(Symbol),
}

impl Cell {
    /// The value as written in a CSV file.
    pub fn text(&self) -> String {
        match self {
            Cell::Number(n) => n.to_string(),
            Cell::Symbol(s) => s.text().to_owned(),
        }
    }
}

/// An answer as a table.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The dimension columns, in the order the query selects them.
    pub dimensions: Vec<String>,
    /// One row per figure, in the order of the answer.
    pub rows: Vec<Row>,
    /// The values of [`METADATA_FIELDS`] met in the answer, by field.
    pub metadata: BTreeMap<String, BTreeSet<String>>,
}

impl Plan {
    /// The plan of `document`'s operation `operation` (the only one when `None`).
    pub fn build(
        types: &SchemaTypes,
        document: &ExecutableDocument,
        operation: Option<&str>,
    ) -> Result<Plan, TabularError> {
        let chosen = document
            .operations
            .iter()
            .find(|(name, _)| match operation {
                Some(wanted) => name.is_some_and(|n| n.as_str() == wanted),
                None => true,
            })
            .map(|(_, op)| op)
            .ok_or_else(|| Builder::fail("the document has no such operation".to_owned()))?;
        let mut builder = Builder {
            types,
            document,
            dimensions: Vec::new(),
            figures: Vec::new(),
            seen_types: BTreeSet::new(),
            fields: 0,
            fragments: Vec::new(),
        };
        let nodes = builder.nodes("Query", &[&chosen.node.selection_set.node], &[])?;
        let dimension_names = names(&builder.dimensions, &FIXED_COLUMNS);
        let figure_names = names(&builder.figures, &[]);
        Ok(Plan {
            nodes,
            dimensions: builder.dimensions,
            figures: builder.figures,
            dimension_names,
            figure_names,
            types: builder.seen_types,
        })
    }

    /// The dimension columns' names.
    pub fn dimension_names(&self) -> &[String] {
        &self.dimension_names
    }

    /// The field each dimension column shows.
    pub fn dimension_field(&self, column: usize) -> &str {
        &self.dimensions[column].field
    }

    /// `data` (the answer's `data`) as a table.
    pub fn table(&self, data: &Value) -> Table {
        let mut table = Table {
            dimensions: self.dimension_names.clone(),
            ..Table::default()
        };
        if let Value::Object(object) = data {
            let mut context = vec![String::new(); self.dimensions.len()];
            self.walk(&self.nodes, object, &mut context, &mut table);
        }
        table
    }

    fn walk(
        &self,
        nodes: &[Node],
        object: &serde_json::Map<String, Value>,
        context: &mut Vec<String>,
        table: &mut Table,
    ) {
        let saved = context.clone();
        self.describe(nodes, object, context, table);
        for node in nodes {
            if let Kind::Figure(index, spec) = node.kind {
                let row = self.row(index, spec, nodes, object, context);
                table.rows.push(row);
            }
        }
        for node in nodes {
            let Kind::Object { children, .. } = &node.kind else {
                continue;
            };
            match object.get(&node.key) {
                Some(Value::Object(child)) => self.walk(children, child, context, table),
                Some(Value::Array(items)) => {
                    for item in items {
                        if let Value::Object(child) = item {
                            self.walk(children, child, context, table);
                        }
                    }
                }
                _ => {}
            }
        }
        *context = saved;
    }

    /// Sets the dimensions of `object`, and of the objects within it that only describe it.
    fn describe(
        &self,
        nodes: &[Node],
        object: &serde_json::Map<String, Value>,
        context: &mut [String],
        table: &mut Table,
    ) {
        for node in nodes {
            match &node.kind {
                Kind::Label(column) => {
                    let text = label_text(object.get(&node.key).unwrap_or(&Value::Null));
                    let field = &self.dimensions[*column].field;
                    if METADATA_FIELDS.contains(&field.as_str()) && !text.is_empty() {
                        table
                            .metadata
                            .entry(field.clone())
                            .or_default()
                            .insert(text.clone());
                    }
                    context[*column] = text;
                }
                Kind::Object {
                    descriptive: true,
                    children,
                    ..
                } => {
                    if let Some(Value::Object(child)) = object.get(&node.key) {
                        self.describe(children, child, context, table);
                    }
                }
                _ => {}
            }
        }
    }

    fn row(
        &self,
        index: usize,
        spec: Option<&FigureSpec>,
        nodes: &[Node],
        object: &serde_json::Map<String, Value>,
        context: &[String],
    ) -> Row {
        let key = &self.figures[index].path.last().cloned().unwrap_or_default();
        let unit = match spec.map(|s| s.unit) {
            Some(Unit::Is(unit)) => unit.to_owned(),
            Some(Unit::Selected(otherwise)) => self
                .dimensions
                .iter()
                .zip(context)
                .rev()
                .find(|(column, value)| column.field == "unit" && !value.is_empty())
                .map_or_else(|| otherwise.to_owned(), |(_, value)| value.clone()),
            None => String::new(),
        };
        let (value, status) = match object.get(key) {
            Some(Value::Number(n)) => (Cell::Number(n.clone()), String::new()),
            _ => {
                let symbol = spec.map_or(Symbol::NotAvailable, |s| s.null);
                // The reasons are read by field name among the nodes beside the figure.
                let reason = spec
                    .into_iter()
                    .flat_map(|s| s.reasons.iter())
                    .find_map(|reason| {
                        let node = nodes
                            .iter()
                            .find(|n| matches!(&n.kind, Kind::Reason(field) if field == reason))?;
                        match object.get(&node.key) {
                            Some(Value::String(text)) => Some(text.clone()),
                            _ => None,
                        }
                    });
                (
                    Cell::Symbol(symbol),
                    reason.unwrap_or_else(|| symbol.default_status().to_owned()),
                )
            }
        };
        Row {
            dimensions: context.to_vec(),
            figure: self.figure_names[index].clone(),
            value,
            unit,
            status,
        }
    }
}

/// A dimension's value as text: booleans and numbers as JSON writes them, lists joined by
/// `; `, null as nothing.
fn label_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(label_text).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types() -> SchemaTypes {
        SchemaTypes::from_sdl(&super::super::sdl()).expect("the schema parses")
    }

    fn plan(query: &str) -> Plan {
        let document = async_graphql::parser::parse_query(query).expect("parses");
        Plan::build(&types(), &document, None).expect("fits the schema")
    }

    /// A new number in the schema must be placed: a figure with its unit, or a dimension.
    #[test]
    fn every_number_of_the_schema_is_a_figure_or_a_dimension() {
        let types = types();
        let mut unplaced = Vec::new();
        for (ty, fields) in &types.objects {
            for (field, field_type) in fields {
                let placed = figure_spec(ty, field).is_some()
                    || NUMERIC_DIMENSIONS.contains(&(ty.as_str(), field.as_str()))
                    || field_type.list;
                if is_numeric(&field_type.named) && !placed {
                    unplaced.push(format!("{ty}.{field}"));
                }
            }
        }
        unplaced.sort();
        assert!(unplaced.is_empty(), "numbers without a place: {unplaced:?}");
        for spec in FIGURES {
            let field = types.field(spec.ty, spec.field);
            assert!(
                field.is_some_and(|f| is_numeric(&f.named)),
                "{}.{} is not a number of the schema",
                spec.ty,
                spec.field
            );
        }
    }

    #[test]
    fn a_distribution_is_one_row_per_figure_with_its_group_and_status() {
        let plan = plan(
            "{ workforce { synthetic distribution(by: [REGION]) { key { region } headcount \
             headcountSuppressed categories { category count share suppressed } } } }",
        );
        assert_eq!(plan.dimension_names(), ["synthetic", "region", "category"]);
        let data = serde_json::json!({ "workforce": { "synthetic": true, "distribution": [
            { "key": { "region": "E12000001" }, "headcount": 40, "headcountSuppressed": null,
              "categories": [
                { "category": "LOWER", "count": 12, "share": 0.3, "suppressed": null },
                { "category": "HIGHER", "count": null, "share": null,
                  "suppressed": "SUPPRESSED_SMALL_COUNT" } ] },
            { "key": { "region": "E12000002" }, "headcount": null,
              "headcountSuppressed": "SUPPRESSED_SMALL_COUNT", "categories": [] }
        ] } });
        let table = plan.table(&data);
        let text: Vec<String> = table
            .rows
            .iter()
            .map(|r| {
                format!(
                    "{}|{}|{}|{}|{}",
                    r.dimensions.join(","),
                    r.figure,
                    r.value.text(),
                    r.unit,
                    r.status
                )
            })
            .collect();
        assert_eq!(
            text,
            [
                "true,E12000001,|headcount|40|people|",
                "true,E12000001,LOWER|count|12|people|",
                "true,E12000001,LOWER|share|0.3|fraction|",
                "true,E12000001,HIGHER|count|[c]|people|SUPPRESSED_SMALL_COUNT",
                "true,E12000001,HIGHER|share|[c]|fraction|SUPPRESSED_SMALL_COUNT",
                "true,E12000002,|headcount|[c]|people|SUPPRESSED_SMALL_COUNT",
            ]
        );
        assert_eq!(
            table.metadata.get("synthetic").map(|v| v.len()),
            Some(1),
            "the synthetic flag is gathered for the metadata"
        );
    }

    #[test]
    fn objects_with_figures_keep_their_dimensions_to_themselves() {
        let plan = plan(
            "{ workforce { progressionRatio { seniorGradeLevel value suppressed } \
             whoGetsOn { key { gradeLevel } gap } } }",
        );
        let data = serde_json::json!({ "workforce": {
            "progressionRatio": { "seniorGradeLevel": 7, "value": null, "suppressed": null },
            "whoGetsOn": [ { "key": { "gradeLevel": 1 }, "gap": -0.05 } ] } });
        let table = plan.table(&data);
        assert_eq!(plan.dimension_names(), ["seniorGradeLevel", "gradeLevel"]);
        assert_eq!(table.rows[0].dimensions, ["7", ""]);
        assert_eq!(table.rows[0].value, Cell::Symbol(Symbol::Confidential));
        assert_eq!(table.rows[0].status, "confidential");
        assert_eq!(table.rows[1].dimensions, ["", "1"], "not the ratio's grade");
    }

    #[test]
    fn clashing_names_are_told_apart_by_their_parents() {
        let plan = plan(
            "{ indicatorValues(indicator: \"x\") { nodes { area { code name } \
             indicator { code unit } value unit: breakdown } } }",
        );
        assert_eq!(
            plan.dimension_names(),
            [
                "area.code",
                "name",
                "indicator.code",
                "indicator.unit",
                "nodes.unit"
            ]
        );
        let data = serde_json::json!({ "indicatorValues": { "nodes": [ {
            "area": { "code": "E06000001", "name": "Hartlepool" },
            "indicator": { "code": "x", "unit": "percent" }, "value": 41.5, "unit": "" } ] } });
        let table = plan.table(&data);
        assert_eq!(table.rows.len(), 1);
        assert_eq!(table.rows[0].unit, "percent", "the indicator's unit");
    }

    #[test]
    fn a_programme_figure_takes_its_metric_unit_when_selected() {
        let plan =
            plan("{ programme(code: \"p\") { series(metric: \"m\") { period unit actual } } }");
        assert_eq!(plan.dimension_names(), ["period", "series.unit"]);
        let data = serde_json::json!({ "programme": { "series": [
            { "period": "2019", "unit": "people", "actual": 120.0 } ] } });
        let table = plan.table(&data);
        assert_eq!(table.rows[0].unit, "people");
        let without = self::plan("{ programme(code: \"p\") { series(metric: \"m\") { actual } } }");
        let table = without.table(&serde_json::json!({ "programme": { "series": [
            { "actual": 120.0 } ] } }));
        assert_eq!(table.rows[0].unit, "the metric's unit");
    }

    #[test]
    fn documents_that_loop_or_explode_are_refused() {
        let types = types();
        let looping = async_graphql::parser::parse_query(
            "query { ...A } fragment A on Query { employers { code } ...A }",
        )
        .expect("parses");
        let e = Plan::build(&types, &looping, None).expect_err("loops");
        assert!(e.to_string().contains("spreads itself"), "{e}");
        // Each fragment spreads the next twice: 2^40 spreads from 1 KB of text.
        let mut bomb = String::from("query { ...F0 }\n");
        for i in 0..40 {
            bomb.push_str(&format!(
                "fragment F{i} on Query {{ ...F{n} ...F{n} }}\n",
                n = i + 1
            ));
        }
        bomb.push_str("fragment F40 on Query { employers { code } }\n");
        let bomb = async_graphql::parser::parse_query(&bomb).expect("parses");
        let e = Plan::build(&types, &bomb, None).expect_err("explodes");
        assert!(e.to_string().contains("more than"), "{e}");
    }
}
