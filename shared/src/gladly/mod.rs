//! The Gladly side, as plain data: what Gladly sends and what we answer.

pub mod request;
pub mod response;

pub use request::{BadRequest, LookupLevel, LookupRequest, Query};
pub use response::*;
