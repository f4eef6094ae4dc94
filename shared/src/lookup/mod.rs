//! The lookups: which BigCommerce calls to make for each Gladly request, concurrently and
//! within a deadline, and what to answer. Generic over `Store`, so tests can hand it anything.

pub mod images;

use crate::bigcommerce::models::{Customer, Order, Shipment};
use crate::bigcommerce::{BcError, CustomerQuery, OrderQuery, Store};
use crate::cache::StalePart;
use crate::gladly::{Action, OrderCard, Profile, Query};
use crate::guardrails::Guardrails;
use crate::ids::{looks_like_email, CustomerId, OrderId, ShopperId};
use crate::mapping::email::{normal_email, same_email};
use crate::mapping::{self, mask, phone, MapContext};
use crate::storefront::{StoreFacts, StoreFactsCache};
use futures::future::join_all;
use images::ImageCache;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::time::{timeout_at, Instant};
use url::Url;

/// Gladly shows at most this many search results.
pub const MAX_RESULTS: usize = 25;

/// Store facts the mapping needs, and the knobs of one lookup.
#[derive(Debug, Clone)]
pub struct LookupContext<'a> {
    pub store_hash: &'a str,
    pub storefront_url: Option<&'a Url>,
    pub order_limit: u32,
    pub deadline: Instant,
    pub images: &'a ImageCache,
    /// Which action links the managers allow.
    pub guardrails: &'a Guardrails,
    /// The store's country, currency, time zone and storefronts, kept per container.
    pub facts: &'a StoreFactsCache,
    /// The secret's `default_phone_region`, over the store's country.
    pub phone_region: Option<phone::Region>,
    /// The numbers Gladly sent with this lookup (its profile's), which tell the country of a
    /// shopper's number saved without one.
    pub asked_phones: &'a [String],
}

impl<'a> LookupContext<'a> {
    pub fn with_asked_phones(self, phones: &'a [String]) -> Self {
        LookupContext {
            asked_phones: phones,
            ..self
        }
    }

    /// The numbers Gladly asked for, parsed (the first three: auto-link sends the profile's).
    fn asked(&self, facts: &StoreFacts) -> Vec<phone::Asked> {
        self.asked_phones
            .iter()
            .take(3)
            .filter_map(|p| phone::Asked::parse(p, facts.phone_region))
            .collect()
    }

    /// The store's facts (cached; read from BigCommerce at most once an hour).
    pub async fn store_facts<S: Store>(&self, store: &S) -> Arc<StoreFacts> {
        self.facts
            .get(store, self.phone_region, self.deadline)
            .await
    }
}

