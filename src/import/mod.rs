//! Loading data into the store: reference data shipped with the binary, the CSV files users
//! import, and the generated demo data. Every load goes through one [`pipeline`]: validated in
//! full before anything is written, and written in one transaction, so a bad file or a crash
//! leaves the store as it was.
//!
//! Within this module dependencies point one way: `pipeline` depends on no other part;
//! `workforce`, `indicators`, `programmes` and `smc` on it alone; `reference` on those; `demo`
//! (generate, then import) on all of them.

pub mod demo;
pub mod indicators;
pub mod pipeline;
pub mod programmes;
pub mod reference;
pub mod smc;
pub mod workforce;

pub use pipeline::{ImportError, Input, PROBLEMS_SHOWN, Problem};
