//! Core of the Gladly Lookup Adaptor for BigCommerce. Every Lambda in `functions/` is a thin
//! edge over this crate; everything here except the I/O adaptors is plain functions over data.

pub mod auth;
