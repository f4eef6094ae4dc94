//! Refund an order in full or in part: `GET /orders/{id}/refund`,
//! `POST /orders/{id}/refund/{requestId}`.

pub mod form;
pub mod input;
pub mod policy;
pub mod run;
