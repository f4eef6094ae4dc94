//! BigCommerce: the HTTP client (the only I/O here), the models of the fields we read, and the
//! `Store` trait the core is written against so tests can hand it the sandbox or a stub.

pub mod client;
pub mod de;
pub mod error;
pub mod models;
pub mod requests;

pub use client::{http_client, Client, Kind, WriteBudget};
pub use error::BcError;

use crate::ids::{CustomerId, OrderId, PromotionId};
use models::{
    CatalogProduct, Channel, CouponCode, Customer, CustomerGroup, GiftCertificate, Order,
    Promotion, Refund, RefundQuote, Shipment, ShippingAddress, Site, StoreInformation,
};
use requests::{
    AddressPut, CustomerCreditPut, GiftCertificatePost, OrderPost, OrderPut, PromotionPost,
    RefundItem, RefundPost, StockAdjustment,
};
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
    /// `Some(0)`: guest orders only.
    pub customer_id: Option<u64>,
    /// Billing email (guest orders).
    pub email: Option<String>,
    pub limit: u32,
    /// 1-based; 0 is the first page too.
    pub page: u32,
    /// Embed line items (`include=consignments.line_items`), saving a call per order.
    pub with_line_items: bool,
    /// May give way when the quota share runs low, as shipments and images do.
    pub optional: bool,
}

/// One shopper's orders made since a moment, read straight from BigCommerce (never the cache):
/// where an action looks for an order it may have made. Newest first, 250 a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrdersSince {
    /// 0: guest orders (with `email`).
    pub customer_id: u64,
    /// The billing email of guest orders.
    pub email: Option<String>,
    pub since: chrono::DateTime<chrono::Utc>,
    /// 1-based.
    pub page: u32,
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
    /// `GET /v2/store`. A store that cannot tell is taken as a one-storefront US store.
    fn store_information(&self) -> impl Future<Output = Result<StoreInformation, BcError>> + Send {
        async { Ok(StoreInformation::default()) }
    }
    /// `GET /v3/channels`, every page.
    fn channels(&self) -> impl Future<Output = Result<Vec<Channel>, BcError>> + Send {
        async { Ok(Vec::new()) }
    }
    /// `GET /v2/customer_groups`, every page. A store that cannot tell names no group.
    fn customer_groups(&self) -> impl Future<Output = Result<Vec<CustomerGroup>, BcError>> + Send {
        async { Ok(Vec::new()) }
    }
    /// `GET /v3/sites`, every page: each channel's storefront URL.
    fn sites(&self) -> impl Future<Output = Result<Vec<Site>, BcError>> + Send {
        async { Ok(Vec::new()) }
    }
    /// Parts answered older than fresh, because BigCommerce could not be asked for them.
    fn stale_notes(&self) -> Vec<crate::cache::StaleNote> {
        Vec::new()
    }
}

/// What the actions change. Every write here is either naturally idempotent (status, void) or
/// carries a marker the actions look for before repeating it (refund reason, promotion name).
pub trait StoreActions: Store {
    fn refunds(&self, id: OrderId) -> impl Future<Output = Result<Vec<Refund>, BcError>> + Send;
    fn refund_quote(
        &self,
        id: OrderId,
        items: &[RefundItem],
    ) -> impl Future<Output = Result<RefundQuote, BcError>> + Send;
    fn create_refund(
        &self,
        id: OrderId,
        body: &RefundPost<'_>,
    ) -> impl Future<Output = Result<Refund, BcError>> + Send;
    fn void_payment(&self, id: OrderId) -> impl Future<Output = Result<(), BcError>> + Send;
    /// `PUT /v2/orders/{id}` with the status and staff notes only: a PUT that touches
    /// products would clear their discounts.
    fn update_order(
        &self,
        id: OrderId,
        put: &OrderPut,
    ) -> impl Future<Output = Result<(), BcError>> + Send;
    fn shipping_addresses(
        &self,
        id: OrderId,
    ) -> impl Future<Output = Result<Vec<ShippingAddress>, BcError>> + Send;
    fn update_shipping_address(
        &self,
        id: OrderId,
        address_id: u64,
        put: &AddressPut,
    ) -> impl Future<Output = Result<ShippingAddress, BcError>> + Send;
    fn create_gift_certificate(
        &self,
        post: &GiftCertificatePost,
    ) -> impl Future<Output = Result<GiftCertificate, BcError>> + Send;
    /// The store's default inventory location.
    fn default_location(&self) -> impl Future<Output = Result<Option<u64>, BcError>> + Send;
    fn adjust_stock(
        &self,
        adjustment: &StockAdjustment,
    ) -> impl Future<Output = Result<(), BcError>> + Send;
    fn find_gift_certificate(
        &self,
        code: &str,
    ) -> impl Future<Output = Result<Option<GiftCertificate>, BcError>> + Send;
    fn create_promotion(
        &self,
        body: &PromotionPost,
    ) -> impl Future<Output = Result<Promotion, BcError>> + Send;
    fn find_promotion(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<Promotion>, BcError>> + Send;
    fn create_code(
        &self,
        promotion_id: PromotionId,
        code: &str,
        max_uses: u64,
    ) -> impl Future<Output = Result<CouponCode, BcError>> + Send;
    fn find_code(
        &self,
        code: &str,
    ) -> impl Future<Output = Result<Option<CouponCode>, BcError>> + Send;
    /// `POST /v2/orders`: the order as BigCommerce made it.
    fn create_order(&self, post: &OrderPost)
        -> impl Future<Output = Result<Order, BcError>> + Send;
    /// `GET /v2/orders` filtered by customer (or guest email) and `min_date_created`.
    fn orders_since(
        &self,
        q: &OrdersSince,
    ) -> impl Future<Output = Result<Vec<Order>, BcError>> + Send;
    /// The store's hash, for control-panel links; `None` when not known.
    fn store_hash(&self) -> Option<String> {
        None
    }
    /// `GET /v3/customers?id:in={id}&include=storecredit`, always from BigCommerce (never the
    /// lookups' cache): the account as it is now, its notes and store credit.
    fn customer_now(
        &self,
        id: CustomerId,
    ) -> impl Future<Output = Result<Option<Customer>, BcError>> + Send;
    /// `PUT /v3/customers` with one customer: its store credit balance and notes, one write.
    fn update_customer_credit(
        &self,
        put: &CustomerCreditPut,
    ) -> impl Future<Output = Result<(), BcError>> + Send;
}
