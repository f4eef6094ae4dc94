//! Core of the Gladly Lookup Adaptor for BigCommerce. Every Lambda in `functions/` is a thin
//! edge over this crate. I/O lives in `bigcommerce::client`, `config` and `http`; everything
//! else is plain functions over data.

pub mod actions;
pub mod app;
pub mod auth;
pub mod bigcommerce;
pub mod cache;
pub mod config;
pub mod edge;
pub mod gladly;
pub mod guardrails;
pub mod handlers;
pub mod http;
pub mod ids;
pub mod lookup;
pub mod mapping;
pub mod money;
pub mod quota;
pub mod storefront;
pub mod telemetry;
