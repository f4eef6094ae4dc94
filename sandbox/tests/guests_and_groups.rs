//! What the card of a registered shopper reads besides their own orders: guest orders by
//! billing email (`customer_id=0&email=…` on `GET /v2/orders`) and the store's customer groups
//! (`GET /v2/customer_groups`, paged as every v2 list).

mod common;

use common::{call, sandbox};
use serde_json::Value;

fn ids(v: &Value) -> Vec<u64> {
    v.as_array()
        .map(|a| a.iter().filter_map(|x| x["id"].as_u64()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn guest_orders_filter_by_customer_zero_and_the_whole_billing_email() {
    let sb = sandbox().await;
    // The seed's order 167 was placed as a guest with Jane's email, spelt `Jane.Doe@Example.com`.
    let a = call(
        &sb,
        "GET",
        "/v2/orders?customer_id=0&email=jane.doe@example.com&sort=date_created:desc&limit=250",
        None,
    )
    .await;
    assert_eq!(a.status, 200);
    let v = a.json();
    assert_eq!(ids(&v), vec![167], "case does not matter: {v}");
    assert_eq!(v[0]["customer_id"], 0);
    assert_eq!(v[0]["billing_address"]["email"], "Jane.Doe@Example.com");

    // The email filter alone finds her registered orders and the guest one, newest first.
    let a = call(
        &sb,
        "GET",
        "/v2/orders?email=JANE.DOE@example.com&sort=date_created:desc",
        None,
    )
    .await;
    assert_eq!(ids(&a.json()), vec![101, 102, 103, 104, 105, 167]);

    // customer_id=0 alone: every guest order.
    let a = call(&sb, "GET", "/v2/orders?customer_id=0&sort=id:asc", None).await;
    assert_eq!(ids(&a.json()), vec![156, 157, 158, 159, 167]);

    // The whole address must match: a part of it finds nothing (204, no body).
    let a = call(
        &sb,
        "GET",
        "/v2/orders?customer_id=0&email=doe@example.com",
        None,
    )
    .await;
    assert_eq!(a.status, 204);
    // A registered customer's id with a guest's email: nothing.
    let a = call(
        &sb,
        "GET",
        "/v2/orders?customer_id=1&email=riley.guest@example.com",
        None,
    )
    .await;
    assert_eq!(a.status, 204);
}

#[tokio::test]
async fn customer_groups_list_lowest_id_first_page_by_page() {
    let sb = sandbox().await;
    let a = call(&sb, "GET", "/v2/customer_groups", None).await;
    assert_eq!(a.status, 200);
    let v = a.json();
    assert_eq!(ids(&v), vec![1, 2, 3]);
    assert_eq!(v[0]["name"], "VIP");
    assert_eq!(v[2]["is_default"], true);

    let a = call(&sb, "GET", "/v2/customer_groups?limit=2&page=1", None).await;
    assert_eq!(ids(&a.json()), vec![1, 2]);
    let a = call(&sb, "GET", "/v2/customer_groups?limit=2&page=2", None).await;
    assert_eq!(ids(&a.json()), vec![3]);
    let a = call(&sb, "GET", "/v2/customer_groups?limit=2&page=3", None).await;
    assert_eq!(a.status, 204, "past the last page: no content");

    let a = call(&sb, "GET", "/v2/customer_groups?limit=251", None).await;
    assert_eq!(a.status, 413, "v2 refuses a page larger than 250");
    let a = call(&sb, "GET", "/v2/customer_groups?page=0", None).await;
    assert_eq!(a.status, 400);
}
