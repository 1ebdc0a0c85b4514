//! Answers as tables, for statistical tools: tidy CSV (`text/csv`), the same rows as JSON
//! objects, and the CSV's metadata (CSV on the Web, `application/csvm+json`): source,
//! licence, period, release time, whether the figures are synthetic, and the disclosure
//! control applied. How an answer becomes rows is [`crate::graphql::tabular`]'s business.

use std::borrow::Cow;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::ser::{SerializeMap, SerializeSeq};
use serde_json::{Value, json};

use super::answer::{self, GetRequest, bad_request};
use super::state::AppState;
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

const CSV: &str = "text/csv; charset=utf-8; header=present";
const ROWS: &str = "application/json";
const CSVW: &str = "application/csvm+json";

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
                Box::new(bad_request(
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

/// Runs `get` and answers it as a table in its format; returns the answer and whether it is
/// complete (no errors).
pub(super) async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    get: GetRequest<'_>,
    version: i64,
) -> (Response, bool) {
    let content_type = match get.format {
        Format::Csv => CSV,
        Format::CsvMetadata => CSVW,
        Format::Graphql | Format::Rows => ROWS,
    };
    // The metadata names the CSV's URL, so two URLs of one query are two answers.
    let key = answer::cache_key(version, &get.request, content_type, get.url.as_bytes());
    if let Some(hit) = answer::replay(state, headers, &key) {
        return (hit, true);
    }
    let query = get.request.query.clone();
    let operation = get.request.operation_name.clone();
    let response = state.schema.execute(get.request).await;
    if !response.errors.is_empty() {
        let mut refused = answer::failed(response, true);
        if refused.status() == StatusCode::OK {
            // A table of a partial answer would pass for a complete one.
            *refused.status_mut() = StatusCode::BAD_REQUEST;
        }
        return (refused, false);
    }
    let document = match get.document {
        Some(document) => Cow::Borrowed(document),
        None => match async_graphql::parser::parse_query(&query) {
            Ok(document) => Cow::Owned(document),
            Err(e) => return (bad_request("BAD_REQUEST", &e.to_string()), false),
        },
    };
    let plan = match Plan::build(&state.types, &document, operation.as_deref()) {
        Ok(plan) => plan,
        Err(e) => return (bad_request("CANNOT_TABULATE", &e.to_string()), false),
    };
    let data = serde_json::to_value(&response.data).unwrap_or(Value::Null);
    let table = plan.table(&data);
    let body = match get.format {
        Format::Csv => csv(&table),
        Format::Rows => rows(&table),
        _ => {
            let metadata = Metadata {
                url: csv_url(&get.url),
                title: &get.title,
                description: &get.description,
                version,
                released_at: state.live.current().released_at,
                disclosure: plan
                    .types
                    .contains("Workforce")
                    .then_some(state.disclosure_note.as_str()),
            };
            csvw(&table, &plan, &metadata)
        }
    };
    let mut response = answer::keep(
        state,
        version,
        key,
        content_type,
        body,
        answer::gzip_accepted(headers),
    );
    if get.format == Format::Csv {
        let describedby = format!(
            "<{}>; rel=\"describedby\"; type=\"{CSVW}\"",
            metadata_url(&get.url)
        );
        if let Ok(value) = HeaderValue::from_str(&describedby) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    (response, true)
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
                .map(String::as_str)
                .chain(fixed.iter().map(|c| c.as_ref())),
        );
    }
    writer.into_inner().unwrap_or_default()
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
struct Metadata<'a> {
    url: String,
    title: &'a str,
    description: &'a str,
    version: i64,
    released_at: Option<i64>,
    /// The disclosure control of workforce figures, when the table has any.
    disclosure: Option<&'a str>,
}

/// What the standard columns hold, for the metadata.
const FIXED_DESCRIPTIONS: [&str; 4] = [
    "The figure: the field of the answer it comes from.",
    "The figure's value; when withheld or missing, a GSS symbol: [c] confidential \
     (disclosure control), [x] not available, [z] not applicable.",
    "The figure's unit.",
    "Empty when the value is given; else why it is not (for [c], the suppression reason).",
];

fn csvw(table: &Table, plan: &Plan, meta: &Metadata) -> Vec<u8> {
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
fn csv_url(url: &str) -> String {
    with_format(url, "csv")
}

/// The metadata URL of a request `url`.
fn metadata_url(url: &str) -> String {
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
