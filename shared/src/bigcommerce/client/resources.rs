//! The resources: which path, query and typed body each read and write of `Store` and
//! `StoreActions` uses, over the transport.

use super::transport::{body_of, data, decode, Client, Kind};
use crate::bigcommerce::error::BcError;
use crate::bigcommerce::models::{
    CatalogProduct, Channel, CouponCode, Customer, CustomerGroup, DataList, GiftCertificate,
    Location, Order, Promotion, Refund, RefundQuote, Shipment, ShippingAddress, Site,
    StoreInformation,
};
use crate::bigcommerce::requests::{
    AddressPut, CouponCodePost, CustomerCreditPut, GiftCertificatePost, OrderPost, OrderPut,
    PromotionPost, RefundItem, RefundPost, RefundQuotePost, StockAdjustment,
};
use crate::bigcommerce::{CustomerQuery, OrderQuery, OrdersSince, Store, StoreActions};
use crate::cache::directory;
use crate::cache::guests::{self, Says};
use crate::cache::{Found, Session, StalePart, StorePart};
use crate::ids::{CustomerId, OrderId, PromotionId};
use serde_json::Value;

/// Calls the quota may hold back, or the store may not answer in time: a part kept past its
/// freshness is shown instead, and the card says how old it is.
fn may_use_stale(e: &BcError) -> bool {
    matches!(e, BcError::OverShare | BcError::RateLimited) || e.is_transient()
}

