//! The data API behind the social mobility data explorer.
//!
//! A code tour, outside in. Dependencies point one way, down this list (a test in
//! `tests/api/architecture.rs` fails on any cycle or upward use):
//!
//! - [`commands`]: what each command-line command does; `main` only parses and calls it.
//! - [`app`]: opens the store, runs migrations, loads reference and demo data into an empty
//!   store, builds the schema and router ([`app::App`]); `main` and the tests start the
//!   server the same way.
//! - [`http`]: the only module that knows axum: `/graphql`, GraphiQL, health, metrics, the
//!   layers (request ids, access log, limits, compression, CORS) and the accept loop.
//! - [`graphql`]: the schema. Resolvers translate arguments into service calls and answers
//!   into schema types; query limits, the cost model, dataloaders and error codes live here.
//!   Only an `ApiError` can leave a resolver.
//! - [`config`]: every setting, as flags with environment fallbacks, checked in one place.
//! - [`service`]: the use cases (the workforce question, the index, programme series and
//!   reach): what a question means, checked, and answered from the store through the
//!   domain's rules. No GraphQL or HTTP in here.
//! - [`import`]: loading data through one pipeline (`import::pipeline`: read, validate into
//!   typed rows, report every problem, write in one transaction): workforce, indicators,
//!   programmes, the bundled reference data, and the synthetic demo data (`import::demo`).
//! - [`demo`]: synthetic demo data (workforce, local-authority indicators, programme
//!   activity), seeded and labelled synthetic on every row.
//! - [`store`]: every sea-orm query, as functions taking a connection.
//! - [`domain`]: the rules (geography, SEB measures, disclosure control, the social mobility
//!   index, programme figures), free of HTTP, GraphQL and storage.

pub mod app;
pub mod commands;
pub mod config;
pub mod demo;
pub mod domain;
pub mod graphql;
pub mod http;
pub mod import;
pub mod service;
pub mod store;
