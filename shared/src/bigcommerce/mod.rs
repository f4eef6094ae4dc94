//! BigCommerce: the HTTP client (the only I/O here), the models of the fields we read, and the
//! `Store` trait the core is written against so tests can hand it the sandbox or a stub.

pub mod client;
pub mod de;
pub mod error;
pub mod models;

pub use client::{http_client, Client};
pub use error::BcError;

use crate::ids::OrderId;
use models::{CatalogProduct, Customer, Order, Shipment};
use std::future::Future;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerQuery {
    Ids(Vec<u64>),
    /// Matched case-insensitively by BigCommerce.
    Emails(Vec<String>),
    /// Matched exactly as stored; send the spellings to try.
    Phones(Vec<String>),
    NameLike(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrderQuery {
    pub customer_id: Option<u64>,
    /// Billing email (guest orders).
    pub email: Option<String>,
    pub limit: u32,
    /// Embed line items (`include=consignments.line_items`), saving a call per order.
    pub with_line_items: bool,
}

/// What the lookups read from a store. Newest orders first.
pub trait Store: Send + Sync {
    fn customers(
        &self,
        q: &CustomerQuery,
    ) -> impl Future<Output = Result<Vec<Customer>, BcError>> + Send;
    fn orders(&self, q: &OrderQuery) -> impl Future<Output = Result<Vec<Order>, BcError>> + Send;
    fn order(&self, id: OrderId) -> impl Future<Output = Result<Option<Order>, BcError>> + Send;
    fn shipments(&self, id: OrderId)
        -> impl Future<Output = Result<Vec<Shipment>, BcError>> + Send;
    fn catalog_products(
        &self,
        ids: &[u64],
    ) -> impl Future<Output = Result<Vec<CatalogProduct>, BcError>> + Send;
}
