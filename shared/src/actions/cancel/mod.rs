//! Cancel an order (releasing or refunding its payment first): `GET /orders/{id}/cancel`,
//! `POST /orders/{id}/cancel/{requestId}`.

pub mod form;
pub mod input;
pub mod policy;
pub mod run;
