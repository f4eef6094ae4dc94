//! What a poller of changed customers reads: `date_modified` moved by every write,
//! `date_modified:min`/`:max` (and `date_created:`) in the formats BigCommerce takes,
//! `sort=date_modified:asc|desc`, and `DELETE /v3/customers?id:in=…`.
mod common;

use bigcommerce_sandbox::Running;
use common::{call, control, sandbox};
use serde_json::Value;

fn ids(v: &Value) -> Vec<u64> {
    v["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["id"].as_u64())
        .collect()
}

fn total(v: &Value) -> u64 {
    v["meta"]["pagination"]["total"]
        .as_u64()
        .unwrap_or(u64::MAX)
}

async fn get(sb: &Running, query: &str) -> Value {
    let a = call(sb, "GET", &format!("/v3/customers?{query}"), None).await;
    assert_eq!(a.status, 200, "{query}: {}", a.text);
    a.json()
}

async fn put_notes(sb: &Running, id: u64) -> Value {
    let body = format!(r#"[{{"id": {id}, "notes": "changed"}}]"#);
    let a = call(sb, "PUT", "/v3/customers", Some(&body)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.json()["data"][0].clone()
}

fn time(v: &Value, field: &str) -> chrono::DateTime<chrono::FixedOffset> {
    v[field]
        .as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .unwrap_or_else(|| panic!("{field} is no RFC 3339 time: {v}"))
}

#[tokio::test]
async fn a_write_moves_date_modified_and_only_written_customers_are_read_since() {
    let sb = sandbox().await;
    let started = chrono::Utc::now();
    // Just before the writes, in each format a client may send.
    let since = [
        started.format("%Y-%m-%dT%H:%M:%S").to_string(),
        started.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        started.format("%Y-%m-%dT%H:%M:%S%%2B00:00").to_string(),
    ];
    let changed = |s: &str| format!("date_modified:min={s}&sort=date_modified:asc");
    assert_eq!(total(&get(&sb, &changed(&since[0])).await), 0, "none yet");

    let five = put_notes(&sb, 5).await;
    assert!(time(&five, "date_modified") > time(&five, "date_created"));
    assert!(time(&five, "date_modified") >= started - chrono::Duration::seconds(1));
    // The next write lands in a later second, so the order is the writes' order, not ids'.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    put_notes(&sb, 3).await;

    for s in &since {
        let v = get(&sb, &changed(s)).await;
        assert_eq!(ids(&v), vec![5, 3], "{s}: {v}");
        assert_eq!(total(&v), 2, "{s}: the total counts the filtered customers");
    }
    let v = get(&sb, &format!("date_modified:min={}", since[0])).await;
    assert_eq!(ids(&v), vec![3, 5], "unsorted: by id");
    let desc = get(
        &sb,
        &format!("date_modified:min={}&sort=date_modified:desc", since[0]),
    )
    .await;
    assert_eq!(ids(&desc), vec![3, 5]);
    let today = started.format("%Y-%m-%d").to_string();
    assert_eq!(ids(&get(&sb, &changed(&today)).await), vec![5, 3]);
    // What the list shows is what was written.
    let listed = get(&sb, "id:in=5").await;
    assert_eq!(listed["data"][0]["date_modified"], five["date_modified"]);
    // Filtering on a shown time finds the customer that showed it.
    let shown = five["date_modified"].as_str().unwrap_or_default();
    let v = get(
        &sb,
        &format!("date_modified:min={shown}&date_modified:max={shown}"),
    )
    .await;
    assert_eq!(ids(&v), vec![5]);
    // Untouched customers keep their creation time; all but the two sort before them.
    let all = get(&sb, "limit=250&sort=date_modified:asc").await;
    assert_eq!(ids(&all)[31..], [5, 3]);
    assert_eq!(
        all["data"][0]["date_modified"],
        all["data"][0]["date_created"]
    );
}

#[tokio::test]
async fn date_max_and_created_bounds_filter_and_count() {
    let sb = sandbox().await;
    let started = chrono::Utc::now() - chrono::Duration::seconds(1);
    put_notes(&sb, 1).await;
    put_notes(&sb, 2).await;
    let before = started.format("%Y-%m-%dT%H:%M:%S").to_string();
    let v = get(&sb, &format!("date_modified:max={before}&limit=250")).await;
    assert_eq!(total(&v), 31, "all but the two written");
    assert!(!ids(&v).contains(&1) && !ids(&v).contains(&2), "{v}");
    assert_eq!(total(&get(&sb, "date_modified:max=2000-01-01").await), 0);

    // Created 2025-09-06T12:00:00Z (3), 09-09 (33), 09-13 (2) and 09-20T12:00:00Z (1).
    let v = get(
        &sb,
        "date_created:min=2025-09-06T12:00:00&date_created:max=2025-09-20",
    )
    .await;
    assert_eq!(ids(&v), vec![2, 3, 33]);
    assert_eq!(total(&v), 3);
    let v = get(&sb, "date_created:min=2025-09-06T12:00:01%2B00:00").await;
    assert_eq!(ids(&v), vec![1, 2, 33]);
}

#[tokio::test]
async fn a_bad_date_filter_is_422() {
    let sb = sandbox().await;
    for bad in [
        "date_modified:min=soon",
        "date_modified:min=2024-13-01",
        "date_modified:min=2024-05-14T25:00:00",
        "date_modified:max=14/05/2024",
        "date_modified:max=Tue,%2014%20May%202024%2009:34:00%20%2B0000",
        "date_created:min=yesterday",
        "date_created:max=2024-05-14T09:34",
    ] {
        let a = call(&sb, "GET", &format!("/v3/customers?{bad}"), None).await;
        assert_eq!(a.status, 422, "{bad}: {}", a.text);
        assert_eq!(a.json()["status"], 422);
    }
    // An unknown sort is still served, by id.
    let v = get(&sb, "sort=date_modified:sideways&limit=3").await;
    assert_eq!(ids(&v), vec![1, 2, 3]);
}

#[tokio::test]
async fn deleted_customers_are_gone_and_their_orders_stay() {
    let sb = sandbox().await;
    let gone = call(&sb, "DELETE", "/v3/customers?id:in=3,5", None).await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    assert!(gone.text.is_empty(), "{}", gone.text);
    let all = get(&sb, "limit=250").await;
    assert_eq!(total(&all), 31);
    assert!(!ids(&all).contains(&3) && !ids(&all).contains(&5));
    let v = get(&sb, "email:in=amelia.hughes@example.co.uk").await;
    assert_eq!(ids(&v), Vec::<u64>::new());
    assert_eq!(total(&v), 0);
    let orders = call(&sb, "GET", "/v2/orders?customer_id=3", None).await;
    assert_eq!(orders.status, 200, "{}", orders.text);
    assert_eq!(orders.json().as_array().map(Vec::len), Some(3));

    // Without id:in nothing is deleted; ids that are not whole numbers are refused.
    let none = call(&sb, "DELETE", "/v3/customers", None).await;
    assert_eq!(none.status, 204, "{}", none.text);
    let bad = call(&sb, "DELETE", "/v3/customers?id:in=abc", None).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(total(&get(&sb, "").await), 31);
    // A reset brings them back.
    assert_eq!(
        control(&sb, "POST", "/__sandbox/reset", None).await.status,
        204
    );
    assert_eq!(total(&get(&sb, "").await), 33);
}

#[tokio::test]
async fn seed_and_crowd_customers_were_never_modified() {
    let (sb, _) = common::crowd_sandbox(20).await;
    let v = get(&sb, "limit=250").await;
    let list = v["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 33 + 20);
    for c in &list {
        assert!(c["date_created"].is_string(), "{c}");
        assert_eq!(c["date_modified"], c["date_created"], "{c}");
    }
}
