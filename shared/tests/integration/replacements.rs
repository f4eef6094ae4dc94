//! Send a replacement (issue 25): one free order for the same shopper per request, the
//! original's staff notes naming it, end to end against the sandbox and moto. The money suites
//! (late commit, ledger down, two agents, chaos) are in `replacement_money`.

use crate::harness::*;
use serde_json::{json, Value};
use shared::actions::replacement::EXTERNAL_SOURCE;

pub const CREATE: &str = "POST /v2/orders";

/// Every order the sandbox holds that the adaptor made as a replacement of `original`.
pub async fn replacements_of(sb: &bigcommerce_sandbox::Running, original: u64) -> Vec<Value> {
    let list: Value = reqwest::Client::new()
        .get(format!(
            "{}/v2/orders?limit=250&sort=id:desc",
            sb.store_url()
        ))
        .header("x-auth-token", &sb.token)
        .send()
        .await
        .expect("orders")
        .json()
        .await
        .unwrap_or(Value::Null);
    let names = format!("Replacement for order #{original} ");
    list.as_array()
        .into_iter()
        .flatten()
        .filter(|o| o["external_source"] == EXTERNAL_SOURCE)
        .filter(|o| {
            o["staff_notes"]
                .as_str()
                .is_some_and(|n| n.contains(&names))
        })
        .cloned()
        .collect()
}

/// Orders BigCommerce was asked to create since the log was cleared.
pub async fn creates(sb: &bigcommerce_sandbox::Running) -> u64 {
    calls(sb).await.1[CREATE].as_u64().unwrap_or(0)
}

