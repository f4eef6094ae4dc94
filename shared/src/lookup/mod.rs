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
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::time::{timeout_at, Instant};
use url::Url;

/// Gladly shows at most this many search results.
pub const MAX_RESULTS: usize = 25;

/// One page of a shopper's order history: the most one call returns. A DETAILED card shows the
/// newest `order_limit` of it; the routing attributes count all of it (and further pages).
pub const HISTORY_PAGE: u32 = 250;

/// Past this many pages (25,000 orders) the routing attributes are left out rather than read on.
const MAX_HISTORY_PAGES: u32 = 100;

/// Store facts the mapping needs, and the knobs of one lookup.
#[derive(Debug, Clone)]
pub struct LookupContext<'a> {
    pub store_hash: &'a str,
    pub storefront_url: Option<&'a Url>,
    pub order_limit: u32,
    /// What is not back by then is left out.
    pub deadline: Instant,
    /// The bound of the calls the lookup cannot answer without (`app::LATE_ANSWER`): past the
    /// deadline only when the quota share made them wait for the next window.
    pub late: Instant,
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

/// A call the lookup cannot answer without: bounded by the late bound, and allowed to wait for
/// the next quota window within it (`quota::patiently`; `app::LATE_ANSWER`).
async fn essential<T>(
    ctx: &LookupContext<'_>,
    f: impl std::future::Future<Output = Result<T, BcError>>,
) -> Result<T, BcError> {
    by_deadline(ctx.late, crate::quota::patiently(ctx.late, f)).await
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
    // Every call of a BASIC is one it cannot answer without.
    let deadline = ctx.late;
    // Phone spellings and E.164 in the answer depend on the store's country.
    let facts = ctx.store_facts(store).await;
    let facts = facts.as_ref();
    let asked = ctx.asked(facts);
    if let Some(number) = &q.order_number {
        return match OrderId::parse(number) {
            Some(id) => essential(ctx, by_order_number(store, id, deadline, facts, &asked)).await,
            None => Ok(Vec::new()),
        };
    }
    let emails = query_emails(q);
    if !emails.is_empty() {
        let found = essential(ctx, store.customers(&CustomerQuery::Emails(emails.clone()))).await?;
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
        let guest = guest_profile(store, &emails[0], deadline, facts, &asked);
        if let Some(p) = essential(ctx, guest).await? {
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
        let found = essential(ctx, store.customers(&CustomerQuery::Phones(spellings))).await?;
        // Exactly the customers whose own number is a number asked for, read in the country
        // `phone::Reading` picks; each answers that number as its MOBILE, in E.164, so Gladly's
        // exactly-one rule can link it. A number saved only on an address (a gift recipient's)
        // never links its owner's conversations to the shopper.
        return Ok(found
            .iter()
            .filter(|c| {
                mapping::profile::reading(c, &asked, facts)
                    .names_asked(&c.phone)
                    .is_some()
            })
            .take(MAX_RESULTS)
            .map(|c| mapping::profile::registered(c, None, facts, &asked))
            .collect());
    }
    // A name alone is only a manual search (Gladly's auto-link always carries its own id).
    match (&q.name, &q.gladly_id) {
        (Some(name), None) if name.chars().count() >= 2 => {
            let found =
                essential(ctx, store.customers(&CustomerQuery::NameLike(name.clone()))).await?;
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

/// The guest orders placed with `email`: `customer_id=0&email=…`, and of what BigCommerce
/// answers only orders with no customer whose billing email is `email`, trimmed, in any case
/// (an order of a registered customer with that email never counts as a guest's). With the
/// query, to read further pages by, and whether its page came back full.
/// Which guest-order read: a search's (a few, no line items), a card's (`limit` with line
/// items), a whole history's (a full page with line items), or a registered card's (the same,
/// giving way to the quota).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GuestQuery {
    Search,
    Cards(u32),
    History,
    Optional,
}

async fn guest_orders<S: Store>(
    store: &S,
    email: &str,
    what: GuestQuery,
    deadline: Instant,
) -> Result<(Vec<Order>, OrderQuery, bool), BcError> {
    let (limit, with_line_items) = match what {
        GuestQuery::Search => (5, false),
        GuestQuery::Cards(n) => (n, true),
        GuestQuery::History | GuestQuery::Optional => (HISTORY_PAGE, true),
    };
    let q = OrderQuery {
        customer_id: Some(0),
        email: Some(email.to_string()),
        limit,
        with_line_items,
        optional: what == GuestQuery::Optional,
        ..OrderQuery::default()
    };
    let orders = by_deadline(deadline, store.orders(&q)).await?;
    let full = orders.len() >= limit as usize;
    Ok((guests_of(orders, email), q, full))
}

fn guests_of(orders: Vec<Order>, email: &str) -> Vec<Order> {
    orders
        .into_iter()
        .filter(|o| o.customer_id.is_none() && same_email(&o.billing_address.email, email))
        .collect()
}

/// The pages of a history after a full first one (without line items: only the counts read
/// them); `None` when one fails or there are too many to read.
async fn rest_of_history<S: Store>(
    store: &S,
    first: &OrderQuery,
    mut full: bool,
    deadline: Instant,
) -> Option<Vec<Order>> {
    let mut rest = Vec::new();
    let mut page = 1;
    while full {
        page += 1;
        if page > MAX_HISTORY_PAGES {
            tracing::warn!(
                pages = MAX_HISTORY_PAGES,
                "order history too long to count; routing attributes left out"
            );
            return None;
        }
        let q = OrderQuery {
            page,
            with_line_items: false,
            ..first.clone()
        };
        match by_deadline(deadline, store.orders(&q)).await {
            Ok(list) => {
                full = list.len() >= first.limit as usize;
                rest.extend(list);
            }
            Err(e) => {
                tracing::warn!(page, error = %e, "order history unavailable past its first page; routing attributes left out");
                return None;
            }
        }
    }
    Some(rest)
}

async fn guest_profile<S: Store>(
    store: &S,
    email: &str,
    deadline: Instant,
    facts: &StoreFacts,
    asked: &[phone::Asked],
) -> Result<Option<Profile>, BcError> {
    let (orders, _, _) = guest_orders(store, email, GuestQuery::Search, deadline).await?;
    Ok(orders
        .first()
        .map(|o| mapping::profile::guest(email, o, facts, asked)))
}

// ---------------- DETAILED ----------------

/// The profile with its recent orders, actions and routing attributes. Only
/// `externalCustomerId` identifies the shopper.
///
/// A registered shopper: the customer, the first page of their orders, the store's facts and
/// (once per container) its customer group names together; then, together again, their guest
/// orders (the query needs the account's email), the shipments and images of their newest
/// orders, and any further pages of their history; then the shipments and images of guest orders
/// that made the card, if any. A guest: their orders and the store's facts, then shipments and
/// images. What is not back by the deadline is left out and logged.
pub async fn detailed<S: Store>(
    store: &S,
    shopper: &ShopperId,
    ctx: &LookupContext<'_>,
    actions: &dyn Actions,
) -> Result<Vec<Profile>, LookupError> {
    let limit = ctx.order_limit as usize;
    let mut parts = Parts::default();
    let (mut profile, shown, facts, history) = match shopper {
        ShopperId::Registered(id) => {
            let oq = OrderQuery {
                customer_id: Some(id.0),
                limit: HISTORY_PAGE,
                with_line_items: true,
                ..OrderQuery::default()
            };
            let cq = CustomerQuery::Ids(vec![id.0]);
            // Boxed, here and below: side by side, the calls' futures would otherwise all sit
            // on the caller's stack at once.
            let (customer, orders, facts, groups) = tokio::join!(
                Box::pin(essential(ctx, store.customers(&cq))),
                Box::pin(essential(ctx, store.orders(&oq))),
                Box::pin(ctx.store_facts(store)),
                Box::pin(ctx.facts.group_names(store, ctx.deadline)),
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
            let mut profile = mapping::profile::registered(
                c,
                orders.as_ref().and_then(|o| o.first()),
                &facts,
                &ctx.asked(&facts),
            );
            if let Some(g) =
                mapping::routing::customer_group(&c.customer_group_id, groups.as_deref())
            {
                profile
                    .custom_attributes
                    .insert("customerGroup".to_string(), g);
            }
            let Some(own) = orders else {
                profile.actions = Some(actions.profile_actions(shopper, ctx.guardrails));
                return Ok(vec![profile]);
            };
            let email = normal_email(&c.email);
            let own_newest: Vec<&Order> = own.iter().take(limit).collect();
            let own_full = own.len() >= HISTORY_PAGE as usize;
            let (guests, own_rest, ()) = tokio::join!(
                Box::pin(async {
                    if looks_like_email(&email) {
                        // Optional: under a spent quota share the auto-links and the account's
                        // own orders come first (essential, the guest query doubled the essential
                        // calls of a DETAILED, and `make bench-quota` answered 5xx to 76 of 402
                        // lookups). Held back, the card shows the account's orders, leaves the
                        // counts out and says so in the log.
                        Some(guest_orders(store, &email, GuestQuery::Optional, ctx.deadline).await)
                    } else {
                        None
                    }
                }),
                Box::pin(rest_of_history(store, &oq, own_full, ctx.deadline)),
                Box::pin(parts.fetch(store, &own_newest, ctx)),
            );
            // The guest orders (for the card), and the rest of them past a full page (for the
            // counts; `None`: unknown, so the counts are left out).
            let (guests, guests_rest) = match guests {
                None => (Vec::new(), Some(Vec::new())),
                Some(Ok((list, gq, full))) => {
                    let rest = Box::pin(rest_of_history(store, &gq, full, ctx.deadline)).await;
                    (list, rest.map(|r| guests_of(r, &email)))
                }
                Some(Err(e)) => {
                    crate::telemetry::left_out("guest orders");
                    tracing::warn!(customer = id.0, error = %e, "guest orders unavailable; the card shows the account's orders only, guest orders left out");
                    (Vec::new(), None)
                }
            };
            let shown = newest_first(
                own.iter().take(limit).cloned().collect(),
                guests.iter().take(limit).cloned().collect(),
                limit,
            );
            let history = match (own_rest, guests_rest) {
                (Some(rest), Some(guests_rest)) => {
                    let mut all = own;
                    all.extend(rest);
                    all.extend(guests);
                    all.extend(guests_rest);
                    Some(all)
                }
                _ => None,
            };
            (profile, shown, facts, history)
        }
        ShopperId::Guest(email) => {
            let (orders, facts) = tokio::join!(
                essential(
                    ctx,
                    guest_orders(store, email, GuestQuery::History, ctx.late)
                ),
                ctx.store_facts(store),
            );
            let (orders, _, full) = orders.map_err(LookupError::Unavailable)?;
            let Some(newest) = orders.first() else {
                return Ok(Vec::new());
            };
            let profile = mapping::profile::guest(email, newest, &facts, &ctx.asked(&facts));
            let shown: Vec<Order> = orders.iter().take(limit).cloned().collect();
            // The keys a registered card has, where the one page read is the whole history.
            let history = (!full).then_some(orders);
            (profile, shown, facts, history)
        }
    };
    match history {
        Some(all) => {
            let refs: Vec<&Order> = all.iter().collect();
            let got = mapping::routing::order_attributes(&refs, &facts.currency);
            if got.left_out_of_value > 0 {
                crate::telemetry::left_out_of_value(got.left_out_of_value);
                tracing::warn!(
                    orders = got.left_out_of_value,
                    "orders whose currency or exchange rate cannot be read are left out of lifetimeValue"
                );
            }
            profile.custom_attributes.extend(got.attributes);
        }
        None => tracing::warn!("order history incomplete; routing attributes left out"),
    }
    let shown_refs: Vec<&Order> = shown.iter().collect();
    Box::pin(parts.fetch(store, &shown_refs, ctx)).await;
    let mut cards = parts.cards(store, &shown, ctx, actions, &facts);
    for card in cards.iter_mut() {
        if card.external_customer_id != profile.external_customer_id {
            mapping::order::on_account_card(card, &profile.external_customer_id);
        }
    }
    profile.transactions = Some(cards);
    profile.actions = Some(actions.profile_actions(shopper, ctx.guardrails));
    Ok(vec![profile])
}

/// The account's orders and its guest checkouts, newest first, at most `limit`.
fn newest_first(own: Vec<Order>, guests: Vec<Order>, limit: usize) -> Vec<Order> {
    let mut shown: Vec<Order> = own.into_iter().take(limit).collect();
    shown.extend(guests.into_iter().take(limit));
    shown.sort_by(|a, b| {
        b.date_created
            .cmp(&a.date_created)
            .then(b.id.0.cmp(&a.id.0))
    });
    shown.truncate(limit);
    shown
}

/// Recent orders of one shopper as ORDER cards (the `lookup-orders` function): for an account,
/// its guest checkouts too, as on the DETAILED card.
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
            let cq = CustomerQuery::Ids(vec![*id]);
            let (own, customer) = tokio::join!(
                Box::pin(essential(ctx, store.orders(&q))),
                Box::pin(essential(ctx, store.customers(&cq))),
            );
            let own = own.map_err(LookupError::Unavailable)?;
            // The same orders the DETAILED card shows: the account's and its email's guest
            // checkouts. Without the account's email (the read failed, or the quota held the
            // guest query back) the account's own, as before, and the log says so.
            let email = customer
                .ok()
                .and_then(|cs| cs.into_iter().find(|c| c.id.0 == *id))
                .map(|c| normal_email(&c.email))
                .filter(|e| looks_like_email(e));
            let guests = match email {
                Some(e) => {
                    match guest_orders(store, &e, GuestQuery::Optional, ctx.deadline).await {
                        Ok((list, _, _)) => list,
                        Err(err) => {
                            crate::telemetry::left_out("guest orders");
                            tracing::warn!(customer = *id, error = %err, "guest orders unavailable; the account's orders only, guest orders left out");
                            Vec::new()
                        }
                    }
                }
                None => Vec::new(),
            };
            let facts = ctx.store_facts(store).await;
            let shown = newest_first(own, guests, ctx.order_limit as usize);
            let mut cards = cards(store, &shown, ctx, actions, &facts).await;
            let profile_id = shopper.to_string();
            for card in cards.iter_mut() {
                if card.external_customer_id != profile_id {
                    mapping::order::on_account_card(card, &profile_id);
                }
            }
            return Ok(cards);
        }
        ShopperId::Guest(email) => essential(
            ctx,
            guest_orders(store, email, GuestQuery::Cards(ctx.order_limit), ctx.late),
        )
        .await
        .map(|(orders, _, _)| orders),
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
    let order = essential(ctx, store.order(id))
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
    let mut parts = Parts::default();
    parts
        .fetch(store, &orders.iter().collect::<Vec<_>>(), ctx)
        .await;
    parts.cards(store, orders, ctx, actions, facts)
}

/// The shipments and images of the orders a card shows, fetched in rounds: each order's and each
/// product's asked for once per lookup, whatever the answer.
#[derive(Debug, Default)]
struct Parts {
    shipments: HashMap<u64, Vec<Shipment>>,
    notes: HashMap<u64, Vec<String>>,
    asked_orders: HashSet<u64>,
    asked_products: HashSet<u64>,
}

impl Parts {
    /// Shipments (only of orders with shipped items) and images (one catalog call, cached) of
    /// `orders` not asked for yet, side by side; no call when there is nothing new to ask.
    async fn fetch<S: Store>(&mut self, store: &S, orders: &[&Order], ctx: &LookupContext<'_>) {
        let shipped: Vec<u64> = orders
            .iter()
            .filter(|o| o.items_shipped > 0)
            .map(|o| o.id.0)
            .filter(|id| self.asked_orders.insert(*id))
            .collect();
        let product_ids: Vec<u64> = orders
            .iter()
            .flat_map(|o| o.line_items())
            .map(|p| p.product_id.0)
            .filter(|id| *id > 0)
            .collect();
        let missing: Vec<u64> = ctx
            .images
            .missing(&product_ids)
            .into_iter()
            .filter(|id| self.asked_products.insert(*id))
            .collect();

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
        for (id, result) in shipped.iter().zip(shipments) {
            match result {
                Ok(list) => {
                    self.shipments.insert(*id, list);
                }
                Err(e) => {
                    crate::telemetry::left_out("shipments");
                    tracing::warn!(order = id, error = %e, "shipments unavailable; the card goes without tracking");
                    self.notes.entry(*id).or_default().push(left_out_note(&e));
                }
            }
        }
    }

    /// The cards of `orders`, with what was fetched, and a note on each part shown older than
    /// fresh.
    fn cards<S: Store>(
        mut self,
        store: &S,
        orders: &[Order],
        ctx: &LookupContext<'_>,
        actions: &dyn Actions,
        facts: &StoreFacts,
    ) -> Vec<OrderCard> {
        let notes = &mut self.notes;
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
                        let on_card = notes.entry(o.id.0).or_default();
                        if !on_card.contains(&text) {
                            on_card.push(text.clone());
                        }
                    }
                }
                StalePart::StoreSettings => continue,
            }
            crate::telemetry::left_out("fresh data");
        }
        let product_ids: Vec<u64> = orders
            .iter()
            .flat_map(|o| o.line_items())
            .map(|p| p.product_id.0)
            .collect();
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
                    self.shipments.get(&o.id.0).map(Vec::as_slice),
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
