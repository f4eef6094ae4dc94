//! The store's guest index (`cache::guests`): the real lookup handlers against the sandbox, the
//! shared cache in memory. While the index is fresh a registered card asks no guest query for
//! an email no guest used, and an auto-link by an unknown email asks nothing more than the
//! customer search; a guest order made since is found by the index's next read, never hidden.

use crate::harness::*;
use serde_json::{json, Value};
use shared::cache::{keys, Entry, MemoryTable, Table};
use std::sync::Arc;

/// The queries of `GET /v2/orders` the store was asked since the log was cleared.
async fn order_queries(sb: &bigcommerce_sandbox::Running) -> Vec<String> {
    get_queries(sb, "/v2/orders").await
}

fn index_reads(q: &[String]) -> usize {
    q.iter()
        .filter(|q| q.contains("min_date_modified="))
        .count()
}

fn guest_queries(q: &[String]) -> usize {
    q.iter()
        .filter(|q| q.contains("customer_id=0") && q.contains("email="))
        .count()
}

/// Moves the kept index's times back by `ms`, as if it had been read that long ago.
fn age_index(memory: &MemoryTable, store: &str, ms: i64) {
    let key = keys::guest_index(store);
    let e = memory.raw(&key).expect("the index was written");
    let mut v: Value = serde_json::from_str(&e.value).expect("index json");
    let at = v["complete_at_ms"].as_i64().expect("complete");
    v["complete_at_ms"] = json!(at - ms);
    memory.put_raw(
        &key,
        Entry {
            value: v.to_string(),
            at_ms: e.at_ms - ms,
        },
    );
}

/// A guest checkout with `email`, made in the store now.
async fn guest_order(sb: &bigcommerce_sandbox::Running, email: &str) -> u64 {
    let address = json!({"first_name": "Marcus", "last_name": "Chen", "street_1": "1 Main St",
        "city": "Austin", "state": "Texas", "zip": "78701", "country": "United States",
        "country_iso2": "US", "email": email});
    let body = json!({
        "customer_id": 0, "status_id": 11, "channel_id": 1, "default_currency_code": "USD",
        "billing_address": address, "shipping_addresses": [address],
        "products": [{"product_id": 101, "quantity": 1, "price_inc_tax": 12, "price_ex_tax": 12}],
    });
    let r = reqwest::Client::new()
        .post(format!("{}/v2/orders", sb.store_url()))
        .header("x-auth-token", &sb.token)
        .json(&body)
        .send()
        .await
        .expect("create order");
    let v: Value = r.json().await.expect("order json");
    v["id"].as_u64().expect("order id")
}

/// The store's own answer to the guest query, asked directly.
async fn store_guest_orders(sb: &bigcommerce_sandbox::Running, email: &str) -> Vec<u64> {
    let r = reqwest::Client::new()
        .get(format!("{}/v2/orders", sb.store_url()))
        .query(&[("customer_id", "0"), ("email", email)])
        .header("x-auth-token", &sb.token)
        .send()
        .await
        .expect("guest query");
    let v: Value = r.json().await.unwrap_or(Value::Null);
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["id"].as_u64())
        .collect()
}

