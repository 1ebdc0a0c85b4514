//! The API tested from the outside: the real server, on SQLite and on PostgreSQL, over HTTP.

mod helpers;

mod cli;
mod geography;
mod hostile;
mod http;
mod indicators;
mod limits;
mod outage;
mod programmes;
mod schema;
mod startup;
mod workforce;
