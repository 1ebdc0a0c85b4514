//! Answers as tables, for statistical tools: tidy CSV (`text/csv`), the same rows as JSON
//! objects, and the CSV's metadata (CSV on the Web, `application/csvm+json`): source,
//! licence, period, release time, whether the figures are synthetic, and the disclosure
//! control applied. How an answer becomes rows is [`crate::graphql::tabular`]'s business.

use std::borrow::Cow;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::ser::{SerializeMap, SerializeSeq};
use serde_json::{Value, json};

use super::refusals::error_response;
use crate::graphql::tabular::{Cell, FIXED_COLUMNS, Plan, Row, Table};

/// What an answer is sent as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The GraphQL response (JSON).
    Graphql,
    /// A tidy CSV table.
    Csv,
    /// The CSV's rows as JSON objects.
    Rows,
    /// The CSV's metadata (CSVW).
    CsvMetadata,
}

/// The media type of a CSV table.
pub(super) const CSV: &str = "text/csv; charset=utf-8; header=present";
/// The media type of a table's rows as JSON.
pub(super) const ROWS: &str = "application/json";
/// The media type of a table's metadata.
pub(super) const CSVW: &str = "application/csvm+json";

impl Format {
    /// The name `format=` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Graphql => "graphql",
            Format::Csv => "csv",
            Format::Rows => "json",
            Format::CsvMetadata => "csvw",
        }
    }

    /// The format asked for: the `format` parameter when given, else `Accept` (`text/csv`
    /// or `application/csvm+json`), else the GraphQL response.
    pub fn negotiate(
        parameter: Option<&str>,
        headers: &HeaderMap,
    ) -> Result<Format, Box<Response>> {
        if let Some(name) = parameter {
            return [
                Format::Graphql,
                Format::Csv,
                Format::Rows,
                Format::CsvMetadata,
            ]
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| {
                Box::new(error_response(
                    StatusCode::BAD_REQUEST,
                    "BAD_FORMAT",
                    &format!("parameter `format`: `{name}` is not one of graphql, csv, json, csvw"),
                ))
            });
        }
        let accept = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        Ok(if accept.contains("text/csv") {
            Format::Csv
        } else if accept.contains(CSVW) {
            Format::CsvMetadata
        } else {
            Format::Graphql
        })
    }
}

/// The columns of a table, in order: its dimensions, then the fixed ones.
fn columns(table: &Table) -> impl Iterator<Item = &str> {
    table
        .dimensions
        .iter()
        .map(String::as_str)
        .chain(FIXED_COLUMNS)
}

/// The fixed columns of a row, after its dimensions.
fn fixed(row: &Row) -> [Cow<'_, str>; 4] {
    [
        Cow::Borrowed(row.figure.as_str()),
        Cow::Owned(row.value.text()),
        Cow::Borrowed(row.unit.as_str()),
        Cow::Borrowed(row.status.as_str()),
    ]
}

/// The table as CSV (RFC 4180: a header row, CRLF line ends, fields quoted when needed).
pub fn csv(table: &Table) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = writer.write_record(columns(table));
    for row in &table.rows {
        let fixed = fixed(row);
        let _ = writer.write_record(
            row.dimensions
                .iter()
                .map(|d| inert(d))
                .chain(fixed)
                .collect::<Vec<_>>()
                .iter()
                .map(|c| c.as_bytes()),
        );
    }
    writer.into_inner().unwrap_or_default()
}

/// A text cell a spreadsheet will not run: names come from employers' files, and one
/// starting `=`, `+`, `-`, `@`, a tab or a carriage return would be read as a formula (CSV
/// injection), so it gets a leading `'`, as OWASP advises. Values are numbers or symbols and
/// are written as they are.
fn inert(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

/// The table's rows as JSON objects, keys in column order; `value` is a number, or the
/// symbol as a string when withheld.
pub fn rows(table: &Table) -> Vec<u8> {
    struct Rows<'a>(&'a Table);
    struct One<'a>(&'a Table, &'a Row);
    impl serde::Serialize for Rows<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(self.0.rows.len()))?;
            for row in &self.0.rows {
                seq.serialize_element(&One(self.0, row))?;
            }
            seq.end()
        }
    }
    impl serde::Serialize for One<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let (table, row) = (self.0, self.1);
            let mut map = s.serialize_map(Some(table.dimensions.len() + 4))?;
            for (name, value) in table.dimensions.iter().zip(&row.dimensions) {
                map.serialize_entry(name, value)?;
            }
            map.serialize_entry("figure", &row.figure)?;
            match &row.value {
                Cell::Number(n) => map.serialize_entry("value", n)?,
                Cell::Symbol(s) => map.serialize_entry("value", s.text())?,
            }
            map.serialize_entry("unit", &row.unit)?;
            map.serialize_entry("status", &row.status)?;
            map.end()
        }
    }
    serde_json::to_vec(&Rows(table)).unwrap_or_default()
}

/// What a table's metadata says beside its columns.
pub(super) struct Metadata<'a> {
    /// The CSV's URL.
    pub url: String,
    /// The query's name.
    pub title: &'a str,
    /// What the query answers.
    pub description: &'a str,
    /// The data version answered.
    pub version: i64,
    /// When that version was released (seconds since 1970).
    pub released_at: Option<i64>,
    /// The disclosure control of workforce figures, when the table has any.
    pub disclosure: Option<&'a str>,
}