/// Decides the action links of an order card and a profile (`actions::StandardActions` in the
/// functions); the lookups only place them.
pub trait Actions: Sync {
    fn order_actions(&self, order: &Order, rails: &Guardrails) -> Vec<Action>;
    fn profile_actions(&self, shopper: &ShopperId, rails: &Guardrails) -> Vec<Action>;
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LookupError {
    /// The shopper's own record could not be read: Gladly must keep what it had (503).
    #[error("the shopper's record could not be read from BigCommerce: {0}")]
    Unavailable(BcError),
    #[error("{0}")]
    Store(BcError),
}

impl From<BcError> for LookupError {
    fn from(e: BcError) -> Self {
        LookupError::Store(e)
    }
}

async fn by_deadline<T>(
    deadline: Instant,
    f: impl std::future::Future<Output = Result<T, BcError>>,
) -> Result<T, BcError> {
    timeout_at(deadline, f)
        .await
        .unwrap_or(Err(BcError::Timeout))
}

// ---------------- BASIC ----------------

/// Auto-link and manual search. Auto-link answers exactly the customers whose email (else
/// phone) matches, so Gladly's exactly-one rule never links a wrong one; a manual search may
/// also go by order number or name.
pub async fn basic<S: Store>(
    store: &S,
    q: &Query,
    ctx: &LookupContext<'_>,
) -> Result<Vec<Profile>, BcError> {
    let deadline = ctx.deadline;
    // Phone spellings and E.164 in the answer depend on the store's country.
    let facts = ctx.store_facts(store).await;
    let facts = facts.as_ref();
    let asked = ctx.asked(facts);
    if let Some(number) = &q.order_number {
        return match OrderId::parse(number) {
            Some(id) => by_order_number(store, id, deadline, facts, &asked).await,
            None => Ok(Vec::new()),
        };
    }
    let emails = query_emails(q);
    if !emails.is_empty() {
        let found = by_deadline(
            deadline,
            store.customers(&CustomerQuery::Emails(emails.clone())),
        )
        .await?;
        let found: Vec<&Customer> = found
            .iter()
            .filter(|c| emails.iter().any(|e| same_email(e, &c.email)))
            .collect();
        if !found.is_empty() {
            return Ok(found
                .into_iter()
                .take(MAX_RESULTS)
                .map(|c| mapping::profile::registered(c, None, facts, &asked))
                .collect());
        }
        // No account: perhaps a guest who checked out with this email.
        if let Some(p) = guest_profile(store, &emails[0], deadline, facts, &asked).await? {
            return Ok(vec![p]);
        }
        tracing::info!(email = %mask::email(&emails[0]), "no customer or guest orders for email");
        if q.phones.is_empty() {
            return Ok(Vec::new());
        }
    }
    if !q.phones.is_empty() {
        let spellings: Vec<String> = q
            .phones
            .iter()
            .take(3)
            .flat_map(|p| phone::search_spellings(p, facts.phone_region))
            .collect();
        if spellings.is_empty() {
            return Ok(Vec::new());
        }
        let found =
            by_deadline(deadline, store.customers(&CustomerQuery::Phones(spellings))).await?;
        // Exactly the customers one of whose stored numbers is a number asked for, read in the
        // country `phone::Reading` picks; each answers that number as its MOBILE, in E.164, so
        // Gladly's exactly-one rule can link it.
        return Ok(found
            .iter()
            .filter(|c| {
                let reading = mapping::profile::reading(c, &asked, facts);
                std::iter::once(&c.phone)
                    .chain(c.addresses.iter().map(|a| &a.phone))
                    .any(|t| reading.names_asked(t).is_some())
            })
            .take(MAX_RESULTS)
            .map(|c| mapping::profile::registered(c, None, facts, &asked))
            .collect());
    }
    // A name alone is only a manual search (Gladly's auto-link always carries its own id).
    match (&q.name, &q.gladly_id) {
        (Some(name), None) if name.chars().count() >= 2 => {
            let found = by_deadline(
                deadline,
                store.customers(&CustomerQuery::NameLike(name.clone())),
            )
            .await?;
            Ok(found
                .iter()
                .take(MAX_RESULTS)
                .map(|c| mapping::profile::registered(c, None, facts, &asked))
                .collect())
        }
        _ => Ok(Vec::new()),
    }
}

/// The emails of a BASIC query that can name a shopper, in their normal form (`normal_email`).
fn query_emails(q: &Query) -> Vec<String> {
    q.emails
        .iter()
        .map(|e| normal_email(e))
        .filter(|e| looks_like_email(e))
        .collect()
}

/// What a BASIC lookup will ask, for the shared cache's one read before it: the email search
/// (an order number goes first, and needs no shopper's parts).
pub fn basic_prefetch(q: &Query) -> crate::cache::Prefetch {
    let emails = query_emails(q);
    if emails.is_empty() || q.order_number.is_some() {
        crate::cache::Prefetch::StoreOnly
    } else {
        crate::cache::Prefetch::Emails(emails)
    }
}

async fn by_order_number<S: Store>(
    store: &S,
    id: OrderId,
    deadline: Instant,
    facts: &StoreFacts,
    asked: &[phone::Asked],
) -> Result<Vec<Profile>, BcError> {
    let Some(order) = by_deadline(deadline, store.order(id)).await? else {
        return Ok(Vec::new());
    };
    let Some(customer_id) = order.customer_id else {
        let email = normal_email(&order.billing_address.email);
        return Ok(if looks_like_email(&email) {
            vec![mapping::profile::guest(&email, &order, facts, asked)]
        } else {
            Vec::new()
        });
    };
    let found = by_deadline(
        deadline,
        store.customers(&CustomerQuery::Ids(vec![customer_id.0])),
    )
    .await?;
    Ok(found
        .iter()
        .map(|c| mapping::profile::registered(c, Some(&order), facts, asked))
        .collect())
}

async fn guest_orders<S: Store>(
    store: &S,
    email: &str,
    limit: u32,
    with_line_items: bool,
    deadline: Instant,
) -> Result<Vec<Order>, BcError> {
    let q = OrderQuery {
        email: Some(email.to_string()),
        limit,
        with_line_items,
        ..OrderQuery::default()
    };
    let orders = by_deadline(deadline, store.orders(&q)).await?;
    Ok(orders
        .into_iter()
        .filter(|o| o.customer_id.is_none() && same_email(&o.billing_address.email, email))
        .collect())
}

async fn guest_profile<S: Store>(
    store: &S,
    email: &str,
    deadline: Instant,
    facts: &StoreFacts,
    asked: &[phone::Asked],
) -> Result<Option<Profile>, BcError> {
    let orders = guest_orders(store, email, 5, false, deadline).await?;
    Ok(orders
        .first()
        .map(|o| mapping::profile::guest(email, o, facts, asked)))
}

// ---------------- DETAILED ----------------

/// The profile with its recent orders and actions. Only `externalCustomerId` identifies the
/// shopper. The customer and the orders are fetched together; then shipments (only for orders
/// with shipped items) and product images (one catalog call, cached) together. What is not back
/// by the deadline is left out and logged.
pub async fn detailed<S: Store>(
    store: &S,
    shopper: &ShopperId,
    ctx: &LookupContext<'_>,
    actions: &dyn Actions,
) -> Result<Vec<Profile>, LookupError> {
    let (mut profile, orders, facts) = match shopper {
        ShopperId::Registered(id) => {
            let oq = OrderQuery {
                customer_id: Some(id.0),
                limit: ctx.order_limit,
                with_line_items: true,
                ..OrderQuery::default()
            };
            let cq = CustomerQuery::Ids(vec![id.0]);
            let (customer, orders, facts) = tokio::join!(
                by_deadline(ctx.deadline, store.customers(&cq)),
                by_deadline(ctx.deadline, store.orders(&oq)),
                ctx.store_facts(store),
            );
            let customer = customer.map_err(LookupError::Unavailable)?;
            let Some(c) = customer.iter().find(|c| c.id == *id) else {
                return Ok(Vec::new());
            };
            let orders = orders
                .inspect_err(|e| {
                    crate::telemetry::left_out("orders");
                    tracing::warn!(customer = id.0, error = %e, "orders unavailable; answering the profile without them")
                })
                .ok();
            (
                mapping::profile::registered(
                    c,
                    orders.as_ref().and_then(|o| o.first()),
                    &facts,
                    &ctx.asked(&facts),
                ),
                orders,
                facts,
            )
        }
        ShopperId::Guest(email) => {
            let (orders, facts) = tokio::join!(
                guest_orders(store, email, ctx.order_limit, true, ctx.deadline),
                ctx.store_facts(store),
            );
            let orders = orders.map_err(LookupError::Unavailable)?;
            let Some(newest) = orders.first() else {
                return Ok(Vec::new());
            };
            (
                mapping::profile::guest(email, newest, &facts, &ctx.asked(&facts)),
                Some(orders),
                facts,
            )
        }
    };
    if let Some(orders) = orders {
        profile.transactions = Some(cards(store, &orders, ctx, actions, &facts).await);
    }
    profile.actions = Some(actions.profile_actions(shopper, ctx.guardrails));
    Ok(vec![profile])
}

/// Recent orders of one shopper as ORDER cards (the `lookup-orders` function).
pub async fn shopper_orders<S: Store>(
    store: &S,
    shopper: &ShopperId,
    ctx: &LookupContext<'_>,
    actions: &dyn Actions,
) -> Result<Vec<OrderCard>, LookupError> {
    let orders = match shopper {
        ShopperId::Registered(CustomerId(id)) => {
            let q = OrderQuery {
                customer_id: Some(*id),
                limit: ctx.order_limit,
                with_line_items: true,
                ..OrderQuery::default()
            };
            by_deadline(ctx.deadline, store.orders(&q)).await
        }
        ShopperId::Guest(email) => {
            guest_orders(store, email, ctx.order_limit, true, ctx.deadline).await
        }
    }
    .map_err(LookupError::Unavailable)?;
    let facts = ctx.store_facts(store).await;
    Ok(cards(store, &orders, ctx, actions, &facts).await)
}

/// One order as an ORDER card, `None` when BigCommerce has no such order.
pub async fn one_order<S: Store>(
    store: &S,
    id: OrderId,
    ctx: &LookupContext<'_>,
    actions: &dyn Actions,
) -> Result<Option<OrderCard>, LookupError> {
    let order = by_deadline(ctx.deadline, store.order(id))
        .await
        .map_err(LookupError::Unavailable)?;
    match order {
        None => Ok(None),
        Some(o) => {
            let facts = ctx.store_facts(store).await;
            Ok(cards(store, std::slice::from_ref(&o), ctx, actions, &facts)
                .await
                .pop())
        }
    }
}

/// Cards for orders, with shipments and images fetched side by side; gaps are logged.
async fn cards<S: Store>(
    store: &S,
    orders: &[Order],
    ctx: &LookupContext<'_>,
    actions: &dyn Actions,
    facts: &StoreFacts,
) -> Vec<OrderCard> {
    let shipped: Vec<u64> = orders
        .iter()
        .filter(|o| o.items_shipped > 0)
        .map(|o| o.id.0)
        .collect();
    let product_ids: Vec<u64> = orders
        .iter()
        .flat_map(|o| o.line_items())
        .map(|p| p.product_id.0)
        .filter(|id| *id > 0)
        .collect();
    let missing = ctx.images.missing(&product_ids);

    let shipments_f = join_all(
        shipped
            .iter()
            .map(|id| by_deadline(ctx.deadline, store.shipments(OrderId(*id)))),
    );
    let images_f = async {
        if missing.is_empty() {
            Ok(Vec::new())
        } else {
            by_deadline(ctx.deadline, store.catalog_products(&missing)).await
        }
    };
    let (shipments, found) = tokio::join!(shipments_f, images_f);

    match found {
        Ok(products) => ctx
            .images
            .record(&missing, products.iter().map(|p| (p.id, p.thumbnail()))),
        Err(e) => {
            crate::telemetry::left_out("images");
            tracing::warn!(error = %e, products = missing.len(), "product images unavailable; cards go without them")
        }
    }
    let mut by_order: HashMap<u64, Vec<Shipment>> = HashMap::new();
    let mut notes: HashMap<u64, Vec<String>> = HashMap::new();
    for (id, result) in shipped.iter().zip(shipments) {
        match result {
            Ok(list) => {
                by_order.insert(*id, list);
            }
            Err(e) => {
                crate::telemetry::left_out("shipments");
                tracing::warn!(order = id, error = %e, "shipments unavailable; the card goes without tracking");
                notes.entry(*id).or_default().push(left_out_note(&e));
            }
        }
    }
    // A part shown older than fresh says how old, on its card (orders: on every card).
    for n in store.stale_notes() {
        let when = chrono::DateTime::from_timestamp_millis(n.at_ms)
            .map(|t| facts.local_text(t))
            .unwrap_or_default();
        match n.part {
            StalePart::Shipments(id) => notes.entry(id).or_default().push(format!(
                "Tracking as of {when}: the store is busy; look again in a minute."
            )),
            StalePart::Orders => {
                let text = format!(
                    "Status and items as of {when}: the store is busy; look again in a minute."
                );
                for o in orders {
                    notes.entry(o.id.0).or_default().push(text.clone());
                }
            }
            StalePart::StoreSettings => continue,
        }
        crate::telemetry::left_out("fresh data");
    }
    let images = ctx.images.urls(&product_ids);
    let map_ctx = MapContext {
        store_hash: ctx.store_hash,
        storefront_url: ctx.storefront_url,
        images: &images,
        facts,
    };
    orders
        .iter()
        .map(|o| {
            let mut card = mapping::order::card(
                o,
                by_order.get(&o.id.0).map(Vec::as_slice),
                &map_ctx,
                actions.order_actions(o, ctx.guardrails),
            );
            if let Some(extra) = notes.get(&o.id.0) {
                let mut all: Vec<&str> = vec![card.note.as_str()];
                all.extend(extra.iter().map(String::as_str));
                all.retain(|s| !s.is_empty());
                card.note = all.join("\n");
            }
            card
        })
        .collect()
}

/// What a card says of tracking it could not load.
fn left_out_note(e: &BcError) -> String {
    match e {
        BcError::OverShare | BcError::RateLimited => {
            "Tracking not loaded: the store is busy; look again in a minute.".to_string()
        }
        _ => "Tracking not loaded: BigCommerce did not answer in time.".to_string(),
    }
}