fn card_ids(v: &Value) -> Vec<u64> {
    v["results"][0]["transactions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["orderNumber"].as_str()?.parse().ok())
        .collect()
}

async fn app_with(sb: &bigcommerce_sandbox::Running, table: &Table) -> TestApp {
    TestApp::of(sb).cache(table.clone()).build().await
}

#[tokio::test]
async fn while_the_index_is_fresh_no_guest_query_is_asked_for_an_email_no_guest_used() {
    let sb = sandbox().await;
    let (table, _memory) = Table::memory();
    let app = app_with(&sb, &table).await;
    // The first lookup reads the store's guest history (one page here) in place of its guest
    // query; Jane's email is in it, so her guest query is asked too, and her guest order shown.
    clear_log(&sb).await;
    let (status, jane, stats) = app.lookup_measured(&detailed("1")).await;
    assert_eq!(status, 200, "{jane}");
    let q = order_queries(&sb).await;
    assert_eq!((index_reads(&q), guest_queries(&q)), (1, 1), "{q:?}");
    assert!(card_ids(&jane).contains(&167), "her guest order: {jane}");
    assert!(stats.left_out.is_empty(), "{stats:?}");

    // Marcus has no guest order (the store says so), so: no guest query, no index read, and
    // nothing left out.
    assert!(store_guest_orders(&sb, "marcus.chen@example.com")
        .await
        .is_empty());
    clear_log(&sb).await;
    let (status, marcus, stats) = app.lookup_measured(&detailed("2")).await;
    assert_eq!(status, 200, "{marcus}");
    let q = order_queries(&sb).await;
    assert_eq!((index_reads(&q), guest_queries(&q)), (0, 0), "{q:?}");
    assert_eq!(q.len(), 1, "his own orders only: {q:?}");
    assert!(stats.left_out.is_empty(), "complete: {stats:?}");
    assert!(stats.cache_hits >= 1, "{stats:?}");

    // Another container (the same table) trusts the same index.
    let other = app_with(&sb, &table).await;
    clear_log(&sb).await;
    let (status, _, _) = other.lookup_measured(&detailed("3")).await;
    assert_eq!(status, 200);
    assert_eq!(guest_queries(&order_queries(&sb).await), 0);
}

#[tokio::test]
async fn a_guest_order_made_since_is_found_by_the_next_read_never_hidden() {
    let sb = sandbox().await;
    let (table, memory) = Table::memory();
    let app = app_with(&sb, &table).await;
    let (status, before, _) = app.lookup_measured(&detailed("2")).await;
    assert_eq!(status, 200);
    let made = guest_order(&sb, "Marcus.Chen@Example.com").await;
    assert!(!card_ids(&before).contains(&made));

    // Within a minute the index is trusted: the order is not yet on his card, as a kept list
    // of a minute would not show it either.
    clear_log(&sb).await;
    app.lookup_measured(&detailed("2")).await;
    assert_eq!(index_reads(&order_queries(&sb).await), 0, "not due yet");

    // A minute on, the index cannot tell: the lookup reads the changes since, finds the new
    // order's email, asks his guest query, and the card shows the order.
    age_index(&memory, &sb.store_hash, 61_000);
    // His kept order lists are a minute old too by now.
    age_lists(&memory, &sb.store_hash);
    clear_log(&sb).await;
    let (status, after, stats) = app.lookup_measured(&detailed("2")).await;
    assert_eq!(status, 200, "{after}");
    let q = order_queries(&sb).await;
    assert_eq!((index_reads(&q), guest_queries(&q)), (1, 1), "{q:?}");
    assert!(card_ids(&after).contains(&made), "{after}");
    assert!(stats.left_out.is_empty(), "{stats:?}");
}

/// Retires every kept part except the index, as a minute passing would.
fn age_lists(memory: &Arc<MemoryTable>, store: &str) {
    for k in memory.keys() {
        if k.starts_with(&format!("{store}#")) && !k.ends_with("#guestindex") {
            if let Some(e) = memory.raw(&k) {
                memory.put_raw(
                    &k,
                    Entry {
                        at_ms: e.at_ms - 3 * 3600 * 1000,
                        ..e
                    },
                );
            }
        }
    }
}

#[tokio::test]
async fn an_auto_link_by_an_unknown_email_asks_only_the_customer_search_once_the_index_is_read() {
    let sb = sandbox().await;
    let (table, _) = Table::memory();
    let app = app_with(&sb, &table).await;
    let who = |e: &str| basic(json!({"emails": [e], "id": "g"}));
    let (status, first, _) = app.lookup_measured(&who("stranger1@nowhere.example")).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["results"], json!([]));
    clear_log(&sb).await;
    let (status, second, _) = app.lookup_measured(&who("stranger2@nowhere.example")).await;
    assert_eq!(status, 200);
    assert_eq!(second["results"], json!([]));
    let (total, by_route) = calls(&sb).await;
    assert_eq!(total, 1, "the customer search alone: {by_route}");
    // A guest the index knows is still found.
    let (status, riley, _) = app.lookup_measured(&who("riley.guest@example.com")).await;
    assert_eq!(status, 200);
    assert_eq!(
        riley["results"][0]["externalCustomerId"], "guest:riley.guest@example.com",
        "{riley}"
    );
}

