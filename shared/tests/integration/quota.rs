//! Sharing the store's API quota: the real lookup handlers against the sandbox (its rate limit
//! on) and the shared cache in moto's DynamoDB.

use crate::harness::*;
use serde_json::{json, Value};
use shared::cache::{keys, Entry, Table};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn routes(by_route: &Value) -> Vec<String> {
    by_route
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_detailed_after_auto_link_reuses_the_customer_and_another_container_reads_nothing() {
    let sb = sandbox().await;
    let table = cache_table().await;
    let first = TestApp::of(&sb).cache(table.clone()).build().await;
    let (status, _, _) = first
        .lookup_measured(&basic(
            json!({"emails": ["jane.doe@example.com"], "id": "g"}),
        ))
        .await;
    assert_eq!(status, 200);
    clear_log(&sb).await;
    let (status, answer, stats) = first.lookup_measured(&detailed("1")).await;
    assert_eq!(status, 200, "{answer}");
    let (_, by_route) = calls(&sb).await;
    assert!(
        !routes(&by_route)
            .iter()
            .any(|r| r.contains("/v3/customers")),
        "the customer the auto-link found is reused: {by_route}"
    );
    assert!(stats.cache_hits >= 1, "{stats:?}");

    // Another container (its own memory, the same table): the whole card from the cache.
    let second = TestApp::of(&sb).cache(table).build().await;
    clear_log(&sb).await;
    let (status, again, stats) = second.lookup_measured(&detailed("1")).await;
    assert_eq!(status, 200);
    assert_eq!(calls(&sb).await.0, 0, "nothing asked of BigCommerce");
    assert_eq!(
        again["results"][0]["transactions"],
        answer["results"][0]["transactions"]
    );
    assert_eq!(stats.cache_misses, 0, "{stats:?}");
}

#[tokio::test]
async fn the_lookup_after_a_refund_shows_it() {
    let sb = sandbox().await;
    let table = cache_table().await;
    let lookups = TestApp::of(&sb).cache(table.clone()).build().await;
    let actions = TestApp::of(&sb).cache(table).build().await;
    let (_, before, _) = lookups.lookup_measured(&detailed("1")).await;
    let was = card(&before, 101)["orderStatus"].clone();
    assert!(was.is_string(), "{before}");

    let (_, form) = actions.order_form(101, "refund").await;
    let body = json!({"qty_1001": "1", "shipping": "7.95", "reason": "damaged"});
    let (status, done) = actions.submit(&action_url(&form), &body).await;
    assert_eq!(status, 200, "{done}");

    let (_, after, _) = lookups.lookup_measured(&detailed("1")).await;
    let now = &card(&after, 101)["orderStatus"].clone();
    assert_ne!(*now, was, "the refund shows at once, not a minute later");
    assert_eq!(now, &bc_order_status(&sb, 101).await);
}

async fn bc_order_status(sb: &bigcommerce_sandbox::Running, id: u64) -> Value {
    bc_order(sb, id).await["status"].clone()
}

/// A port that accepts connections and never answers: a DynamoDB that hangs.
fn hanging_endpoint() -> (String, Arc<AtomicU32>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let accepted = Arc::new(AtomicU32::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(conn);
            if held.len() > 64 {
                break;
            }
        }
    });
    (format!("http://127.0.0.1:{port}"), accepted)
}

#[tokio::test]
async fn a_cache_that_hangs_or_is_gone_never_fails_a_lookup() {
    let sb = sandbox().await;
    let (endpoint, accepted) = hanging_endpoint();
    let hung = TestApp::of(&sb)
        .cache(Table::dynamo("gladly-cache", Some(&endpoint)))
        .build()
        .await;
    let t = Instant::now();
    let (status, answer, stats) = hung.lookup_measured(&detailed("2")).await;
    let took = t.elapsed();
    assert_eq!(status, 200, "{answer}");
    assert!(
        accepted.load(Ordering::SeqCst) >= 1,
        "the hanging table was asked"
    );
    assert!(stats.left_out.is_empty(), "nothing left out: {stats:?}");
    assert!(
        took < Duration::from_millis(1500),
        "the cache's time is bounded (read 250 ms, write 300 ms): {took:?}"
    );
    // A table that does not exist (a misconfigured CACHE_TABLE): the same.
    let gone = TestApp::of(&sb)
        .cache(Table::dynamo("no-such-table", Some(&moto())))
        .build()
        .await;
    let (status, again, _) = gone.lookup_measured(&detailed("2")).await;
    assert_eq!(status, 200);
    assert_eq!(
        again["results"][0]["transactions"],
        answer["results"][0]["transactions"]
    );
}

