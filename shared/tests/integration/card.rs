//! The card tells the whole truth, and Gladly can route on it (issue 23): a registered shopper's
//! guest orders, only their own number as MOBILE, and the routing attributes, against the
//! sandbox store (with a seed of this file's own, built from the default one) and against a
//! stub store for what BigCommerce might answer that the sandbox never does.

use crate::harness::*;
use serde_json::{json, Value};
use shared::actions::StandardActions;
use shared::bigcommerce::models::{
    CatalogProduct, Customer, CustomerGroup, Order, Shipment, StoreInformation,
};
use shared::bigcommerce::{BcError, CustomerQuery, OrderQuery, Store};
use shared::gladly::Profile;
use shared::guardrails::Guardrails;
use shared::ids::{CustomerId, OrderId, ShopperId};
use shared::lookup::images::ImageCache;
use shared::lookup::{detailed as detailed_lookup, LookupContext};
use shared::storefront::StoreFactsCache;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

const ROUTING_KEYS: [&str; 5] = [
    "orderCount",
    "lifetimeValue",
    "firstOrderAt",
    "lastOrderAt",
    "openOrders",
];

/// The default seed, plus: an order of Marcus's account placed with Jane's email (never hers),
/// a gift recipient's number in Jane's address book, and Tom in a group the store does not list.
async fn store() -> bigcommerce_sandbox::Running {
    let mut seed: Value =
        serde_json::from_str(bigcommerce_sandbox::DEFAULT_SEED).expect("the seed is JSON");
    let orders = seed["orders"].as_array_mut().expect("orders");
    let mut not_hers = orders
        .iter()
        .find(|o| o["id"] == 106)
        .cloned()
        .expect("order 106");
    not_hers["id"] = json!(190);
    not_hers["billing_address"]["email"] = json!("jane.doe@example.com");
    orders.push(not_hers);
    let customers = seed["customers"].as_array_mut().expect("customers");
    let jane = customers
        .iter_mut()
        .find(|c| c["id"] == 1)
        .expect("customer 1");
    let mut gift = jane["addresses"][0].clone();
    gift["first_name"] = json!("Rosa");
    gift["phone"] = json!("(303) 555-0188");
    jane["addresses"]
        .as_array_mut()
        .expect("addresses")
        .push(gift);
    let tom = customers
        .iter_mut()
        .find(|c| c["id"] == 6)
        .expect("customer 6");
    tom["customer_group_id"] = json!(9);
    let seed = bigcommerce_sandbox::parse_seed(&seed.to_string()).expect("seed");
    bigcommerce_sandbox::start(
        seed,
        bigcommerce_sandbox::Settings::default(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .expect("sandbox")
}

async fn lookup(app: &TestApp, body: &str) -> (u16, Value) {
    app.lookup(body).await
}

fn cards(answer: &Value) -> Vec<Value> {
    answer["results"][0]["transactions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn numbers(answer: &Value) -> Vec<String> {
    cards(answer)
        .iter()
        .filter_map(|c| c["orderNumber"].as_str().map(String::from))
        .collect()
}

fn attrs(answer: &Value) -> Value {
    answer["results"][0]["customAttributes"].clone()
}

fn amount(text: &Value) -> f64 {
    text.as_str()
        .and_then(|t| t.trim_start_matches('$').parse().ok())
        .unwrap_or(f64::NAN)
}

#[tokio::test]
async fn a_registered_card_holds_the_guest_orders_of_its_email_and_can_route_on_them() {
    let sb = store().await;
    let app = TestApp::new(&sb).await;
    let (status, v) = lookup(&app, &detailed("1")).await;
    assert_eq!(status, 200, "{v}");
    // 167 was a guest checkout as `Jane.Doe@Example.com`; 190 is Marcus's, with her email.
    assert_eq!(numbers(&v), ["101", "102", "103", "104", "105", "167"]);
    let guest = &cards(&v)[5];
    assert_eq!(guest["externalCustomerId"], "1", "on her profile");
    assert!(
        guest["note"]
            .as_str()
            .is_some_and(|n| n.starts_with("Guest checkout")),
        "{guest}"
    );
    let links: Vec<&str> = guest["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["formUrl"].as_str())
        .collect();
    assert!(links.contains(&"/orders/167/cancel"), "{links:?}");

    let a = attrs(&v);
    assert_eq!(a["orderCount"], "6", "{a}");
    assert_eq!(
        a["openOrders"], "4",
        "Awaiting Fulfillment twice, Pending, Partially Shipped"
    );
    assert_eq!(a["firstOrderAt"], "2026-08-20T14:30:00Z", "the guest order");
    assert_eq!(a["lastOrderAt"], "2026-10-29T15:53:00Z");
    assert!(a.get("customerGroup").is_none(), "group 0 is no group");
    // The store's own numbers: each order's total less its refunds.
    let mut want = 0.0;
    for id in [101, 102, 103, 104, 105, 167] {
        let o = bc_order(&sb, id).await;
        want += amount(&json!(format!(
            "${}",
            o["total_inc_tax"].as_str().unwrap_or("x")
        ))) - amount(&json!(format!(
            "${}",
            o["refunded_amount"].as_str().unwrap_or("x")
        )));
    }
    assert_eq!(a["lifetimeValue"], format!("${want:.2}"));
    assert!(a["createdAt"].is_string(), "the attributes of today stay");

    // Every action works on the guest order as on her others: cancel it from her card.
    let (_, form) = app.order_form(167, "cancel").await;
    let body = json!({"reason": "customer_request", "notify": false});
    let (status, done) = app.submit(&action_url(&form), body).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(bc_order(&sb, 167).await["status"], "Cancelled");
    let (_, after) = lookup(&app, &detailed("1")).await;
    assert_eq!(
        attrs(&after)["orderCount"],
        "5",
        "a cancelled order is not counted"
    );
    assert_eq!(attrs(&after)["firstOrderAt"], "2026-09-17T10:59:00Z");
}

#[tokio::test]
async fn the_orders_route_lists_the_same_guest_orders_as_the_card() {
    let sb = store().await;
    let app = TestApp::new(&sb).await;
    let (status, v) = app.get("/customers/1/orders").await;
    assert_eq!(status, 200, "{v}");
    let orders = v["orders"].as_array().cloned().unwrap_or_default();
    let numbers: Vec<&str> = orders
        .iter()
        .filter_map(|o| o["orderNumber"].as_str())
        .collect();
    assert_eq!(numbers, ["101", "102", "103", "104", "105", "167"], "{v}");
    let guest = &orders[5];
    assert_eq!(guest["externalCustomerId"], "1", "on her profile");
    assert!(
        guest["note"]
            .as_str()
            .is_some_and(|n| n.starts_with("Guest checkout")),
        "{guest}"
    );
}

#[tokio::test]
async fn groups_read_as_names_once_per_container_and_an_unlisted_one_as_its_id() {
    let sb = store().await;
    let app = TestApp::new(&sb).await;
    let (_, priya) = lookup(&app, &detailed("5")).await;
    assert_eq!(attrs(&priya)["customerGroup"], "VIP");
    clear_log(&sb).await;
    let (_, tom) = lookup(&app, &detailed("6")).await;
    assert_eq!(attrs(&tom)["customerGroup"], "9", "not in the store's list");
    let (_, by_route) = calls(&sb).await;
    assert!(
        by_route.get("GET /v2/customer_groups").is_none(),
        "read once per container: {by_route}"
    );
    // BASIC answers gain no call and no routing attribute.
    clear_log(&sb).await;
    let (_, basic_answer) = lookup(
        &app,
        &basic(json!({"emails": ["priya.raman@example.com"], "id": "g"})),
    )
    .await;
    assert!(attrs(&basic_answer).get("customerGroup").is_none());
    let (n, by_route) = calls(&sb).await;
    assert_eq!(n, 1, "the customer search alone: {by_route}");
}

#[tokio::test]
async fn the_lookup_after_a_refund_shows_the_lower_lifetime_value() {
    let sb = store().await;
    let table = cache_table().await;
    let lookups = TestApp::of(&sb).cache(table.clone()).build().await;
    // Another container, the same shared cache.
    let actions = TestApp::of(&sb).cache(table).build().await;
    let (_, before) = lookup(&lookups, &detailed("1")).await;
    let was = amount(&attrs(&before)["lifetimeValue"]);
    // A second look within the minute comes from the shared cache, as it was.
    clear_log(&sb).await;
    let (_, cached) = lookup(&lookups, &detailed("1")).await;
    assert_eq!(attrs(&cached), attrs(&before));
    assert!(
        calls(&sb).await.1.get("GET /v2/orders").is_none(),
        "both order lists from the cache"
    );

    let (_, form) = actions.order_form(101, "refund").await;
    let body = json!({"qty_1001": "1", "reason": "damaged"});
    let (status, done) = actions.submit(&action_url(&form), body).await;
    assert_eq!(status, 200, "{done}");
    let refunded = amount(&json!(format!(
        "${}",
        bc_order(&sb, 101).await["refunded_amount"]
            .as_str()
            .unwrap_or("x")
    )));
    assert!(refunded > 0.0);

    let (_, after) = lookup(&lookups, &detailed("1")).await;
    let now = amount(&attrs(&after)["lifetimeValue"]);
    assert!(
        (was - refunded - now).abs() < 0.005,
        "at once, not a minute later: {was} - {refunded} != {now}"
    );
}

#[tokio::test]
async fn a_gift_recipients_number_is_never_the_shoppers_mobile() {
    let sb = store().await;
    let app = TestApp::new(&sb).await;
    let recipient = "+13035550188";
    let mobiles = |v: &Value| -> Vec<String> {
        v["results"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|r| r["phones"].as_array().cloned().unwrap_or_default())
            .filter(|p| p["type"] == "MOBILE")
            .filter_map(|p| p["original"].as_str().map(String::from))
            .collect()
    };
    let (_, by_email) = lookup(
        &app,
        &basic(json!({"emails": ["jane.doe@example.com"], "id": "g"})),
    )
    .await;
    let (_, card) = lookup(&app, &detailed("1")).await;
    for v in [&by_email, &card] {
        assert_eq!(mobiles(v), vec!["+15125550100"], "her own number only: {v}");
    }
    // The recipient's conversation auto-links by their number: not to Jane.
    let (status, by_phone) = lookup(
        &app,
        &basic(json!({"phones": [recipient], "id": "gladly-rosa"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(by_phone, json!({"results": []}));
    // Her own number still links her.
    let (_, own) = lookup(
        &app,
        &basic(json!({"phones": ["+15125550100"], "id": "gladly-jane"})),
    )
    .await;
    assert_eq!(ids(&own), vec!["1"]);
}

#[tokio::test]
async fn a_guests_card_gets_the_same_keys_from_the_orders_it_read() {
    let sb = store().await;
    let app = TestApp::new(&sb).await;
    clear_log(&sb).await;
    let (_, v) = lookup(&app, &detailed("guest:riley.guest@example.com")).await;
    let a = attrs(&v);
    assert_eq!(a["orderCount"], "3", "{a}");
    assert_eq!(a["openOrders"], "1");
    assert!(a.get("customerGroup").is_none());
    let (_, by_route) = calls(&sb).await;
    assert_eq!(
        by_route["GET /v2/orders"], 1,
        "no call for them: {by_route}"
    );
}

// ---------- what the sandbox never answers: a stub store ----------

/// A store answering `orders` as given (whatever the query: as if BigCommerce ignored a
/// filter), failing the guest query or the order list or the group list when asked to.
#[derive(Default)]
struct Stub {
    own: Vec<Order>,
    guests: Vec<Order>,
    fail_own: bool,
    fail_guests: bool,
    hang_guests: bool,
    fail_groups: bool,
    asked: AtomicU32,
}

fn customer() -> Customer {
    Customer {
        id: CustomerId(7),
        email: " Ada@Example.com ".into(),
        first_name: "Ada".into(),
        customer_group_id: "2".into(),
        ..Customer::default()
    }
}

impl Store for Stub {
    async fn customers(&self, _: &CustomerQuery) -> Result<Vec<Customer>, BcError> {
        Ok(vec![customer()])
    }
    async fn orders(&self, q: &OrderQuery) -> Result<Vec<Order>, BcError> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        if q.customer_id == Some(0) {
            if self.hang_guests {
                tokio::time::sleep(Duration::from_secs(60)).await;
            }
            if self.fail_guests {
                return Err(BcError::Unavailable(503));
            }
            return Ok(self.guests.clone());
        }
        if self.fail_own {
            return Err(BcError::Unavailable(503));
        }
        Ok(self.own.clone())
    }
    async fn order(&self, _: OrderId) -> Result<Option<Order>, BcError> {
        Ok(None)
    }
    async fn shipments(&self, _: OrderId) -> Result<Vec<Shipment>, BcError> {
        Ok(Vec::new())
    }
    async fn catalog_products(&self, _: &[u64]) -> Result<Vec<CatalogProduct>, BcError> {
        Ok(Vec::new())
    }
    async fn store_information(&self) -> Result<StoreInformation, BcError> {
        Ok(StoreInformation {
            currency: "USD".into(),
            ..StoreInformation::default()
        })
    }
    async fn customer_groups(&self) -> Result<Vec<CustomerGroup>, BcError> {
        if self.fail_groups {
            return Err(BcError::Timeout);
        }
        Ok(vec![CustomerGroup {
            id: 2,
            name: "Wholesale".into(),
        }])
    }
}

fn order(id: u64, customer: u64, email: &str, day: u32, extra: Value) -> Order {
    let mut v = json!({
        "id": id, "customer_id": customer, "status_id": 11, "status": "Awaiting Fulfillment",
        "total_inc_tax": "10.0000", "refunded_amount": "0.0000",
        "currency_code": "USD", "default_currency_code": "USD", "store_default_currency_code": "USD",
        "store_default_to_transactional_exchange_rate": "1.0000000000",
        "date_created": format!("2026-10-{day:02}T12:00:00Z"),
        "billing_address": {"email": email, "first_name": "Ada"},
    });
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    serde_json::from_value(v).unwrap_or_else(|e| panic!("order {id}: {e}"))
}

/// What a lookup context borrows: a warm container's caches, empty.
#[derive(Default)]
struct Caches {
    rails: Guardrails,
    images: ImageCache,
    facts: StoreFactsCache,
}

impl Caches {
    fn context(&self, deadline: Duration) -> LookupContext<'_> {
        LookupContext {
            store_hash: "abc",
            storefront_url: None,
            order_limit: 10,
            deadline: tokio::time::Instant::now() + deadline,
            late: tokio::time::Instant::now() + deadline,
            images: &self.images,
            guardrails: &self.rails,
            facts: &self.facts,
            phone_region: None,
            asked_phones: &[],
        }
    }
}

async fn run<S: Store>(stub: &S, deadline: Duration) -> (Profile, shared::telemetry::RequestStats) {
    let caches = Caches::default();
    let ctx = caches.context(deadline);
    let (answer, stats) = shared::telemetry::gather(detailed_lookup(
        stub,
        &ShopperId::Registered(CustomerId(7)),
        &ctx,
        &StandardActions,
    ))
    .await;
    let mut answer = answer.unwrap_or_else(|e| panic!("lookup failed: {e}"));
    assert_eq!(answer.len(), 1);
    (answer.remove(0), stats)
}

#[tokio::test]
async fn the_orders_route_without_guest_orders_still_lists_the_accounts() {
    for fail in [false, true] {
        let stub = Stub {
            own: vec![order(1, 7, "ada@example.com", 20, json!({}))],
            guests: vec![order(2, 0, " ADA@example.com ", 21, json!({}))],
            fail_guests: fail,
            ..Stub::default()
        };
        let caches = Caches::default();
        let ctx = caches.context(Duration::from_millis(500));
        let cards = shared::lookup::shopper_orders(
            &stub,
            &ShopperId::Registered(CustomerId(7)),
            &ctx,
            &StandardActions,
        )
        .await
        .unwrap_or_else(|e| panic!("orders failed: {e}"));
        let numbers: Vec<&str> = cards.iter().map(|c| c.order_number.as_str()).collect();
        let want: &[&str] = if fail { &["1"] } else { &["2", "1"] };
        assert_eq!(numbers, want, "guest query failing: {fail}");
        assert_eq!(
            stub.asked.load(Ordering::SeqCst),
            2,
            "own and guest queries asked"
        );
        assert!(cards.iter().all(|c| c.external_customer_id == "7"));
    }
}

fn order_numbers(p: &Profile) -> Vec<String> {
    p.transactions
        .iter()
        .flatten()
        .map(|c| c.order_number.clone())
        .collect()
}

#[tokio::test]
async fn only_guest_orders_whose_billing_email_is_the_accounts_are_kept() {
    let stub = Stub {
        own: vec![order(1, 7, "ada@example.com", 20, json!({}))],
        guests: vec![
            order(2, 0, "ADA@example.COM", 19, json!({})),
            order(3, 0, "  ada@example.com\t", 18, json!({})),
            order(4, 0, "not.ada@example.com", 17, json!({})),
            order(5, 0, "ada@example.com.evil", 16, json!({})),
            // Another account's order with her email: never hers.
            order(6, 8, "ada@example.com", 15, json!({})),
            order(7, 0, "ada@example.com", 21, json!({"status_id": 5})),
        ],
        ..Stub::default()
    };
    let (p, _) = run(&stub, Duration::from_secs(4)).await;
    assert_eq!(order_numbers(&p), ["7", "1", "2", "3"], "newest first");
    let a = &p.custom_attributes;
    assert_eq!(
        a["orderCount"], "3",
        "the cancelled one is shown, not counted"
    );
    assert_eq!(a["lifetimeValue"], "$30.00");
    assert_eq!(a["customerGroup"], "Wholesale");
    assert_eq!(stub.asked.load(Ordering::SeqCst), 2, "one query each");
}

#[tokio::test]
async fn a_failing_or_slow_guest_query_leaves_the_accounts_orders_and_no_counts() {
    for (fail, hang) in [(true, false), (false, true)] {
        let stub = Stub {
            own: vec![order(1, 7, "ada@example.com", 20, json!({}))],
            guests: vec![order(2, 0, "ada@example.com", 19, json!({}))],
            fail_guests: fail,
            hang_guests: hang,
            ..Stub::default()
        };
        let (_guard, logs) = crate::harness::capture::logs();
        let (p, stats) = run(&stub, Duration::from_millis(500)).await;
        assert_eq!(order_numbers(&p), ["1"], "fail {fail}, hang {hang}");
        for k in ROUTING_KEYS {
            assert!(
                !p.custom_attributes.contains_key(k),
                "{k} never 0 or partial"
            );
        }
        assert_eq!(p.custom_attributes["customerGroup"], "Wholesale");
        assert!(stats.left_out.contains(&"guest orders"), "{stats:?}");
        let text = logs.text();
        assert!(text.contains("guest orders left out"), "{text}");
    }
}

#[tokio::test]
async fn a_failing_order_list_leaves_the_card_as_today_and_no_counts() {
    let stub = Stub {
        fail_own: true,
        fail_groups: true,
        ..Stub::default()
    };
    let (p, stats) = run(&stub, Duration::from_secs(4)).await;
    assert!(
        p.transactions.is_none(),
        "as today: the profile without orders"
    );
    for k in ROUTING_KEYS {
        assert!(!p.custom_attributes.contains_key(k), "{k}");
    }
    assert!(
        !p.custom_attributes.contains_key("customerGroup"),
        "the list unread: Gladly keeps the name it had"
    );
    assert!(stats.left_out.contains(&"orders"), "{stats:?}");
    assert_eq!(
        stub.asked.load(Ordering::SeqCst),
        1,
        "no guest query without the list"
    );
}

#[tokio::test]
async fn an_order_in_an_unreadable_currency_is_counted_not_summed_and_measured() {
    let stub = Stub {
        own: vec![
            order(1, 7, "ada@example.com", 20, json!({})),
            // £8 at 0.8 per dollar: $10.
            order(
                2,
                7,
                "ada@example.com",
                19,
                json!({"default_currency_code": "GBP", "currency_code": "GBP", "total_inc_tax": "8.0000", "store_default_to_transactional_exchange_rate": "0.8000000000"}),
            ),
            order(
                3,
                7,
                "ada@example.com",
                18,
                json!({"default_currency_code": "", "currency_code": ""}),
            ),
            order(
                4,
                7,
                "ada@example.com",
                17,
                json!({"default_currency_code": "EUR", "currency_code": "EUR", "store_default_to_transactional_exchange_rate": "0"}),
            ),
        ],
        ..Stub::default()
    };
    let (p, stats) = run(&stub, Duration::from_secs(4)).await;
    assert_eq!(p.custom_attributes["lifetimeValue"], "$20.00");
    assert_eq!(p.custom_attributes["orderCount"], "4");
    assert_eq!(stats.left_out_of_value, 2, "{stats:?}");
    let line = shared::telemetry::emf_line("lookup-customer", 200, 5, &stats, 0);
    crate::harness::gladly::assert_emf(&line);
    assert!(
        line.contains("\"OrdersLeftOutOfLifetimeValue\":2"),
        "{line}"
    );
}

#[tokio::test]
async fn counts_stay_exact_past_a_full_page() {
    // 250 orders on the first page, 3 on the second.
    struct Long(AtomicU32);
    impl Store for Long {
        async fn customers(&self, _: &CustomerQuery) -> Result<Vec<Customer>, BcError> {
            Ok(vec![customer()])
        }
        async fn orders(&self, q: &OrderQuery) -> Result<Vec<Order>, BcError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            if q.customer_id == Some(0) {
                return Ok(Vec::new());
            }
            let n = if q.page <= 1 { q.limit as u64 } else { 3 };
            Ok((0..n)
                .map(|i| {
                    order(
                        1000 * u64::from(q.page) + i,
                        7,
                        "ada@example.com",
                        1,
                        json!({}),
                    )
                })
                .collect())
        }
        async fn order(&self, _: OrderId) -> Result<Option<Order>, BcError> {
            Ok(None)
        }
        async fn shipments(&self, _: OrderId) -> Result<Vec<Shipment>, BcError> {
            Ok(Vec::new())
        }
        async fn catalog_products(&self, _: &[u64]) -> Result<Vec<CatalogProduct>, BcError> {
            Ok(Vec::new())
        }
    }
    let store = Long(AtomicU32::new(0));
    let (p, _) = run(&store, Duration::from_secs(4)).await;
    assert_eq!(p.custom_attributes["orderCount"], "253");
    assert_eq!(p.transactions.as_ref().map(Vec::len), Some(10));
    assert_eq!(
        store.0.load(Ordering::SeqCst),
        3,
        "page 1, page 2, the guest query"
    );
}
