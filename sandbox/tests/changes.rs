//! What the guest index reads: guest orders by modification time (`min_date_modified`,
//! `sort=date_modified:asc`), a change moving an order to the end, and a fault limited to one
//! query of a route (`query_contains`).
mod common;
use common::{call, control, sandbox};
use serde_json::Value;

fn ids(v: &Value) -> Vec<u64> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["id"].as_u64())
        .collect()
}

#[tokio::test]
async fn guest_orders_come_by_modification_time_and_a_change_moves_one_to_the_end() {
    let sb = sandbox().await;
    let path = "/v2/orders?customer_id=0&min_date_modified=2000-01-01T00:00:00%2B00:00&sort=date_modified:asc&limit=250";
    let all = call(&sb, "GET", path, None).await;
    assert_eq!(all.status, 200, "{}", all.text);
    let before = ids(&all.json());
    assert_eq!(before.len(), 5, "the seed's five guest orders: {before:?}");
    let times: Vec<chrono::DateTime<chrono::FixedOffset>> = all
        .json()
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| chrono::DateTime::parse_from_rfc2822(o["date_modified"].as_str()?).ok())
        .collect();
    assert_eq!(times.len(), 5);
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "ascending: {times:?}"
    );

    // Riley's first order changes (a status update): it is now the newest change, and the
    // only one since a minute ago.
    let first = before[0];
    let put = call(
        &sb,
        "PUT",
        &format!("/v2/orders/{first}"),
        Some(r#"{"status_id": 5}"#),
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.text);
    let again = ids(&call(&sb, "GET", path, None).await.json());
    assert_eq!(again.last(), Some(&first), "{again:?}");
    let since = (chrono::Utc::now() - chrono::Duration::seconds(60))
        .format("%Y-%m-%dT%H:%M:%S%%2B00:00")
        .to_string();
    let recent = call(
        &sb,
        "GET",
        &format!("/v2/orders?customer_id=0&min_date_modified={since}&sort=date_modified:asc"),
        None,
    )
    .await;
    assert_eq!(ids(&recent.json()), vec![first], "{}", recent.text);
    let bad = call(&sb, "GET", "/v2/orders?min_date_modified=soon", None).await;
    assert_eq!(bad.status, 400, "{}", bad.text);
}

#[tokio::test]
async fn a_fault_can_be_limited_to_one_query_of_a_route() {
    let sb = sandbox().await;
    let armed = control(
        &sb,
        "POST",
        "/__sandbox/faults",
        Some(
            r#"{"route": "GET /v2/orders", "status": 500, "query_contains": "min_date_modified="}"#,
        ),
    )
    .await;
    assert!(armed.status < 300, "{}", armed.text);
    let other = call(&sb, "GET", "/v2/orders?customer_id=1", None).await;
    assert_eq!(other.status, 200, "another query of the route is served");
    let hit = call(
        &sb,
        "GET",
        "/v2/orders?customer_id=0&min_date_modified=2000-01-01",
        None,
    )
    .await;
    assert_eq!(hit.status, 500, "{}", hit.text);
}
