//! The one place that talks HTTP to BigCommerce: `transport` (deadlines, retries, budgets,
//! error shapes) and `resources` (what each read and write sends).

mod resources;
mod transport;

pub use transport::{error_message, http_client, Client, Kind, WriteBudget};