#[tokio::test]
async fn a_kept_part_that_does_not_parse_is_never_served_and_is_overwritten() {
    let sb = sandbox().await;
    let (table, memory) = Table::memory();
    let store = sb.store_hash.clone();
    let key = keys::orders(
        &store,
        &shared::ids::ShopperId::Registered(shared::ids::CustomerId(1)),
        shared::lookup::HISTORY_PAGE,
    );
    let now_ms = chrono::Utc::now().timestamp_millis();
    memory.put_raw(
        &key,
        Entry {
            value: "{not json".into(),
            at_ms: now_ms,
        },
    );
    let app = TestApp::of(&sb).cache(table).build().await;
    clear_log(&sb).await;
    let (status, answer, _) = app.lookup_measured(&detailed("1")).await;
    assert_eq!(status, 200);
    assert!(
        !card(&answer, 101).is_null(),
        "orders read from BigCommerce: {answer}"
    );
    assert!(routes(&calls(&sb).await.1)
        .iter()
        .any(|r| r == "GET /v2/orders"));
    let kept = memory.raw(&key).map(|e| e.value).unwrap_or_default();
    assert!(
        serde_json::from_str::<Value>(&kept).is_ok(),
        "overwritten: {kept}"
    );
    // Every key the lookup wrote is under this store's hash.
    for k in memory.keys() {
        assert!(k.starts_with(&format!("{store}#")), "{k}");
    }
}

