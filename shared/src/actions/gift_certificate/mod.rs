//! A goodwill gift certificate for the shopper: `GET /customers/{id}/gift-certificate`,
//! `POST /customers/{id}/gift-certificate/{requestId}`.

pub mod form;
pub mod input;
pub mod policy;
pub mod run;