pub async fn staff_notes(sb: &bigcommerce_sandbox::Running, order: u64) -> String {
    bc_order(sb, order).await["staff_notes"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The new order's number in a done answer ("Replacement order #168 sent for order #104").
pub fn new_order(v: &Value) -> u64 {
    message(v)
        .strip_prefix("Replacement order #")
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn detail(v: &Value) -> String {
    v["detail"]
        .as_str()
        .or_else(|| v["errors"][0]["detail"].as_str())
        .unwrap_or_default()
        .to_string()
}

fn attrs(v: &Value) -> Vec<(String, String)> {
    v["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| Some((e["attr"].as_str()?.into(), e["code"].as_str()?.into())))
        .collect()
}

async fn products_of(sb: &bigcommerce_sandbox::Running, order: u64) -> Vec<(u64, u64, String)> {
    let list: Value = reqwest::Client::new()
        .get(format!("{}/v2/orders/{order}/products", sb.store_url()))
        .header("x-auth-token", &sb.token)
        .send()
        .await
        .expect("products")
        .json()
        .await
        .unwrap_or(Value::Null);
    list.as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["product_id"].as_u64().unwrap_or(0),
                p["quantity"].as_u64().unwrap_or(0),
                p["price_inc_tax"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_replacement_is_one_free_order_for_the_same_shopper_named_on_the_original() {
    let sb = sandbox().await;
    // Room in the store's quota for the counts' optional guest-order read at the end.
    store_settings(&sb, json!({"rate_limit_quota": 1_000_000})).await;
    let app = TestApp::new(&sb).await;
    // Offered where items shipped and the order still stands.
    assert!(app
        .card_actions("1", 104)
        .await
        .contains(&"Send replacement".to_string()));
    assert!(
        !app.card_actions("1", 101)
            .await
            .contains(&"Send replacement".to_string()),
        "nothing shipped"
    );
    let before = app.detailed("1").await["results"][0]["customAttributes"].clone();
    let (status, _) = app.form("/lookup/orders/104/replacement").await;
    assert_eq!(status, 200, "the form also answers under the Lookup URL");
    let (status, form) = app.order_form(104, "replacement").await;
    assert_eq!(status, 200, "{form}");
    assert_eq!(
        field_default(&form, "qty_1007"),
        "2",
        "the ordered quantity"
    );
    let path = action_url(&form);
    assert!(path.starts_with("/orders/104/replacement/"), "{form}");
    clear_log(&sb).await;
    let body = json!({"qty_1007": "1", "reason": "damaged", "note": "Box crushed [gladly:x]"});
    let (status, done) = app.submit(&path, &body).await;
    assert_eq!(status, 200, "{done}");
    let id = new_order(&done);
    assert_eq!(
        message(&done),
        format!("Replacement order #{id} sent for order #104")
    );
    let said = detail(&done);
    assert!(
        said.contains(&format!(
            "https://store-sandbox1.mybigcommerce.com/manage/orders/{id}"
        )) && said.contains("emails the shopper nothing"),
        "{said}"
    );
    // What BigCommerce holds: the same shopper, storefront, address; the product at 0.
    let o = bc_order(&sb, id).await;
    let original = bc_order(&sb, 104).await;
    assert_eq!(
        (&o["customer_id"], &o["status_id"]),
        (&json!(1), &json!(11))
    );
    assert_eq!(o["channel_id"], original["channel_id"]);
    assert_eq!(o["currency_code"], original["currency_code"]);
    assert_eq!(o["external_source"], EXTERNAL_SOURCE);
    assert_eq!(
        o["billing_address"]["email"],
        original["billing_address"]["email"]
    );
    assert_eq!(
        products_of(&sb, id).await,
        vec![(104, 1, "0.0000".to_string())]
    );
    let theirs = o["staff_notes"].as_str().unwrap_or_default();
    assert!(
        theirs.starts_with(&marker_of(&path))
            && theirs.contains("Replacement for order #104 via Gladly. Reason: Arrived damaged.")
            && theirs.contains("Note: Box crushed (gladly:x)"),
        "{theirs}"
    );
    let ours = staff_notes(&sb, 104).await;
    assert!(
        ours.contains(&marker_of(&path))
            && ours.contains(&format!(
                "Replacement order #{id} sent via Gladly. Reason: Arrived damaged."
            )),
        "{ours}"
    );
    // Again, and twice at once: the same answer, no second order.
    let (a, b) = tokio::join!(app.submit(&path, &body), app.submit(&path, &body));
    assert_eq!((a.0, b.0), (200, 200), "{a:?} {b:?}");
    assert_eq!((&a.1, &b.1), (&done, &done));
    assert_eq!(creates(&sb).await, 1, "one order was ever asked for");
    assert_eq!(replacements_of(&sb, 104).await.len(), 1);
    // It is not an order the shopper placed.
    let after = app.detailed("1").await["results"][0]["customAttributes"].clone();
    assert_eq!(after["orderCount"], before["orderCount"], "{after}");
    assert_eq!(after["openOrders"], before["openOrders"], "{after}");
    // A second replacement is refused naming the first, unless "send another" is ticked.
    let (_, form) = app.order_form(104, "replacement").await;
    assert!(
        form.to_string()
            .contains(&format!("already had replacement order #{id}")),
        "{form}"
    );
    let second = action_url(&form);
    let (status, v) = app
        .submit(&second, json!({"qty_1007": "1", "reason": "not_received"}))
        .await;
    assert_eq!(status, 406, "{v}");
    assert!(message(&v).contains(&format!("order #{id}")), "{v}");
    let (status, v) = app
        .submit(
            &second,
            json!({"qty_1007": "2", "reason": "not_received", "another": true}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_ne!(new_order(&v), id);
    assert_eq!(replacements_of(&sb, 104).await.len(), 2);
}

#[tokio::test]
async fn a_guests_replacement_is_a_guest_order_in_the_store_currency_when_it_has_no_other() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    // 157: a guest's shipped order.
    let (_, form) = app.order_form(157, "replacement").await;
    let (status, v) = app
        .submit(
            &action_url(&form),
            json!({"qty_1080": "1", "reason": "other"}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let o = bc_order(&sb, new_order(&v)).await;
    assert_eq!(
        (&o["customer_id"], &o["billing_address"]["email"]),
        (&json!(0), &json!("riley.guest@example.com"))
    );
    // 117 was paid in GBP; this store takes orders only in USD.
    let (_, form) = app.order_form(117, "replacement").await;
    let (status, v) = app
        .submit(
            &action_url(&form),
            json!({"qty_1032": "1", "reason": "damaged"}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(bc_order(&sb, new_order(&v)).await["currency_code"], "USD");
    assert!(
        detail(&v).contains("It is in USD, the store's default currency: the shopper paid in GBP"),
        "{v}"
    );
}

#[tokio::test]
async fn bad_input_is_a_400_naming_the_field_with_nothing_created() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let (_, form) = app.order_form(139, "replacement").await;
    let path = action_url(&form);
    clear_log(&sb).await;
    let cases = [
        (
            json!({"qty_1057": "0", "qty_1058": "0", "reason": "damaged"}),
            "qty_1057",
            "required",
        ),
        (
            json!({"qty_1057": "-1", "reason": "damaged"}),
            "qty_1057",
            "invalid",
        ),
        (
            json!({"qty_1057": "1.5", "reason": "damaged"}),
            "qty_1057",
            "invalid",
        ),
        (
            json!({"qty_1057": "5", "reason": "damaged"}),
            "qty_1057",
            "too_large",
        ),
        (
            json!({"qty_1007": "1", "reason": "damaged"}),
            "qty_1007",
            "not_on_order",
        ),
        (
            json!({"qty_1057": "1", "reason": "bored"}),
            "reason",
            "invalid",
        ),
        (
            json!({"qty_1057": "1", "reason": "damaged", "note": "x".repeat(1001)}),
            "note",
            "too_long",
        ),
        (
            json!({"qty_1057": "1", "reason": "damaged", "note": "ding\u{7}"}),
            "note",
            "invalid",
        ),
    ];
    for (body, attr, code) in cases {
        let (status, v) = app.submit(&path, &body).await;
        assert_eq!(status, 400, "{body}: {v}");
        assert!(
            attrs(&v).contains(&(attr.to_string(), code.to_string())),
            "{body}: {v}"
        );
    }
    assert_eq!(creates(&sb).await, 0, "nothing was asked of BigCommerce");
    // The same form, fixed, still goes through.
    let (status, v) = app
        .submit(&path, json!({"qty_1057": "1", "reason": "damaged"}))
        .await;
    assert_eq!(status, 200, "{v}");
}

#[tokio::test]
async fn over_the_limit_or_refused_by_bigcommerce_is_a_406_naming_it_with_nothing_created() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    clear_log(&sb).await;
    // 108: three kettles and a knife, $281 at the order's prices; the default limit is $200.
    let (_, form) = app.order_form(108, "replacement").await;
    let path = action_url(&form);
    let (status, v) = app
        .submit(
            &path,
            json!({"qty_1014": "3", "qty_1015": "1", "reason": "damaged"}),
        )
        .await;
    assert_eq!(status, 406, "{v}");
    assert!(
        message(&v).contains("$200.00") && message(&v).contains("$281.00"),
        "{v}"
    );
    assert_eq!(creates(&sb).await, 0);
    // Out of stock: BigCommerce refuses it, and the answer names the item.
    control(
        &sb,
        "POST",
        "/__sandbox/products/103",
        Some(json!({"inventory_tracking": "product", "stock": 0})),
    )
    .await;
    let (status, v) = app
        .submit(&path, json!({"qty_1014": "1", "reason": "damaged"}))
        .await;
    assert_eq!(status, 406, "{v}");
    assert!(
        message(&v).contains("Pour-Over Kettle") && message(&v).contains("Nothing was created"),
        "{v}"
    );
    assert_eq!(
        creates(&sb).await,
        1,
        "premise: BigCommerce was asked and said no"
    );
    // Deleted, and not for sale: the same.
    control(
        &sb,
        "POST",
        "/__sandbox/products/107",
        Some(json!({"deleted": true})),
    )
    .await;
    let (status, v) = app
        .submit(&path, json!({"qty_1015": "1", "reason": "damaged"}))
        .await;
    assert_eq!(status, 406, "{v}");
    assert!(message(&v).contains("Chef's Knife"), "{v}");
    control(
        &sb,
        "POST",
        "/__sandbox/products/104",
        Some(json!({"availability": "disabled"})),
    )
    .await;
    let (_, form) = app.order_form(104, "replacement").await;
    let (status, v) = app
        .submit(
            &action_url(&form),
            json!({"qty_1007": "1", "reason": "damaged"}),
        )
        .await;
    assert_eq!(status, 406, "{v}");
    assert!(message(&v).contains("Coffee Beans 1kg"), "{v}");
    assert!(
        replacements_of(&sb, 108).await.is_empty() && replacements_of(&sb, 104).await.is_empty()
    );
    // Nor on a refunded or cancelled order.
    let (status, v) = app.order_form(118, "replacement").await;
    assert_eq!(status, 406, "{v}");
}

#[tokio::test]
async fn a_note_that_failed_on_the_original_is_finished_by_a_resubmit_never_a_second_order() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let (_, form) = app.order_form(104, "replacement").await;
    let path = action_url(&form);
    let body = json!({"qty_1007": "1", "reason": "wrong_item"});
    clear_log(&sb).await;
    fault(
        &sb,
        json!({"route": "PUT /v2/orders/{id}", "status": 500, "times": 4}),
    )
    .await;
    let (status, v) = app.submit(&path, &body).await;
    assert!(faulted(&sb).await >= 1, "premise: the note's PUT failed");
    assert_eq!(status, 400, "{v}");
    assert!(detail(&v).contains("Submit this same form again"), "{v}");
    let id = new_order(&v);
    assert!(id > 0 && !staff_notes(&sb, 104).await.contains(&marker_of(&path)));
    control(&sb, "DELETE", "/__sandbox/faults", None).await;
    let (status, v) = app.submit(&path, &body).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(new_order(&v), id);
    assert!(staff_notes(&sb, 104)
        .await
        .contains(&format!("Replacement order #{id} sent")));
    assert_eq!(creates(&sb).await, 1);
    assert_eq!(replacements_of(&sb, 104).await.len(), 1);
}

#[tokio::test]
async fn a_replacement_whose_line_on_the_original_failed_is_still_named_and_refused_twice() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let (_, form) = app.order_form(104, "replacement").await;
    let path = action_url(&form);
    clear_log(&sb).await;
    fault(
        &sb,
        json!({"route": "PUT /v2/orders/{id}", "status": 500, "times": 4}),
    )
    .await;
    let (status, v) = app
        .submit(&path, json!({"qty_1007": "1", "reason": "wrong_item"}))
        .await;
    assert!(faulted(&sb).await >= 1, "premise: the note's PUT failed");
    assert_eq!(status, 400, "{v}");
    let id = new_order(&v);
    control(&sb, "DELETE", "/__sandbox/faults", None).await;
    // Another agent opens a new form instead of resubmitting: the original's notes do not name
    // the replacement, but the form and the submit still find it.
    assert!(!staff_notes(&sb, 104)
        .await
        .contains(&format!("Replacement order #{id} sent")));
    let (status, form) = app.order_form(104, "replacement").await;
    assert_eq!(status, 200, "{form}");
    assert!(
        form.to_string()
            .contains(&format!("already had replacement order #{id}")),
        "{form}"
    );
    let (status, v) = app
        .submit(
            &action_url(&form),
            json!({"qty_1007": "1", "reason": "not_received"}),
        )
        .await;
    assert_eq!(status, 406, "{v}");
    assert!(message(&v).contains(&format!("order #{id}")), "{v}");
    assert_eq!(creates(&sb).await, 1, "one order was ever asked for");
    assert_eq!(replacements_of(&sb, 104).await.len(), 1);
}

#[tokio::test]
async fn a_search_that_cannot_read_every_page_refuses_a_first_replacement_unless_asked() {
    // Jane has placed more orders since #104 than the search reads (four pages of 250): a
    // replacement whose line on #104 was never written could hide among them.
    let sb = sandbox_with(|seed| {
        let original = seed
            .orders
            .iter()
            .find(|o| o.id == 104)
            .cloned()
            .expect("order #104 in the seed");
        for n in 0..1000u64 {
            let mut o = original.clone();
            o.id = 20_000 + n;
            o.date_created = original.date_created + chrono::Duration::minutes(1 + n as i64);
            seed.orders.push(o);
        }
    })
    .await;
    let app = TestApp::new(&sb).await;
    let (status, form) = app.order_form(104, "replacement").await;
    assert_eq!(status, 200, "{form}");
    clear_log(&sb).await;
    let (status, v) = app
        .submit(
            &action_url(&form),
            json!({"qty_1007": "1", "reason": "damaged"}),
        )
        .await;
    assert_eq!(status, 406, "{v}");
    assert!(message(&v).contains("too many orders"), "{v}");
    let (_, log) = calls(&sb).await;
    assert_eq!(
        log["GET /v2/orders"].as_u64(),
        Some(4),
        "premise: the search read its four pages: {log}"
    );
    assert_eq!(creates(&sb).await, 0, "nothing was made");
    let (status, v) = app
        .submit(
            &action_url(&form),
            json!({"qty_1007": "1", "reason": "damaged", "another": true}),
        )
        .await;
    assert_eq!(status, 200, "ticked, it is sent: {v}");
    assert_eq!(creates(&sb).await, 1);
}
