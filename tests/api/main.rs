//! The API tested from the outside: the real server, on SQLite and on PostgreSQL, over HTTP.

mod helpers;

mod aggregates;
mod architecture;
mod bulk;
mod cleanup;
mod cli;
mod disclosure;
mod employers;
mod explorer;
mod geography;
mod hostile;
mod http;
mod indicators;
mod limits;
mod metrics;
mod outage;
mod partners;
mod programmes;
mod releases;
mod schema;
mod staff;
mod startup;
mod submissions;
mod workforce;
