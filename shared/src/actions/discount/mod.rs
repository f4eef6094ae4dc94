//! A discount code for the shopper: `GET /customers/{id}/discount`,
//! `POST /customers/{id}/discount/{requestId}`.

pub mod form;
pub mod input;
pub mod run;
