//! What a client of the sandbox notices: filters, paging, 204s, state changes, errors, rate
//! limits, injected faults and the request log.

mod common;

use bigcommerce_sandbox::Settings;
use common::{call, call_with_token, control, raw, sandbox, sandbox_with};
use serde_json::Value;
use std::time::{Duration, Instant};

fn ids(v: &Value) -> Vec<u64> {
    let list = v.get("data").unwrap_or(v);
    list.as_array()
        .map(|a| a.iter().filter_map(|x| x["id"].as_u64()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn customers_filter_by_email_phone_name_and_id() {
    let sb = sandbox().await;
    let a = call(&sb, "GET", "/v3/customers?email:in=JANE.DOE@Example.com,nobody@example.com&include=addresses,storecredit", None).await;
    assert_eq!(a.status, 200);
    let v = a.json();
    assert_eq!(ids(&v), vec![1]);
    assert_eq!(v["data"][0]["store_credit_amounts"][0]["amount"], 12.5);
    assert_eq!(v["data"][0]["addresses"][0]["city"], "Austin");
    assert_eq!(v["meta"]["pagination"]["total"], 1);

    // phone:in matches the number as stored, not a normalised form.
    let a = call(&sb, "GET", "/v3/customers?phone:in=(512)%20555-0100", None).await;
    assert_eq!(ids(&a.json()), vec![1]);
    let a = call(&sb, "GET", "/v3/customers?phone:in=%2B15125550100", None).await;
    assert_eq!(ids(&a.json()), Vec::<u64>::new());

    let a = call(&sb, "GET", "/v3/customers?name:like=jane", None).await;
    assert_eq!(ids(&a.json()), vec![1, 27]);
    let a = call(&sb, "GET", "/v3/customers?name:like=m%C3%BCller", None).await;
    assert_eq!(ids(&a.json()), vec![4], "non-ASCII names match");
    let a = call(&sb, "GET", "/v3/customers?id:in=3,5", None).await;
    assert_eq!(ids(&a.json()), vec![3, 5]);
    // Without include, no addresses or store credit.
    assert!(a.json()["data"][0].get("addresses").is_none());
}

#[tokio::test]
async fn customers_page_and_reject_bad_filters() {
    let sb = sandbox().await;
    // 33 customers: 27 at home and 6 abroad.
    let a = call(&sb, "GET", "/v3/customers?limit=10&page=4", None).await;
    let v = a.json();
    assert_eq!(ids(&v), (31..=33).collect::<Vec<_>>());
    let p = &v["meta"]["pagination"];
    assert_eq!(
        (
            p["total"].as_u64(),
            p["total_pages"].as_u64(),
            p["current_page"].as_u64()
        ),
        (Some(33), Some(4), Some(4))
    );
    for bad in [
        "id:in=abc",
        "limit=0",
        "limit=251",
        "page=-1",
        "id:in=99999999999999999999999",
    ] {
        let a = call(&sb, "GET", &format!("/v3/customers?{bad}"), None).await;
        assert_eq!(a.status, 422, "{bad}: {}", a.text);
        assert_eq!(a.json()["status"], 422);
    }
}

#[tokio::test]
async fn subscribers_say_who_accepts_marketing() {
    let sb = sandbox().await;
    let a = call(
        &sb,
        "GET",
        "/v3/customers/subscribers?email=jane.doe@example.com",
        None,
    )
    .await;
    assert_eq!(a.json()["data"].as_array().map(Vec::len), Some(1));
    // Customer 3 (Amelia) did not subscribe.
    let a = call(
        &sb,
        "GET",
        "/v3/customers/subscribers?email=amelia.hughes@example.co.uk",
        None,
    )
    .await;
    assert_eq!(a.json()["data"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn orders_filter_sort_page_and_answer_204_when_empty() {
    let sb = sandbox().await;
    let a = call(
        &sb,
        "GET",
        "/v2/orders?customer_id=5&sort=date_created:desc&limit=10",
        None,
    )
    .await;
    let v = a.json();
    let list = v.as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 10, "customer 5 has 12 orders; limit 10");
    let dates: Vec<_> = list
        .iter()
        .map(|o| {
            chrono::DateTime::parse_from_rfc2822(o["date_created"].as_str().unwrap_or(""))
                .expect("RFC 2822")
        })
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let page2 = call(
        &sb,
        "GET",
        "/v2/orders?customer_id=5&sort=date_created:desc&limit=10&page=2",
        None,
    )
    .await;
    assert_eq!(page2.json().as_array().map(Vec::len), Some(2));

    let none = call(&sb, "GET", "/v2/orders?customer_id=16", None).await;
    assert_eq!((none.status, none.text.as_str()), (204, ""));

    let guest = call(&sb, "GET", "/v2/orders?email=Riley.Guest@example.com", None).await;
    let gv = guest.json();
    assert_eq!(gv.as_array().map(Vec::len), Some(3));
    assert!(gv
        .as_array()
        .into_iter()
        .flatten()
        .all(|o| o["customer_id"] == 0));

    let st = call(&sb, "GET", "/v2/orders?status_id=13", None).await;
    let disputed = st.json();
    // The premise: the seed's one disputed order came back (`all` holds over an empty list).
    assert_eq!(ids(&disputed), vec![120]);
    assert!(disputed
        .as_array()
        .into_iter()
        .flatten()
        .all(|o| o["status"] == "Disputed"));

    let big = call(&sb, "GET", "/v2/orders?limit=251", None).await;
    assert_eq!(big.status, 413);
    assert_eq!(big.json()[0]["status"], 413);
    let bad = call(&sb, "GET", "/v2/orders?customer_id=abc", None).await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn orders_carry_bigcommerce_formats_and_embedded_line_items() {
    let sb = sandbox().await;
    let a = call(
        &sb,
        "GET",
        "/v2/orders?customer_id=1&include=consignments.line_items&consignment_structure=object",
        None,
    )
    .await;
    let v = a.json();
    let o = &v[0];
    let money = o["total_inc_tax"].as_str().unwrap_or("");
    assert!(
        money.split('.').nth(1).is_some_and(|d| d.len() == 4),
        "4-decimal money: {money}"
    );
    let items = &o["consignments"]["shipping"][0]["line_items"];
    assert!(items.as_array().is_some_and(|a| !a.is_empty()));
    assert!(items[0]["quantity_refunded"].is_u64());
    // Without the include, consignments is only a link.
    let a = call(&sb, "GET", "/v2/orders/101", None).await;
    assert!(a.json()["consignments"]["resource"].is_string());
}

#[tokio::test]
async fn products_and_shipments_of_an_order() {
    let sb = sandbox().await;
    // Order 103: Jane's partially shipped order, two shipments.
    let p = call(&sb, "GET", "/v2/orders/103/products", None)
        .await
        .json();
    assert_eq!(p.as_array().map(Vec::len), Some(3));
    let s = call(&sb, "GET", "/v2/orders/103/shipments", None)
        .await
        .json();
    let list = s.as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 2);
    assert!(list
        .iter()
        .all(|x| x["tracking_number"].as_str().is_some_and(|t| !t.is_empty())));
    assert!(list.iter().all(|x| x["generated_tracking_link"]
        .as_str()
        .is_some_and(|t| t.starts_with("https://"))));
    let order = call(&sb, "GET", "/v2/orders/103", None).await.json();
    assert_eq!(order["status"], "Partially Shipped");
    // Both counts present (`None < Some(_)` holds), some shipped but not all.
    let (shipped, total) = (
        order["items_shipped"].as_u64(),
        order["items_total"].as_u64(),
    );
    assert!(
        matches!((shipped, total), (Some(s), Some(t)) if 0 < s && s < t),
        "partially shipped: {shipped:?} of {total:?}"
    );
    // An unshipped order has no shipments: 204.
    let none = call(&sb, "GET", "/v2/orders/101/shipments", None).await;
    assert_eq!(none.status, 204);
    let statuses = call(&sb, "GET", "/v2/order_statuses", None).await.json();
    assert_eq!(statuses.as_array().map(Vec::len), Some(15));
}

#[tokio::test]
async fn cancelling_an_order_sticks() {
    let sb = sandbox().await;
    let a = call(&sb, "PUT", "/v2/orders/102", Some(r#"{"status_id": 5}"#)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json()["status"], "Cancelled");
    assert_eq!(
        call(&sb, "GET", "/v2/orders/102", None).await.json()["status_id"],
        5
    );
    for (body, status) in [
        (r#"{"status_id": 99}"#, 400),
        (r#"{"status_id": "five"}"#, 400),
        (r#"{"surprise": 1}"#, 400),
        ("{not json", 400),
    ] {
        let a = call(&sb, "PUT", "/v2/orders/102", Some(body)).await;
        assert_eq!(a.status, status, "{body}: {}", a.text);
        assert!(a.json()[0]["message"].is_string(), "v2 error shape");
    }
    assert_eq!(
        call(&sb, "PUT", "/v2/orders/99999", Some(r#"{"status_id": 5}"#))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn refunds_change_the_order_and_refuse_too_much() {
    let sb = sandbox().await;
    // Order 101: Jane, Awaiting Fulfillment: 2 × mug (14.00, item 1001) + tea (19.99, item 1002) + 7.95 shipping = 55.94.
    let quote = call(
        &sb,
        "POST",
        "/v3/orders/101/payment_actions/refund_quotes",
        Some(r#"{"items": [{"item_type": "PRODUCT", "item_id": 1001, "quantity": 1}]}"#),
    )
    .await;
    assert_eq!(quote.status, 201, "{}", quote.text);
    let q = quote.json();
    assert_eq!(q["data"]["total_refund_amount"], 14.0);
    let providers: Vec<_> = q["data"]["refund_methods"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m[0]["provider_id"].as_str().map(String::from))
        .collect();
    assert!(
        providers.contains(&"braintree".to_string())
            && providers.contains(&"storecredit".to_string())
    );

    let refund = r#"{"items": [{"item_type": "PRODUCT", "item_id": 1001, "quantity": 1, "reason": "gladly-request:abc"}],
                     "payments": [{"provider_id": "braintree", "amount": 14.00, "offline": false}]}"#;
    let a = call(
        &sb,
        "POST",
        "/v3/orders/101/payment_actions/refunds",
        Some(refund),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let order = call(&sb, "GET", "/v2/orders/101", None).await.json();
    assert_eq!(order["refunded_amount"], "14.0000");
    assert_eq!(order["status_id"], 14);
    assert_eq!(order["payment_status"], "partially refunded");
    let products = call(&sb, "GET", "/v2/orders/101/products", None)
        .await
        .json();
    assert_eq!(products[0]["quantity_refunded"], 1);
    assert_eq!(products[0]["is_refunded"], false);
    let listed = call(&sb, "GET", "/v3/orders/101/payment_actions/refunds", None)
        .await
        .json();
    assert_eq!(listed["data"][0]["reason"], "gladly-request:abc");

    // Only one mug remains refundable.
    let a = call(
        &sb,
        "POST",
        "/v3/orders/101/payment_actions/refund_quotes",
        Some(r#"{"items": [{"item_type": "PRODUCT", "item_id": 1001, "quantity": 2}]}"#),
    )
    .await;
    assert_eq!(a.status, 422);
    assert!(a.json()["title"]
        .as_str()
        .is_some_and(|t| t.contains("exceeds")));
    // Payments must match the quote.
    let wrong = refund.replace("14.00", "10.00");
    assert_eq!(
        call(
            &sb,
            "POST",
            "/v3/orders/101/payment_actions/refunds",
            Some(&wrong)
        )
        .await
        .status,
        422
    );

    // Refund the rest: the order becomes Refunded.
    let rest = r#"{"items": [{"item_type": "PRODUCT", "item_id": 1001, "quantity": 1},
                              {"item_type": "PRODUCT", "item_id": 1002, "quantity": 1},
                              {"item_type": "SHIPPING", "item_id": 1011, "amount": 7.95}],
                   "payments": [{"provider_id": "storecredit", "amount": 41.94, "offline": false}]}"#;
    let a = call(
        &sb,
        "POST",
        "/v3/orders/101/payment_actions/refunds",
        Some(rest),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let order = call(&sb, "GET", "/v2/orders/101", None).await.json();
    assert_eq!(
        (
            order["status_id"].as_u64(),
            order["payment_status"].as_str()
        ),
        (Some(4), Some("refunded"))
    );
    let jane = call(
        &sb,
        "GET",
        "/v3/customers?id:in=1&include=storecredit",
        None,
    )
    .await
    .json();
    assert_eq!(
        jane["data"][0]["store_credit_amounts"][0]["amount"], 54.44,
        "12.50 + 41.94 store credit"
    );
    let a = call(
        &sb,
        "POST",
        "/v3/orders/101/payment_actions/refund_quotes",
        Some(r#"{"items": [{"item_type": "ORDER", "item_id": 101, "amount": 1}]}"#),
    )
    .await;
    assert_eq!(a.status, 422, "nothing left to refund");
}

#[tokio::test]
async fn refunds_refuse_guest_store_credit_unpaid_orders_and_bad_bodies() {
    let sb = sandbox().await;
    let guest_order = call(
        &sb,
        "GET",
        "/v2/orders?email=riley.guest@example.com&status_id=11",
        None,
    )
    .await
    .json();
    let gid = guest_order[0]["id"].as_u64().expect("guest order");
    let item = call(&sb, "GET", &format!("/v2/orders/{gid}/products"), None)
        .await
        .json()[0]["id"]
        .as_u64()
        .expect("item");
    let price = call(&sb, "GET", &format!("/v2/orders/{gid}/products"), None)
        .await
        .json()[0]["price_inc_tax"]
        .as_str()
        .map(String::from)
        .expect("price");
    let body = format!(
        r#"{{"items": [{{"item_type": "PRODUCT", "item_id": {item}, "quantity": 1}}],
                          "payments": [{{"provider_id": "storecredit", "amount": {price}, "offline": false}}]}}"#
    );
    let a = call(
        &sb,
        "POST",
        &format!("/v3/orders/{gid}/payment_actions/refunds"),
        Some(&body),
    )
    .await;
    assert_eq!(a.status, 422);
    assert!(a.text.contains("guest"), "{}", a.text);

    // Order 102: Jane's Pending order, nothing paid.
    let a = call(
        &sb,
        "POST",
        "/v3/orders/102/payment_actions/refund_quotes",
        Some(r#"{"items": [{"item_type": "ORDER", "item_id": 102, "amount": 5}]}"#),
    )
    .await;
    assert_eq!(a.status, 422);

    for body in [
        "",
        "[]",
        r#"{"items": "all"}"#,
        r#"{"items": [{"item_type": "PRODUCT", "item_id": -1}]}"#,
        r#"{"items": [], "extra": 1}"#,
    ] {
        let a = call(
            &sb,
            "POST",
            "/v3/orders/101/payment_actions/refund_quotes",
            Some(body),
        )
        .await;
        assert!(
            matches!(a.status, 400 | 422),
            "{body}: {} {}",
            a.status,
            a.text
        );
        assert!(a.json()["title"].is_string(), "v3 error shape for {body}");
    }
}

#[tokio::test]
async fn void_releases_an_authorisation_once() {
    let sb = sandbox().await;
    assert_eq!(
        call(&sb, "POST", "/v3/orders/107/payment_actions/void", None)
            .await
            .status,
        201
    );
    assert_eq!(
        call(&sb, "GET", "/v2/orders/107", None).await.json()["payment_status"],
        "void"
    );
    assert_eq!(
        call(&sb, "POST", "/v3/orders/107/payment_actions/void", None)
            .await
            .status,
        422
    );
    assert_eq!(
        call(&sb, "POST", "/v3/orders/101/payment_actions/void", None)
            .await
            .status,
        422,
        "captured, not authorised"
    );
}

#[tokio::test]
async fn promotions_and_codes_with_duplicates_refused() {
    let sb = sandbox().await;
    let promo = r#"{"name": "Gladly 10% off r-1", "redemption_type": "COUPON", "end_date": "2027-01-01T00:00:00Z",
        "channels": [{"id": 2}],
        "rules": [{"action": {"cart_value": {"discount": {"percentage_amount": "10"}}}}]}"#;
    let a = call(&sb, "POST", "/v3/promotions", Some(promo)).await;
    assert_eq!(a.status, 201, "{}", a.text);
    let id = a.json()["data"]["id"].as_u64().expect("id");
    let a = call(
        &sb,
        "POST",
        &format!("/v3/promotions/{id}/codes"),
        Some(r#"{"code": "GLADLY-R1", "max_uses": 1, "max_uses_per_customer": 1}"#),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let dup = call(
        &sb,
        "POST",
        &format!("/v3/promotions/{id}/codes"),
        Some(r#"{"code": "gladly-r1"}"#),
    )
    .await;
    assert_eq!(dup.status, 409);
    assert!(dup.json()["errors"][0]["title"]
        .as_str()
        .is_some_and(|t| t.contains("already exists")));
    let found = call(&sb, "GET", "/v3/promotions/codes?code=GLADLY-R1", None)
        .await
        .json();
    assert_eq!(found["data"][0]["promotion_id"].as_u64(), Some(id));
    let by_name = call(
        &sb,
        "GET",
        "/v3/promotions?name=Gladly%2010%25%20off%20r-1",
        None,
    )
    .await
    .json();
    assert_eq!(ids(&by_name), vec![id]);
    assert_eq!(
        call(&sb, "POST", "/v3/promotions", Some(promo))
            .await
            .status,
        409,
        "same name twice"
    );
    for bad in [
        r#"{"name": "x"}"#,
        r#"{"name": "", "rules": []}"#,
        "nope",
        r#"{"name": "y", "redemption_type": "MAGIC", "rules": [{"action": {}}]}"#,
        r#"{"name": "z", "channels": [{"id": 9}], "rules": [{"action": {"cart_value": {}}}]}"#,
        r#"{"name": "w", "channels": [2], "rules": [{"action": {"cart_value": {}}}]}"#,
    ] {
        let a = call(&sb, "POST", "/v3/promotions", Some(bad)).await;
        assert!(matches!(a.status, 400 | 422), "{bad}: {}", a.status);
        assert!(
            a.json()["errors"][0]["status"].is_u64(),
            "promotions error shape"
        );
    }
    let bad_code = call(
        &sb,
        "POST",
        &format!("/v3/promotions/{id}/codes"),
        Some(r#"{"code": "no/slashes"}"#),
    )
    .await;
    assert_eq!(bad_code.status, 422);
    assert_eq!(
        call(
            &sb,
            "POST",
            "/v3/promotions/123456/codes",
            Some(r#"{"code": "X1"}"#)
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn catalog_images_in_one_call() {
    let sb = sandbox().await;
    let v = call(
        &sb,
        "GET",
        "/v3/catalog/products?id:in=101,110&include=primary_image",
        None,
    )
    .await
    .json();
    assert_eq!(ids(&v), vec![101, 110]);
    assert!(v["data"][0]["primary_image"]["url_thumbnail"]
        .as_str()
        .is_some_and(|u| u.starts_with("https://")));
    assert!(
        v["data"][1]["primary_image"]["url_thumbnail"].is_null(),
        "product 110 has no image"
    );
}

#[tokio::test]
async fn catalog_best_sellers_first_with_only_the_fields_asked() {
    let sb = sandbox().await;
    let all = call(&sb, "GET", "/v3/catalog/products?limit=250", None)
        .await
        .json();
    let sold: Vec<u64> = all["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["total_sold"].as_u64())
        .collect();
    assert!(
        sold.iter().any(|n| *n > 0),
        "the seed's orders sell something"
    );
    let v = call(
        &sb,
        "GET",
        "/v3/catalog/products?include=primary_image&include_fields=name&sort=total_sold&direction=desc&limit=250",
        None,
    )
    .await
    .json();
    let rows = v["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), sold.len(), "every product, best sellers first");
    let mut by_sold: Vec<u64> = sold.clone();
    by_sold.sort_unstable_by(|a, b| b.cmp(a));
    let first = rows.first().and_then(|r| r["id"].as_u64());
    let top = all["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["total_sold"].as_u64() == by_sold.first().copied())
        .filter_map(|p| p["id"].as_u64())
        .max();
    assert_eq!(first, top, "the best seller (highest id on a tie) first");
    // The id, the fields named and the sub-resources included: no description.
    for r in &rows {
        let mut keys: Vec<&String> = r
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        keys.sort();
        assert_eq!(keys, vec!["id", "name", "primary_image"]);
    }
    let bad = call(&sb, "GET", "/v3/catalog/products?sort=colour", None).await;
    assert_eq!(bad.status, 422);
}

#[tokio::test]
async fn wrong_token_or_store_is_refused_in_the_right_shape() {
    let sb = sandbox().await;
    let a = call_with_token(&sb, "GET", "/v2/orders", None, "wrong").await;
    assert_eq!(a.status, 401);
    assert_eq!(a.json()[0]["status"], 401);
    let a = call_with_token(&sb, "GET", "/v3/customers", None, "wrong").await;
    assert_eq!((a.status, a.json()["status"].as_u64()), (401, Some(401)));
    let a = raw(
        "GET",
        &format!("{}/v3/customers", sb.store_url()),
        None,
        None,
    )
    .await;
    assert_eq!(a.status, 401);
    let a = raw(
        "GET",
        &format!("{}/stores/otherstore/v3/customers", sb.base_url()),
        None,
        Some(&sb.token),
    )
    .await;
    assert_eq!(a.status, 404);
}

#[tokio::test]
async fn rate_limit_runs_out_and_resets() {
    let sb = sandbox_with(Settings {
        quota: 3,
        window: Duration::from_millis(400),
        ..Settings::default()
    })
    .await;
    for left in [2, 1, 0] {
        let a = call(&sb, "GET", "/v2/order_statuses", None).await;
        assert_eq!(a.status, 200);
        assert_eq!(
            a.header("x-rate-limit-requests-left"),
            Some(left.to_string().as_str())
        );
        assert_eq!(a.header("x-rate-limit-requests-quota"), Some("3"));
        assert_eq!(a.header("x-rate-limit-time-window-ms"), Some("400"));
    }
    let a = call(&sb, "GET", "/v3/customers", None).await;
    assert_eq!(a.status, 429);
    assert_eq!(a.header("x-retry-after"), Some("1"));
    assert!(a
        .header("x-rate-limit-time-reset-ms")
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|ms| ms <= 400));
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(call(&sb, "GET", "/v3/customers", None).await.status, 200);

    // The log says which window counted each call (429s too), when it came, and who sent it.
    let other = reqwest::Client::new()
        .get(format!("{}/v2/order_statuses", sb.store_url()))
        .header("x-auth-token", &sb.token)
        .header("user-agent", "other-app/1")
        .send()
        .await
        .expect("answered");
    assert_eq!(other.status(), 200);
    let log = control(&sb, "GET", "/__sandbox/requests", None)
        .await
        .json();
    let log = log["requests"].as_array().cloned().unwrap_or_default();
    let windows: Vec<_> = log.iter().map(|r| r["window"].as_u64()).collect();
    assert_eq!(windows, [1, 1, 1, 1, 2, 2].map(Some));
    let at: Vec<_> = log.iter().filter_map(|r| r["at_ms"].as_u64()).collect();
    assert!(at.len() == 6 && at.windows(2).all(|w| w[0] <= w[1]) && at[4] >= at[0] + 400);
    assert_eq!(log[5]["user_agent"], "other-app/1");
}

#[tokio::test]
async fn faults_latency_and_malformed_bodies_can_be_injected() {
    let sb = sandbox().await;
    let f = control(
        &sb,
        "POST",
        "/__sandbox/faults",
        Some(r#"{"route": "GET /v2/orders/{id}/shipments", "status": 503, "times": 2}"#),
    )
    .await;
    assert_eq!(f.status, 201);
    for _ in 0..2 {
        let a = call(&sb, "GET", "/v2/orders/103/shipments", None).await;
        assert_eq!(a.status, 503);
        assert_eq!(a.json()[0]["status"], 503);
    }
    assert_eq!(
        call(&sb, "GET", "/v2/orders/103/shipments", None)
            .await
            .status,
        200,
        "only the next 2"
    );

    control(
        &sb,
        "POST",
        "/__sandbox/faults",
        Some(r#"{"route": "/v3/customers", "latency_ms": 600}"#),
    )
    .await;
    let t = Instant::now();
    assert_eq!(call(&sb, "GET", "/v3/customers", None).await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(600));

    control(
        &sb,
        "POST",
        "/__sandbox/faults",
        Some(r#"{"route": "GET /v2/orders", "malformed": true, "times": 1}"#),
    )
    .await;
    let a = call(&sb, "GET", "/v2/orders", None).await;
    assert_eq!(a.status, 200);
    assert!(serde_json::from_str::<Value>(&a.text).is_err());

    assert_eq!(
        control(&sb, "POST", "/__sandbox/faults", Some(r#"{"route": 5}"#))
            .await
            .status,
        400
    );
    assert_eq!(
        control(
            &sb,
            "POST",
            "/__sandbox/faults",
            Some(r#"{"route": "*", "status": 999}"#)
        )
        .await
        .status,
        400
    );
    assert_eq!(
        control(&sb, "DELETE", "/__sandbox/faults", None)
            .await
            .status,
        204
    );
    let t = Instant::now();
    call(&sb, "GET", "/v3/customers", None).await;
    // Well under the 600 ms fault, with room for a machine busy compiling.
    assert!(t.elapsed() < Duration::from_millis(450), "faults cleared");
}

#[tokio::test]
async fn request_log_counts_calls_per_route_and_reset_restores_the_seed() {
    let sb = sandbox().await;
    call(&sb, "GET", "/v2/orders/101", None).await;
    call(&sb, "GET", "/v2/orders/102", None).await;
    call(&sb, "GET", "/v3/customers?id:in=1", None).await;
    call(&sb, "PUT", "/v2/orders/101", Some(r#"{"status_id": 5}"#)).await;
    let log = control(&sb, "GET", "/__sandbox/requests", None)
        .await
        .json();
    assert_eq!(log["total"], 4);
    assert_eq!(log["by_route"]["GET /v2/orders/{id}"], 2);
    assert_eq!(log["by_route"]["GET /v3/customers"], 1);
    assert_eq!(log["requests"][0]["path"], "/stores/sandbox1/v2/orders/101");

    assert_eq!(
        control(&sb, "POST", "/__sandbox/reset", None).await.status,
        204
    );
    assert_eq!(
        control(&sb, "GET", "/__sandbox/requests", None)
            .await
            .json()["total"],
        0
    );
    assert_eq!(
        call(&sb, "GET", "/v2/orders/101", None).await.json()["status_id"],
        11,
        "seed restored"
    );
}

#[tokio::test]
async fn hostile_input_gets_bigcommerce_shaped_4xx_and_the_sandbox_keeps_serving() {
    let sb = sandbox().await;
    let cases: [(&str, &str, Option<&str>); 10] = [
        ("GET", "/v2/orders/99999999999999999999999999", None),
        ("GET", "/v2/orders/-5", None),
        ("GET", "/v2/orders/0/products", None),
        ("GET", "/v2/orders/abc/shipments", None),
        ("GET", "/v2/orders?page=0", None),
        ("GET", "/v2/orders?sort=nonsense", None),
        ("GET", "/v3/customers?limit=lots", None),
        (
            "POST",
            "/v3/orders/101/payment_actions/refunds",
            Some(
                r#"{"items": [{"item_type": "PRODUCT", "item_id": 1001, "quantity": 1e9}], "payments": []}"#,
            ),
        ),
        ("POST", "/v3/promotions", Some(&"x".repeat(100_000))),
        ("GET", "/v3/no/such/route", None),
    ];
    for (method, path, body) in cases {
        let a = call(&sb, method, path, body).await;
        assert!(
            (400..500).contains(&a.status),
            "{method} {path}: {} {}",
            a.status,
            a.text
        );
        let v: Value = serde_json::from_str(&a.text)
            .unwrap_or_else(|_| panic!("{method} {path}: not JSON: {}", a.text));
        let shaped =
            v[0]["status"].is_u64() || v["status"].is_u64() || v["errors"][0]["status"].is_u64();
        assert!(
            shaped,
            "{method} {path}: not a BigCommerce error: {}",
            a.text
        );
    }
    assert_eq!(call(&sb, "GET", "/v2/orders/101", None).await.status, 200);
}

#[tokio::test]
async fn an_after_fault_serves_the_request_then_fails_it() {
    let sb = sandbox().await;
    control(
        &sb,
        "POST",
        "/__sandbox/faults",
        Some(r#"{"route": "PUT /v2/orders/{id}", "status": 502, "after": true, "times": 1}"#),
    )
    .await;
    let a = call(&sb, "PUT", "/v2/orders/102", Some(r#"{"status_id": 5}"#)).await;
    assert_eq!(a.status, 502);
    assert_eq!(
        call(&sb, "GET", "/v2/orders/102", None).await.json()["status_id"],
        5,
        "the change stuck"
    );
}

/// A PUT with a client that gives up after `timeout`; `None` when it gave up.
async fn put_with_timeout(
    sb: &bigcommerce_sandbox::Running,
    path: &str,
    body: &str,
    timeout: Duration,
) -> Option<u16> {
    let r = reqwest::Client::new()
        .put(format!("{}{}", sb.store_url(), path))
        .header("x-auth-token", &sb.token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .timeout(timeout)
        .send()
        .await;
    r.ok().map(|r| r.status().as_u16())
}

#[tokio::test]
async fn a_detached_write_lands_after_the_client_gave_up() {
    let sb = sandbox().await;
    control(
        &sb,
        "POST",
        "/__sandbox/faults",
        Some(
            r#"{"route": "PUT /v2/orders/{id}", "latency_ms": 400, "detached": true, "times": 1}"#,
        ),
    )
    .await;
    let gave_up = put_with_timeout(
        &sb,
        "/v2/orders/102",
        r#"{"status_id": 5}"#,
        Duration::from_millis(100),
    )
    .await;
    assert_eq!(gave_up, None, "premise: the client timed out");
    assert_eq!(
        call(&sb, "GET", "/v2/orders/102", None).await.json()["status_id"],
        1,
        "not yet"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        call(&sb, "GET", "/v2/orders/102", None).await.json()["status_id"],
        5,
        "landed late"
    );
    let log = control(&sb, "GET", "/__sandbox/requests", None)
        .await
        .json();
    assert_eq!(
        log["by_route"]["PUT /v2/orders/{id}"], 1,
        "logged once, though nobody waited: {log}"
    );
    assert_eq!(log["faulted"], 1);
    // Without `detached`, a client that hangs up during the latency stops the write.
    control(
        &sb,
        "POST",
        "/__sandbox/faults",
        Some(r#"{"route": "PUT /v2/orders/{id}", "latency_ms": 400, "times": 1}"#),
    )
    .await;
    assert_eq!(
        put_with_timeout(
            &sb,
            "/v2/orders/101",
            r#"{"status_id": 5}"#,
            Duration::from_millis(100)
        )
        .await,
        None
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        call(&sb, "GET", "/v2/orders/101", None).await.json()["status_id"],
        11
    );
}

#[tokio::test]
async fn a_late_answer_commits_first_and_429_is_never_a_served_write() {
    let sb = sandbox().await;
    control(
        &sb,
        "POST",
        "/__sandbox/faults",
        Some(r#"{"route": "PUT /v2/orders/{id}", "answer_after_ms": 400, "times": 1}"#),
    )
    .await;
    let started = Instant::now();
    assert_eq!(
        put_with_timeout(
            &sb,
            "/v2/orders/102",
            r#"{"status_id": 5}"#,
            Duration::from_millis(100)
        )
        .await,
        None
    );
    assert!(started.elapsed() < Duration::from_millis(300));
    assert_eq!(
        call(&sb, "GET", "/v2/orders/102", None).await.json()["status_id"],
        5,
        "committed at once"
    );
    let log = control(&sb, "GET", "/__sandbox/requests", None)
        .await
        .json();
    assert_eq!(
        log["faulted"], 1,
        "logged, though the client hung up: {log}"
    );
    // A 429 drawn together with an `after` fault: still not served.
    for f in [
        r#"{"route": "PUT /v2/orders/{id}", "status": 429, "times": 1}"#,
        r#"{"route": "PUT /v2/orders/{id}", "status": 502, "after": true, "times": 1}"#,
    ] {
        control(&sb, "POST", "/__sandbox/faults", Some(f)).await;
    }
    let a = call(&sb, "PUT", "/v2/orders/101", Some(r#"{"status_id": 5}"#)).await;
    assert_eq!(a.status, 429);
    assert_eq!(
        call(&sb, "GET", "/v2/orders/101", None).await.json()["status_id"],
        11
    );
}

#[tokio::test]
async fn the_most_concurrent_requests_per_route_are_counted() {
    let sb = sandbox().await;
    control(
        &sb,
        "POST",
        "/__sandbox/faults",
        Some(r#"{"route": "GET /v2/orders/{id}", "latency_ms": 200, "times": 3}"#),
    )
    .await;
    control(&sb, "DELETE", "/__sandbox/requests", None).await;
    let (a, b, c) = tokio::join!(
        call(&sb, "GET", "/v2/orders/101", None),
        call(&sb, "GET", "/v2/orders/102", None),
        call(&sb, "GET", "/v2/orders/103", None),
    );
    assert_eq!((a.status, b.status, c.status), (200, 200, 200));
    call(&sb, "GET", "/v2/orders/104", None).await;
    let log = control(&sb, "GET", "/__sandbox/requests", None)
        .await
        .json();
    assert_eq!(log["max_concurrent"]["GET /v2/orders/{id}"], 3, "{log}");
}
