//! Change an order's shipping address while nothing has shipped:
//! `GET /orders/{id}/address`, `POST /orders/{id}/address/{requestId}`.

pub mod form;
pub mod input;
pub mod policy;
pub mod run;
