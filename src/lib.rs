//! The data API behind the social mobility data explorer.
//!
//! A code tour, outside in:
//! - [`config`]: every setting, as flags with environment fallbacks, checked in one place.
//! - [`app`]: opens the store, runs migrations, builds the schema and router ([`app::App`]);
//!   `main` and the tests start the server the same way.
//! - [`http`]: the only module that knows axum: `/graphql`, GraphiQL, health, layers.
//! - [`graphql`]: the schema, one query module per domain, limits, dataloaders, errors.
//! - [`domain`]: the rules (geography, SEB measures, disclosure control, the social mobility
//!   index, programme figures), free of HTTP, GraphQL and storage.
//! - [`store`]: every sea-orm query, as functions taking a connection.
//! - [`import`]: loading data: validated in full, written in one transaction.
//! - [`demo`]: synthetic demo data (workforce, local-authority indicators, programme
//!   activity), seeded and labelled synthetic on every row.
//! - [`commands`]: what each command-line command does.

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