impl Client {
    /// A kept part when fresh; else BigCommerce (keeping its answer); else, when the call could
    /// not be made, the kept part however old, noted for the card.
    async fn through_cache(
        &self,
        part: StalePart,
        look: impl Fn(&Session) -> Found,
        keep: impl Fn(&Session, &Value),
        fetch: impl std::future::Future<Output = Result<Option<Value>, BcError>>,
    ) -> Result<Option<Value>, BcError> {
        let found = self.cache().map(&look).unwrap_or(Found::Missing);
        let stale = match found {
            Found::Fresh(v) => return Ok(Some(v)),
            Found::Stale(v, at) => Some((v, at)),
            Found::Missing => None,
        };
        // With a kept part to show instead, never wait for the next quota window for it.
        let fetched = if stale.is_some() {
            crate::quota::impatiently(fetch).await
        } else {
            fetch.await
        };
        match fetched {
            Ok(v) => {
                if let (Some(c), Some(v)) = (self.cache(), v.as_ref()) {
                    keep(c, v);
                }
                Ok(v)
            }
            Err(e) if may_use_stale(&e) => match (stale, self.cache()) {
                (Some((v, at)), Some(c)) => {
                    tracing::info!(part = ?part, error = %e, "showing a kept part older than fresh");
                    c.served_stale(part, at);
                    Ok(Some(v))
                }
                _ => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    /// Whether guest orders with `email` may exist, as the store's guest index tells (see
    /// `cache::guests`). When the index is due, this request reads its page of changes (in
    /// place of the guest query when that page completes it). `false` only
    /// when the index knows there are none; a read that fails or is held back leaves the
    /// question to the guest query.
    async fn guest_orders_may_exist(&self, email: &str) -> bool {
        let Some(c) = self.cache() else {
            return true;
        };
        match c.guests_say(email) {
            Says::NoGuestOrders => return false,
            Says::Perhaps => return true,
            Says::CannotTell => {}
        }
        let Some(read) = c.take_guest_read() else {
            return true;
        };
        let query = [
            ("customer_id", "0".to_string()),
            ("min_date_modified", guests::since_param(read.since_ms)),
            ("sort", "date_modified:asc".to_string()),
            ("limit", guests::PAGE.to_string()),
        ];
        // Before shipments and images (one read a minute spares a guest query per lookup), but
        // never waiting for the next window: without it the lookup asks its guest query.
        let page = match self.at_once().get_value("v2/orders", &query).await {
            // 204: no guest order changed since.
            Ok(Some(Value::Null)) => Value::Array(Vec::new()),
            Ok(Some(page @ Value::Array(_))) => page,
            Ok(_) => {
                tracing::info!("guest index read answered no list; asking for the guest orders");
                return true;
            }
            Err(e) => {
                tracing::info!(error = %e, "guest index not read; asking for the guest orders");
                return true;
            }
        };
        let full = page.as_array().map_or(0, Vec::len) >= guests::PAGE as usize;
        let applied = c.apply_guest_read(read, &guests::rows_of(&page), full);
        match applied {
            guests::Applied::OffBusy => tracing::warn!(
                "a full page of guest-order changes since the guest index was read: it is off for an hour; lookups ask for guest orders as before"
            ),
            guests::Applied::OffTooMany => tracing::warn!(
                "more than {} guest emails: the guest index is off for a day; lookups ask for guest orders as before",
                guests::MAX_EMAILS
            ),
            _ => tracing::debug!(?applied, "guest index read"),
        }
        c.guests_say(email) != Says::NoGuestOrders
    }

    /// A page of the catalog with each product's image, kept in the shared cache. Only the
    /// image is shown: `include_fields` spares the rest (a description is HTML of a few KB);
    /// the id always comes.
    async fn catalog_page<const N: usize>(
        &self,
        filter: [(&'static str, String); N],
    ) -> Result<Vec<Value>, BcError> {
        let query: Vec<(&str, String)> = filter
            .into_iter()
            .chain([
                ("include", "primary_image".to_string()),
                ("include_fields", "name".to_string()),
                ("limit", "250".to_string()),
            ])
            .collect();
        let Some(v) = self
            .optional()
            .get_value("v3/catalog/products", &query)
            .await?
        else {
            return Ok(Vec::new());
        };
        let list: DataList<Value> = decode(v)?;
        if let Some(c) = self.cache() {
            c.keep_products(&list.data);
        }
        Ok(list.data)
    }

    /// Reads the store's customer directory's page that is due, if any (see
    /// `cache::directory`): before an auto-link's search, which the page may spare.
    async fn read_directory(&self) {
        let Some(c) = self.cache() else {
            return;
        };
        let Some(read) = c.take_directory_read() else {
            return;
        };
        let mut query = vec![
            ("include", "addresses,storecredit".to_string()),
            ("limit", directory::PAGE.to_string()),
        ];
        match read {
            // Oldest first: a customer made during the pass lands on a later page, never
            // shifting one not yet read onto a page already read.
            directory::Read::Pass { page, .. } => {
                query.push(("sort", "date_created:asc".to_string()));
                query.push(("page", page.to_string()));
            }
            directory::Read::Changes { since_ms } => {
                query.push(("date_modified:min", directory::since_param(since_ms)));
                query.push(("sort", "date_modified:asc".to_string()));
            }
        }
        // Before shipments and images (a page spares many searches), but never waiting for
        // the next window: without it the auto-link searches as before.
        let list: DataList<Value> = match self.at_once().get_value("v3/customers", &query).await {
            Ok(Some(v)) => match decode(v) {
                Ok(list) => list,
                Err(e) => {
                    tracing::info!(error = %e, "customer directory page unreadable");
                    return;
                }
            },
            // 204: nothing (no customer, or none changed since).
            Ok(None) => DataList {
                data: Vec::new(),
                meta: Value::Null,
            },
            Err(e) => {
                tracing::info!(error = %e, "customer directory not read; searching as before");
                return;
            }
        };
        let total = list.meta["pagination"]["total"].as_u64();
        match c.apply_directory_read(read, &list.data, total).await {
            directory::Applied::OffBusy => tracing::warn!(
                "customers change faster than the customer directory reads them: it is off for an hour; auto-links search as before"
            ),
            directory::Applied::OffTooMany => tracing::warn!(
                "more than {} customers: the customer directory is off for a day; auto-links search as before",
                directory::MAX_CUSTOMERS
            ),
            directory::Applied::Complete => tracing::info!(
                customers = total,
                "customer directory: a pass was read to its end; auto-links by email are answered from it"
            ),
            applied => tracing::debug!(?applied, "customer directory read"),
        }
    }

    /// Every page of a small v3 list (`meta.pagination`), 250 at a time, at most 10 pages, as
    /// BigCommerce's elements.
    async fn every_page_raw(&self, path: &str) -> Result<Vec<Value>, BcError> {
        let mut all = Vec::new();
        for page in 1..=10u32 {
            let query = [("limit", "250".to_string()), ("page", page.to_string())];
            let Some(v) = self.get_value(path, &query).await? else {
                break;
            };
            let list: DataList<Value> = decode(v)?;
            let more = list.has_next_page();
            all.extend(list.data);
            if !more {
                break;
            }
        }
        Ok(all)
    }

    /// Every page of a small v2 list (a page shorter than 250 is the last; 204 past the end), at
    /// most 20 pages.
    async fn every_v2_page(&self, path: &str) -> Result<Vec<Value>, BcError> {
        let mut all = Vec::new();
        for page in 1..=20u32 {
            let query = [("limit", "250".to_string()), ("page", page.to_string())];
            let Some(v) = self.get_value(path, &query).await? else {
                break;
            };
            let list = v.as_array().cloned().unwrap_or_default();
            let full = list.len() == 250;
            all.extend(list);
            if !full {
                break;
            }
        }
        Ok(all)
    }

    async fn store_part(&self, part: StorePart) -> Result<Option<Value>, BcError> {
        // Essential, unlike shipments and images: without them a card would show another
        // currency and another country's phones. They are read about once an hour per store.
        let essential = self.once();
        let fetch = async {
            match part {
                StorePart::Info => essential.get_value("v2/store", &[]).await,
                StorePart::Channels => essential
                    .every_page_raw("v3/channels")
                    .await
                    .map(|l| Some(Value::Array(l))),
                StorePart::Sites => essential
                    .every_page_raw("v3/sites")
                    .await
                    .map(|l| Some(Value::Array(l))),
                // Optional: a name for a number. Held back, the card leaves `customerGroup`
                // out (Gladly keeps the name it had) and a later lookup asks again.
                StorePart::CustomerGroups => essential
                    .optional()
                    .every_v2_page("v2/customer_groups")
                    .await
                    .map(|l| Some(Value::Array(l))),
            }
        };
        self.through_cache(
            StalePart::StoreSettings,
            |c| c.store_part(part),
            |c, v| c.keep_store_part(part, v),
            fetch,
        )
        .await
    }
}

impl Store for Client {
    async fn customers(&self, q: &CustomerQuery) -> Result<Vec<Customer>, BcError> {
        if matches!(q, CustomerQuery::Emails(e) if e.len() == 1) {
            self.read_directory().await;
        }
        let kept = self.cache().and_then(|c| match q {
            CustomerQuery::Ids(ids) => c.customers(ids),
            CustomerQuery::Emails(e) => c.customers_by_email(e),
            _ => None,
        });
        if let Some(list) = kept {
            if let Ok(found) = list.into_iter().map(decode).collect() {
                return Ok(found);
            }
        }
        let (key, value) = match q {
            CustomerQuery::Ids(ids) => (
                "id:in",
                ids.iter().map(u64::to_string).collect::<Vec<_>>().join(","),
            ),
            CustomerQuery::Emails(e) => ("email:in", e.join(",")),
            CustomerQuery::Phones(p) => ("phone:in", p.join(",")),
            CustomerQuery::NameLike(n) => ("name:like", n.clone()),
        };
        let query = [
            (key, value),
            ("include", "addresses,storecredit".to_string()),
            ("limit", "25".to_string()),
        ];
        let Some(v) = self.get_value("v3/customers", &query).await? else {
            return Ok(Vec::new());
        };
        let list: DataList<Value> = decode(v)?;
        if let Some(c) = self.cache() {
            let emails = match q {
                CustomerQuery::Emails(e) => Some(e.as_slice()),
                _ => None,
            };
            c.keep_customers(&list.data, emails);
        }
        list.data.into_iter().map(decode).collect()
    }

    async fn orders(&self, q: &OrderQuery) -> Result<Vec<Order>, BcError> {
        let mut query = vec![
            ("sort", "date_created:desc".to_string()),
            ("limit", q.limit.clamp(1, 250).to_string()),
        ];
        if let Some(c) = q.customer_id {
            query.push(("customer_id", c.to_string()));
        }
        if let Some(e) = &q.email {
            query.push(("email", e.clone()));
        }
        if q.page > 1 {
            query.push(("page", q.page.to_string()));
        }
        if q.with_line_items {
            query.push(("include", "consignments.line_items".to_string()));
            query.push(("consignment_structure", "object".to_string()));
        }
        // The guest index's "none" is answered as it is, never kept as a list: kept, it would
        // be fresh for a minute past the index's own minute.
        if let (Some(0), Some(email)) = (q.customer_id, &q.email) {
            if !self.guest_orders_may_exist(email).await {
                return Ok(Vec::new());
            }
        }
        let v = self
            .through_cache(
                StalePart::Orders,
                |c| c.orders(q),
                |c, v| c.keep_orders(q, v),
                async {
                    if q.optional {
                        self.optional().get_value("v2/orders", &query).await
                    } else {
                        self.get_value("v2/orders", &query).await
                    }
                },
            )
            .await?;
        match v {
            // 204: no orders.
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(v) => decode(v),
        }
    }

    async fn order(&self, id: OrderId) -> Result<Option<Order>, BcError> {
        let query = [
            ("include", "consignments.line_items".to_string()),
            ("consignment_structure", "object".to_string()),
        ];
        let order: Option<Order> = self.get(&format!("v2/orders/{id}"), &query).await?;
        if let Some(o) = &order {
            crate::telemetry::order_currency(o.currency());
        }
        Ok(order)
    }

    // Shipments and images give way first when the share runs low: a card
    // without them is still true, and says what it lacks.
    async fn shipments(&self, id: OrderId) -> Result<Vec<Shipment>, BcError> {
        let optional = self.optional();
        let path = format!("v2/orders/{id}/shipments");
        let v = self
            .through_cache(
                StalePart::Shipments(id.0),
                |c| c.shipments(id.0),
                |c, v| c.keep_shipments(id.0, v),
                optional.get_value(&path, &[]),
            )
            .await?;
        match v {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(v) => decode(v),
        }
    }

    async fn catalog_products(&self, ids: &[u64]) -> Result<Vec<CatalogProduct>, BcError> {
        let (mut found, mut missing) = match self.cache() {
            Some(c) => c.products(ids),
            None => (Vec::new(), ids.to_vec()),
        };
        if !missing.is_empty() && self.cache().is_some_and(|c| c.take_best_sellers_read()) {
            let best = [
                ("sort", "total_sold".to_string()),
                ("direction", "desc".to_string()),
            ];
            let page = self.catalog_page(best).await?;
            if let Some(c) = self.cache() {
                c.best_sellers_read();
            }
            for p in page {
                if let Some(at) = p["id"]
                    .as_u64()
                    .and_then(|id| missing.iter().position(|m| *m == id))
                {
                    missing.remove(at);
                    found.push(p);
                }
            }
        }
        if !missing.is_empty() {
            let list = missing
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            found.extend(self.catalog_page([("id:in", list)]).await?);
        }
        // A product that no longer reads is left without its image, not the whole card.
        Ok(found.into_iter().filter_map(|p| decode(p).ok()).collect())
    }

    async fn store_information(&self) -> Result<StoreInformation, BcError> {
        match self.store_part(StorePart::Info).await? {
            Some(v) => decode(v),
            None => Ok(StoreInformation::default()),
        }
    }

    async fn channels(&self) -> Result<Vec<Channel>, BcError> {
        let list = self.store_part(StorePart::Channels).await?;
        let list = list.unwrap_or_else(|| Value::Array(Vec::new()));
        decode(list)
    }

    async fn customer_groups(&self) -> Result<Vec<CustomerGroup>, BcError> {
        let list = self.store_part(StorePart::CustomerGroups).await?;
        decode(list.unwrap_or_else(|| Value::Array(Vec::new())))
    }

    fn stale_notes(&self) -> Vec<crate::cache::StaleNote> {
        self.cache().map(Session::stale_notes).unwrap_or_default()
    }

    async fn sites(&self) -> Result<Vec<Site>, BcError> {
        let list = self.store_part(StorePart::Sites).await?;
        let list = list.unwrap_or_else(|| Value::Array(Vec::new()));
        decode(list)
    }
}

impl StoreActions for Client {
    async fn refunds(&self, id: OrderId) -> Result<Vec<Refund>, BcError> {
        let list: Option<DataList<Refund>> = self
            .get(&format!("v3/orders/{id}/payment_actions/refunds"), &[])
            .await?;
        Ok(list.map(|l| l.data).unwrap_or_default())
    }

    async fn refund_quote(
        &self,
        id: OrderId,
        items: &[RefundItem],
    ) -> Result<RefundQuote, BcError> {
        data(
            self.post(
                &format!("v3/orders/{id}/payment_actions/refund_quotes"),
                &body_of(&RefundQuotePost { items })?,
                Kind::Read,
            )
            .await?,
        )
    }

    async fn create_refund(&self, id: OrderId, body: &RefundPost<'_>) -> Result<Refund, BcError> {
        let refund: Refund = data(
            self.post(
                &format!("v3/orders/{id}/payment_actions/refunds"),
                &body_of(body)?,
                Kind::Write,
            )
            .await?,
        )?;
        if let Some(amount) = rust_decimal::prelude::ToPrimitive::to_f64(&refund.total_amount) {
            crate::telemetry::refunded(amount);
        }
        Ok(refund)
    }

    async fn void_payment(&self, id: OrderId) -> Result<(), BcError> {
        self.post(
            &format!("v3/orders/{id}/payment_actions/void"),
            &serde_json::json!({}),
            Kind::Write,
        )
        .await?;
        Ok(())
    }

    async fn update_order(&self, id: OrderId, put: &OrderPut) -> Result<(), BcError> {
        let body = body_of(put)?;
        match self.put(&format!("v2/orders/{id}"), &body).await? {
            Some(_) => Ok(()),
            None => Err(BcError::Rejected {
                status: 404,
                message: format!("order {id} does not exist"),
            }),
        }
    }

    async fn shipping_addresses(&self, id: OrderId) -> Result<Vec<ShippingAddress>, BcError> {
        Ok(self
            .get::<Vec<ShippingAddress>>(&format!("v2/orders/{id}/shipping_addresses"), &[])
            .await?
            .unwrap_or_default())
    }

    async fn update_shipping_address(
        &self,
        id: OrderId,
        address_id: u64,
        put: &AddressPut,
    ) -> Result<ShippingAddress, BcError> {
        let body = body_of(put)?;
        let answer = self
            .put(
                &format!("v2/orders/{id}/shipping_addresses/{address_id}"),
                &body,
            )
            .await?
            .ok_or_else(|| BcError::Rejected {
                status: 404,
                message: format!("order {id} has no shipping address {address_id}"),
            })?;
        decode(answer)
    }

    async fn create_gift_certificate(
        &self,
        post: &GiftCertificatePost,
    ) -> Result<GiftCertificate, BcError> {
        let body = body_of(post)?;
        let answer = self
            .post("v2/gift_certificates", &body, Kind::Write)
            .await?
            .unwrap_or_default();
        decode(answer)
    }

    async fn default_location(&self) -> Result<Option<u64>, BcError> {
        let list: Option<DataList<Location>> = self
            .get(
                "v3/inventory/locations",
                &[("is_default", "true".to_string())],
            )
            .await?;
        Ok(list.and_then(|l| l.data.into_iter().next()).map(|l| l.id))
    }

    async fn adjust_stock(&self, adjustment: &StockAdjustment) -> Result<(), BcError> {
        self.post(
            "v3/inventory/adjustments/relative",
            &body_of(adjustment)?,
            Kind::Write,
        )
        .await?;
        Ok(())
    }

    async fn find_gift_certificate(&self, code: &str) -> Result<Option<GiftCertificate>, BcError> {
        let list: Option<Vec<GiftCertificate>> = self
            .get("v2/gift_certificates", &[("code", code.to_string())])
            .await?;
        Ok(list.and_then(|l| l.into_iter().find(|g| g.code.eq_ignore_ascii_case(code))))
    }

    async fn create_promotion(&self, body: &PromotionPost) -> Result<Promotion, BcError> {
        data(
            self.post("v3/promotions", &body_of(body)?, Kind::Write)
                .await?,
        )
    }

    async fn find_promotion(&self, name: &str) -> Result<Option<Promotion>, BcError> {
        let list: Option<DataList<Promotion>> = self
            .get("v3/promotions", &[("name", name.to_string())])
            .await?;
        Ok(list.and_then(|l| l.data.into_iter().find(|p| p.name == name)))
    }

    async fn create_code(
        &self,
        promotion_id: PromotionId,
        code: &str,
        max_uses: u64,
    ) -> Result<CouponCode, BcError> {
        let body = body_of(&CouponCodePost {
            code,
            max_uses,
            max_uses_per_customer: 1,
        })?;
        data(
            self.post(
                &format!("v3/promotions/{promotion_id}/codes"),
                &body,
                Kind::Write,
            )
            .await?,
        )
    }

    async fn find_code(&self, code: &str) -> Result<Option<CouponCode>, BcError> {
        let list: Option<DataList<CouponCode>> = self
            .get("v3/promotions/codes", &[("code", code.to_string())])
            .await?;
        Ok(list.and_then(|l| {
            l.data
                .into_iter()
                .find(|c| c.code.eq_ignore_ascii_case(code))
        }))
    }

    async fn create_order(&self, post: &OrderPost) -> Result<Order, BcError> {
        let answer = self
            .post("v2/orders", &body_of(post)?, Kind::Write)
            .await?
            .ok_or_else(|| BcError::Decode("POST /v2/orders answered no order".into()))?;
        decode(answer)
    }

    async fn orders_since(&self, q: &OrdersSince) -> Result<Vec<Order>, BcError> {
        let mut query = vec![
            ("customer_id", q.customer_id.to_string()),
            (
                "min_date_created",
                q.since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ),
            ("sort", "date_created:desc".to_string()),
            ("limit", "250".to_string()),
            ("page", q.page.max(1).to_string()),
        ];
        if let Some(e) = &q.email {
            query.push(("email", e.clone()));
        }
        match self.get_value("v2/orders", &query).await? {
            // 204: none.
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(v) => decode(v),
        }
    }

    fn store_hash(&self) -> Option<String> {
        Client::store_hash(self)
    }

    async fn customer_now(&self, id: CustomerId) -> Result<Option<Customer>, BcError> {
        let query = [
            ("id:in", id.to_string()),
            ("include", "storecredit".to_string()),
        ];
        let list: Option<DataList<Customer>> = self.get("v3/customers", &query).await?;
        Ok(list.and_then(|l| l.data.into_iter().find(|c| c.id == id)))
    }

    async fn update_customer_credit(&self, put: &CustomerCreditPut) -> Result<(), BcError> {
        let body = body_of(&[put])?;
        match self.put("v3/customers", &body).await? {
            Some(_) => Ok(()),
            None => Err(BcError::Rejected {
                status: 404,
                message: format!("customer {} does not exist", put.id),
            }),
        }
    }
}