#[tokio::test]
async fn the_adaptor_spends_at_most_its_share_and_says_what_it_left_out() {
    let sb = sandbox().await;
    // A small store quota, so a few lookups reach the share: 40 per window, share 0.5.
    control(
        &sb,
        "POST",
        "/__sandbox/settings",
        Some(json!({"rate_limit_quota": 40, "rate_limit_window_ms": 30000})),
    )
    .await;
    let mut secret = store_secret(&sb);
    secret["quota_share"] = json!("0.5");
    let app = TestApp::of(&sb).secret(secret).build().await;
    clear_log(&sb).await;
    let mut answers = Vec::new();
    let mut held_back = 0;
    for _ in 0..8 {
        let (status, answer, stats) = app.lookup_measured(&detailed("2")).await;
        held_back += stats.held_back;
        answers.push((status, answer));
    }
    let (total, by_route) = calls(&sb).await;
    assert!(
        held_back > 0,
        "premise: the share was reached ({total} calls: {by_route})"
    );
    assert!(
        total <= 20,
        "at most half of the store's 40: {total} ({by_route})"
    );
    let log = control(&sb, "GET", "/__sandbox/requests", None).await;
    let throttled = log["requests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["status"] == 429)
        .count();
    assert_eq!(throttled, 0, "the store never had to say 429");
    // Every answer is the truth: the profile and orders, or a 503 that keeps Gladly's copy;
    // a card without its tracking says so.
    assert!(
        answers.iter().all(|(s, _)| *s == 200 || *s == 503),
        "{answers:?}"
    );
    let notes: Vec<String> = answers
        .iter()
        .filter(|(s, _)| *s == 200)
        .flat_map(|(_, a)| {
            a["results"][0]["transactions"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|c| c["note"].as_str().map(String::from))
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("Tracking not loaded: the store is busy")),
        "{notes:?}"
    );
}

#[tokio::test]
async fn a_call_abandoned_at_a_deadline_is_no_longer_counted_in_flight() {
    use shared::bigcommerce::{Client, Store};
    use shared::quota::{Share, Spend, Watch};
    let sb = sandbox().await;
    let watch = Arc::new(Watch::default());
    let client = Client::new(
        reqwest::Client::new(),
        &url::Url::parse(&sb.base_url()).expect("url"),
        &sb.store_hash,
        secrecy::SecretString::from(sb.token.clone()),
        tokio::time::Instant::now() + Duration::from_secs(10),
    )
    .expect("client")
    .with_quota(watch.clone(), Arc::new(Spend::new(Share::default(), None)));
    client
        .store_information()
        .await
        .expect("a first answer tells the window");
    let left = watch.window(tokio::time::Instant::now()).map(|w| w.left);
    assert!(left.is_some());
    // A slow store, and a lookup that gives up on the call (its future dropped at a deadline).
    control(
        &sb,
        "POST",
        "/__sandbox/settings",
        Some(json!({"latency_ms": 500})),
    )
    .await;
    let gave_up = tokio::time::timeout(Duration::from_millis(50), client.store_information()).await;
    assert!(gave_up.is_err(), "premise: the call was abandoned");
    assert_eq!(
        watch.window(tokio::time::Instant::now()).map(|w| w.left),
        left,
        "an abandoned call no longer lowers what the store has left"
    );
}

/// A store with a small, short quota window and the adaptor's share at half of it: a first
/// auto-link (the store's settings, then the search: 4 calls) spends the share (5, less 1 for
/// calls in flight).
async fn spent_share(window_ms: u64) -> (bigcommerce_sandbox::Running, TestApp) {
    let sb = sandbox().await;
    store_settings(
        &sb,
        json!({"rate_limit_quota": 10, "rate_limit_window_ms": window_ms}),
    )
    .await;
    let mut secret = store_secret(&sb);
    secret["quota_share"] = json!("0.5");
    let app = TestApp::of(&sb).secret(secret).build().await;
    let (status, _, stats) = app
        .lookup_measured(&basic(
            json!({"emails": ["jane.doe@example.com"], "id": "g"}),
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(stats.held_back, 0);
    (sb, app)
}

fn marcus() -> String {
    basic(json!({"emails": ["marcus.chen@example.com"], "id": "g"}))
}

#[tokio::test]
async fn an_auto_link_held_back_by_the_share_waits_for_the_next_window_when_it_can_answer_in_time()
{
    let (sb, app) = spent_share(8_000).await;
    let t = Instant::now();
    let (status, answer, stats) = app.lookup_measured(&marcus()).await;
    let took = t.elapsed();
    assert_eq!(status, 200, "answered late rather than 503: {answer}");
    assert_eq!(answer["results"][0]["externalCustomerId"], "2");
    assert_eq!(stats.held_back, 0, "{stats:?}");
    // Premise: the share was spent, so the search went in the store's next window.
    assert!(
        took > Duration::from_secs(3) && took < shared::app::LATE_ANSWER,
        "{took:?}"
    );
    let log = control(&sb, "GET", "/__sandbox/requests", None).await;
    let windows: Vec<u64> = log["requests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["route"] == "/v3/customers")
        .filter_map(|r| r["window"].as_u64())
        .collect();
    assert!(
        windows.len() == 2 && windows[1] == windows[0] + 1,
        "one search in each of two windows: {windows:?}"
    );
    assert_eq!(
        log["requests"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["status"] == 429)
            .count(),
        0
    );
}

#[tokio::test]
async fn an_auto_link_whose_next_window_is_too_far_is_503_at_once() {
    let (_sb, app) = spent_share(20_000).await;
    let t = Instant::now();
    let (status, _, stats) = app.lookup_measured(&marcus()).await;
    assert_eq!(status, 503, "Gladly keeps what it had");
    assert!(
        stats.held_back >= 1,
        "premise: held back by the share: {stats:?}"
    );
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
}

#[tokio::test]
async fn a_guest_auto_link_that_waited_still_asks_its_guest_query_after_the_wait() {
    // The search waits for the next window; the guest query after it runs past the 4 s
    // deadline too, within the wait's end, rather than timing out at once.
    let (sb, app) = spent_share(8_000).await;
    let t = Instant::now();
    let (status, answer, _) = app
        .lookup_measured(&basic(
            json!({"emails": ["riley.guest@example.com"], "id": "g"}),
        ))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["results"][0]["externalCustomerId"], "guest:riley.guest@example.com",
        "{answer}"
    );
    assert!(t.elapsed() > Duration::from_secs(3), "premise: it waited");
    let (_, by_route) = calls(&sb).await;
    assert!(
        by_route["GET /v2/orders"].as_u64().unwrap_or(0) >= 1,
        "{by_route}"
    );
}

#[tokio::test]
async fn the_store_s_best_sellers_are_read_once_a_day_and_kept_past_an_action() {
    let sb = sandbox().await;
    let table = cache_table().await;
    let route = "/v3/catalog/products";
    let first = TestApp::of(&sb).cache(table.clone()).build().await;
    clear_log(&sb).await;
    let (status, answer, _) = first.lookup_measured(&detailed("1")).await;
    assert_eq!(status, 200, "{answer}");
    let asked = get_queries(&sb, route).await;
    assert_eq!(asked.len(), 1, "one catalog call: {asked:?}");
    assert!(
        asked[0].contains("sort=total_sold") && asked[0].contains("include_fields=name"),
        "the store's best sellers, the image only: {asked:?}"
    );
    assert!(
        card(&answer, 101)["products"]
            .to_string()
            .contains("https://"),
        "the card shows the images: {answer}"
    );

    // Another shopper, whose orders hold products the first card did not show, in another
    // container: their images were among the best sellers.
    let second = TestApp::of(&sb).cache(table.clone()).build().await;
    clear_log(&sb).await;
    let (status, other, _) = second.lookup_measured(&detailed("2")).await;
    assert_eq!(status, 200, "{other}");
    let text = other.to_string();
    assert!(
        ["/products/102/", "/products/111/", "/products/112/"]
            .iter()
            .any(|p| text.contains(p)),
        "an image the first card did not show: {other}"
    );
    assert_eq!(get_queries(&sb, route).await, Vec::<String>::new());

    // An action changes orders, never a product's image: still no catalog call.
    let (_, form) = second.order_form(101, "refund").await;
    let body = json!({"qty_1001": "1", "shipping": "7.95", "reason": "damaged"});
    let (status, done) = second.submit(&action_url(&form), &body).await;
    assert_eq!(status, 200, "{done}");
    let third = TestApp::of(&sb).cache(table).build().await;
    clear_log(&sb).await;
    let (status, after, _) = third.lookup_measured(&detailed("1")).await;
    assert_eq!(status, 200, "{after}");
    assert!(
        !calls(&sb).await.1.to_string().contains(route),
        "the refund retired the order, not the images"
    );
    assert_eq!(get_queries(&sb, route).await, Vec::<String>::new());
}