#[tokio::test]
async fn a_read_that_fails_or_an_index_that_does_not_parse_costs_only_the_guest_query() {
    let sb = sandbox().await;
    let (table, memory) = Table::memory();
    let app = app_with(&sb, &table).await;
    let key = keys::guest_index(&sb.store_hash);
    let now_ms = chrono::Utc::now().timestamp_millis();
    memory.put_raw(
        &key,
        Entry {
            value: r#"{"newest_ms": "soon", "emails": 7}"#.into(),
            at_ms: now_ms,
        },
    );
    fault(
        &sb,
        json!({"route": "GET /v2/orders", "status": 500, "query_contains": "min_date_modified="}),
    )
    .await;
    clear_log(&sb).await;
    let (status, jane, stats) = app.lookup_measured(&detailed("1")).await;
    assert_eq!(status, 200, "{jane}");
    let q = order_queries(&sb).await;
    let reads = index_reads(&q);
    assert!(reads >= 1, "{q:?}");
    assert_eq!(faulted(&sb).await, reads as u64, "every index read failed");
    assert_eq!(guest_queries(&q), 1, "{q:?}");
    assert!(
        card_ids(&jane).contains(&167),
        "the guest query found it: {jane}"
    );
    assert!(stats.left_out.is_empty(), "{stats:?}");
    // The broken item is never served; the next lookup reads the index and writes it over.
    control(&sb, "DELETE", "/__sandbox/faults", None).await;
    clear_log(&sb).await;
    let (status, _, _) = app.lookup_measured(&detailed("2")).await;
    assert_eq!(status, 200);
    assert_eq!(index_reads(&order_queries(&sb).await), 1);
    let kept = memory.raw(&key).map(|e| e.value).unwrap_or_default();
    assert!(
        shared::cache::guests::GuestIndex::parse(&kept).is_some(),
        "overwritten: {kept}"
    );
}

#[tokio::test]
async fn the_indexs_none_is_never_kept_past_the_indexs_own_minute() {
    let sb = sandbox().await;
    let (table, memory) = Table::memory();
    let app = app_with(&sb, &table).await;
    app.lookup_measured(&detailed("2")).await;
    // The index was read 59 s ago; a guest order is made now; a lookup still trusts the index.
    age_index(&memory, &sb.store_hash, 59_000);
    age_lists(&memory, &sb.store_hash);
    let made = guest_order(&sb, "marcus.chen@example.com").await;
    assert_eq!(
        store_guest_orders(&sb, "marcus.chen@example.com").await,
        vec![made]
    );
    clear_log(&sb).await;
    let (_, trusted, _) = app.lookup_measured(&detailed("2")).await;
    assert_eq!(
        index_reads(&order_queries(&sb).await),
        0,
        "trusted: no read"
    );
    assert!(!card_ids(&trusted).contains(&made));
    // Two seconds on the index is past its minute: the next lookup must not take the first's
    // "none" for a fresh list of guest orders.
    age_index(&memory, &sb.store_hash, 2_000);
    clear_log(&sb).await;
    let (status, after, _) = app.lookup_measured(&detailed("2")).await;
    assert_eq!(status, 200);
    let q = order_queries(&sb).await;
    assert_eq!((index_reads(&q), guest_queries(&q)), (1, 1), "{q:?}");
    assert!(card_ids(&after).contains(&made), "{after}");
}

#[tokio::test]
async fn a_read_answered_with_no_list_is_no_answer() {
    let sb = sandbox().await;
    let (table, _) = Table::memory();
    let app = app_with(&sb, &table).await;
    // A 404 where a list was expected: not "nothing changed".
    fault(
        &sb,
        json!({"route": "GET /v2/orders", "status": 404, "query_contains": "min_date_modified="}),
    )
    .await;
    clear_log(&sb).await;
    let (status, _, _) = app.lookup_measured(&detailed("2")).await;
    assert_eq!(status, 200);
    assert_eq!(faulted(&sb).await, 1, "the read was answered 404");
    let q = order_queries(&sb).await;
    assert_eq!((index_reads(&q), guest_queries(&q)), (1, 1), "{q:?}");
    // The next lookup cannot tell either, so it reads again (and asks again).
    clear_log(&sb).await;
    app.lookup_measured(&detailed("3")).await;
    let q = order_queries(&sb).await;
    assert_eq!((index_reads(&q), guest_queries(&q)), (1, 1), "{q:?}");
}