/// What the standard columns hold, for the metadata.
const FIXED_DESCRIPTIONS: [&str; 4] = [
    "The figure: the field of the answer it comes from.",
    "The figure's value; when withheld or missing, a GSS symbol: [c] confidential \
     (disclosure control), [x] not available, [z] not applicable.",
    "The figure's unit.",
    "Empty when the value is given; else why it is not (for [c], the suppression reason).",
];

/// The table's metadata, as CSV on the Web.
pub(super) fn csvw(table: &Table, plan: &Plan, meta: &Metadata) -> Vec<u8> {
    let values = |field: &str| -> Vec<&str> {
        table
            .metadata
            .get(field)
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default()
    };
    let mut periods: Vec<&str> = ["period", "indexPeriod", "year", "years"]
        .into_iter()
        .flat_map(&values)
        .flat_map(|v| v.split("; "))
        .collect();
    periods.sort_unstable();
    periods.dedup();
    let synthetic = match values("synthetic").as_slice() {
        ["true"] => json!(true),
        ["false"] => json!(false),
        [] => Value::Null,
        _ => json!("mixed"),
    };
    let mut columns: Vec<Value> = table
        .dimensions
        .iter()
        .enumerate()
        .map(|(i, name)| {
            json!({
                "name": name,
                "titles": name,
                "datatype": "string",
                "dc:description": format!("The answer's `{}` field.", plan.dimension_field(i)),
            })
        })
        .collect();
    for (name, description) in FIXED_COLUMNS.iter().zip(FIXED_DESCRIPTIONS) {
        let mut column = json!({
            "name": name,
            "titles": name,
            "datatype": "string",
            "dc:description": description,
        });
        if *name == "value" {
            column["datatype"] = json!("number");
            column["null"] = json!(["[c]", "[x]", "[z]"]);
        }
        columns.push(column);
    }
    // Staff figures name no source of their own: they are this API's, from the employers'
    // records (or its demo data).
    let mut sources = values("source");
    if sources.is_empty() && plan.types.contains("Workforce") {
        sources.push(if synthetic == json!(false) {
            "Staff records submitted by the employers, published by this API under its \
             disclosure control"
        } else {
            "Synthetic demo staff records generated by this API: not real people"
        });
    }
    let released = meta.released_at.map(|secs| {
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0) as u64);
        humantime::format_rfc3339_seconds(at).to_string()
    });
    let document = json!({
        "@context": "http://www.w3.org/ns/csvw",
        "url": meta.url,
        "dc:title": meta.title,
        "dc:description": meta.description,
        "dc:source": sources,
        "dc:license": values("licence"),
        "dc:temporal": periods,
        "dc:issued": released,
        "tableSchema": { "columns": columns },
        "notes": [{
            "synthetic": synthetic,
            "disclosureControl": meta.disclosure,
            "dataVersion": meta.version,
        }],
    });
    serde_json::to_vec_pretty(&document).unwrap_or_default()
}

/// The CSV URL of a request `url` (any `format` parameter replaced by `format=csv`).
pub(super) fn csv_url(url: &str) -> String {
    with_format(url, "csv")
}

/// The metadata URL of a request `url`.
pub(super) fn metadata_url(url: &str) -> String {
    with_format(url, "csvw")
}

fn with_format(url: &str, format: &str) -> String {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let path = path
        .strip_suffix(".csv-metadata.json")
        .or_else(|| path.strip_suffix(".csv"))
        .or_else(|| path.strip_suffix(".json"))
        .unwrap_or(path);
    let mut pairs: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && p.split('=').next() != Some("format"))
        .collect();
    let format = format!("format={format}");
    pairs.push(&format);
    format!("{path}?{}", pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn metadata_and_csv_urls_keep_the_query_and_replace_the_format() {
        assert_eq!(
            csv_url("/q/cold-spot-map.csv-metadata.json?period=2023&format=csvw"),
            "/q/cold-spot-map?period=2023&format=csv"
        );
        assert_eq!(
            metadata_url("/graphql?query=%7Ba%7D&format=csv"),
            "/graphql?query=%7Ba%7D&format=csvw"
        );
    }

    #[test]
    fn names_that_a_spreadsheet_would_run_are_made_inert() {
        use crate::graphql::tabular::{Cell, Row};
        let table = Table {
            dimensions: vec!["businessUnit".to_owned()],
            rows: ["=HYPERLINK(\"http://x\")", "@SUM(A1)", "Operations", "-1+1"]
                .into_iter()
                .map(|name| Row {
                    dimensions: vec![name.to_owned()],
                    figure: "change".to_owned(),
                    value: Cell::Number((-3).into()),
                    unit: "people".to_owned(),
                    status: String::new(),
                })
                .collect(),
            metadata: Default::default(),
        };
        let text = String::from_utf8(csv(&table)).expect("UTF-8");
        assert_eq!(
            text,
            "businessUnit,figure,value,unit,status\r\n\
             \"'=HYPERLINK(\"\"http://x\"\")\",change,-3,people,\r\n\
             '@SUM(A1),change,-3,people,\r\n\
             Operations,change,-3,people,\r\n\
             '-1+1,change,-3,people,\r\n"
        );
    }

    #[test]
    fn the_format_parameter_wins_over_accept() {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static("text/csv"));
        assert_eq!(Format::negotiate(None, &headers).ok(), Some(Format::Csv));
        assert_eq!(
            Format::negotiate(Some("json"), &headers).ok(),
            Some(Format::Rows)
        );
        assert!(Format::negotiate(Some("xlsx"), &headers).is_err());
        assert_eq!(
            Format::negotiate(None, &HeaderMap::new()).ok(),
            Some(Format::Graphql)
        );
    }
}
