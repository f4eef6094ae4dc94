//! What the goodwill actions call: `POST /v2/orders` (replacement orders), `PUT /v2/orders/{id}`
//! staff notes, and store credit (`PUT /v3/customers`), with the controls that change the
//! catalog and a balance out of band, and the fault injection every route honours.

mod common;

use bigcommerce_sandbox::{parse_seed, start, Running, Settings, DEFAULT_SEED};
use common::{call, control, sandbox, Answer};
use serde_json::{json, Value};
use std::net::SocketAddr;

const BILLING: &str = r#"{"first_name": "Jane", "last_name": "Doe", "street_1": "1 Main St",
    "city": "Austin", "state": "Texas", "zip": "78701", "country": "United States",
    "country_iso2": "US", "email": "jane.doe@example.com"}"#;

fn order_body(customer_id: u64, products: Value) -> String {
    let billing: Value = serde_json::from_str(BILLING).expect("billing");
    json!({
        "customer_id": customer_id, "status_id": 11, "channel_id": 1,
        "external_source": "Gladly (BigCommerce adaptor)",
        "staff_notes": "Replacement for order #101 (damaged). gladly:req-1",
        "default_currency_code": "USD",
        "billing_address": billing,
        "shipping_addresses": [{"first_name": "Jane", "last_name": "Doe", "street_1": "9 Elm St",
            "city": "Austin", "state": "Texas", "zip": "78702", "country": "United States",
            "country_iso2": "US", "email": "jane.doe@example.com"}],
        "products": products,
    })
    .to_string()
}

async fn create(sb: &Running, customer_id: u64, products: Value) -> Answer {
    call(
        sb,
        "POST",
        "/v2/orders",
        Some(&order_body(customer_id, products)),
    )
    .await
}

fn free(product_id: u64, quantity: u32) -> Value {
    json!({"product_id": product_id, "quantity": quantity, "price_inc_tax": 0, "price_ex_tax": 0})
}

fn order_count(sb: &Running) -> usize {
    sb.state.data().orders.len()
}

fn stock(sb: &Running, variant: u64) -> i64 {
    sb.state.data().stock_of(variant)
}

async fn set_product(sb: &Running, id: u64, change: Value) {
    let a = control(
        sb,
        "POST",
        &format!("/__sandbox/products/{id}"),
        Some(&change.to_string()),
    )
    .await;
    assert_eq!(a.status, 204, "product control refused: {}", a.text);
}

fn first_error(a: &Answer) -> Value {
    a.json()[0].clone()
}

#[tokio::test]
async fn a_registered_shoppers_replacement_order_is_created_and_readable_everywhere() {
    let sb = sandbox().await;
    let before = order_count(&sb);
    let a = create(&sb, 1, json!([free(101, 2), free(105, 1)])).await;
    assert_eq!(a.status, 201, "{}", a.text);
    let o = a.json();
    let id = o["id"].as_u64().expect("id");
    assert_eq!(order_count(&sb), before + 1);
    assert_eq!(o["customer_id"], 1);
    assert_eq!(o["status_id"], 11);
    assert_eq!(o["status"], "Awaiting Fulfillment");
    assert_eq!(o["total_inc_tax"], "0.0000");
    assert_eq!(o["default_currency_code"], "USD");
    assert_eq!(o["external_source"], "Gladly (BigCommerce adaptor)");
    assert_eq!(o["order_source"], "external");

    let got = call(&sb, "GET", &format!("/v2/orders/{id}"), None)
        .await
        .json();
    assert_eq!(
        got["staff_notes"],
        "Replacement for order #101 (damaged). gladly:req-1"
    );
    assert_eq!(got["external_source"], "Gladly (BigCommerce adaptor)");
    assert_eq!(got["items_total"], 3);
    let products = call(&sb, "GET", &format!("/v2/orders/{id}/products"), None)
        .await
        .json();
    let rows = products.as_array().expect("product rows");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["product_id"], 101);
    assert_eq!(rows[0]["quantity"], 2);
    assert_eq!(rows[0]["name"], "Ceramic Mug");
    assert_eq!(
        (&rows[0]["price_inc_tax"], &rows[0]["price_ex_tax"]),
        (&json!("0.0000"), &json!("0.0000"))
    );
    let ship = call(
        &sb,
        "GET",
        &format!("/v2/orders/{id}/shipping_addresses"),
        None,
    )
    .await
    .json();
    assert_eq!(ship[0]["street_1"], "9 Elm St");
    let mine = call(&sb, "GET", "/v2/orders?customer_id=1&sort=id:desc", None)
        .await
        .json();
    assert_eq!(mine[0]["id"], id, "the new order leads the customer's list");
    // Untracked products: stock is left alone.
    assert_eq!(
        stock(&sb, 1010),
        bigcommerce_sandbox::inventory::STARTING_STOCK
    );
}

#[tokio::test]
async fn a_guest_order_has_customer_0_and_is_found_by_email() {
    let sb = sandbox().await;
    let a = create(&sb, 0, json!([free(103, 1)])).await;
    assert_eq!(a.status, 201, "{}", a.text);
    let id = a.json()["id"].as_u64().expect("id");
    assert_eq!(a.json()["customer_id"], 0);
    let found = call(&sb, "GET", "/v2/orders?email=jane.doe@example.com", None)
        .await
        .json();
    assert!(
        found
            .as_array()
            .is_some_and(|l| l.iter().any(|o| o["id"] == id && o["customer_id"] == 0)),
        "{found}"
    );
}

#[tokio::test]
async fn an_unknown_customer_or_channel_is_refused_with_nothing_created() {
    let sb = sandbox().await;
    let before = order_count(&sb);
    let a = create(&sb, 9999, json!([free(101, 1)])).await;
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(
        first_error(&a)["message"],
        "The field 'customer_id' is invalid."
    );
    let mut body: Value = serde_json::from_str(&order_body(1, json!([free(101, 1)]))).unwrap();
    body["channel_id"] = json!(77);
    let a = call(&sb, "POST", "/v2/orders", Some(&body.to_string())).await;
    assert_eq!(a.status, 400, "{}", a.text);
    body["channel_id"] = json!(1);
    body["products"] = json!([{"product_id": 101, "quantity": 0}]);
    let a = call(&sb, "POST", "/v2/orders", Some(&body.to_string())).await;
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(order_count(&sb), before);
}

/// A store with a product sold in colours, stock tracked per colour, and an order for one.
async fn sandbox_with_variants() -> Running {
    let mut seed: Value = serde_json::from_str(DEFAULT_SEED).expect("seed");
    seed["products"].as_array_mut().expect("products").push(json!({
        "id": 113, "name": "Linen Napkins", "sku": "NAP-LIN-13", "price": "18.00",
        "inventory_tracking": "variant",
        "options": [{"id": 201, "display_name": "Colour",
                      "values": [{"id": 301, "label": "Natural"}, {"id": 302, "label": "Indigo"}]}],
        "variants": [{"id": 1131, "option_values": [[201, 301]], "inventory_level": 4},
                     {"id": 1132, "option_values": [[201, 302]], "inventory_level": 1}],
    }));
    let seed = parse_seed(&seed.to_string()).expect("seed with variants");
    start(
        seed,
        Settings::default(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .expect("sandbox starts")
}

#[tokio::test]
async fn options_pick_the_variant_whose_stock_goes_down() {
    let sb = sandbox_with_variants().await;
    assert_eq!(
        stock(&sb, 1131),
        4,
        "premise: the seed sets the variant's stock"
    );
    let line = json!([{"product_id": 113, "quantity": 3, "price_inc_tax": 0, "price_ex_tax": 0,
                       "product_options": [{"id": 201, "value": "301"}]}]);
    let a = create(&sb, 1, line).await;
    assert_eq!(a.status, 201, "{}", a.text);
    let id = a.json()["id"].as_u64().expect("id");
    assert_eq!(stock(&sb, 1131), 1, "an API order takes tracked stock");
    assert_eq!(stock(&sb, 1132), 1, "the other colour is untouched");
    let rows = call(&sb, "GET", &format!("/v2/orders/{id}/products"), None)
        .await
        .json();
    assert_eq!(rows[0]["variant_id"], 1131);
    let opt = &rows[0]["product_options"][0];
    assert_eq!(opt["product_option_id"], 201);
    assert_eq!(opt["value"], "301");
    assert_eq!(opt["display_value"], "Natural");

    // What an order product answers (`product_option_id`) is taken back as the POST's `id`.
    let again = json!([{"product_id": 113, "quantity": 1, "price_inc_tax": 0, "price_ex_tax": 0,
                        "product_options": [{"product_option_id": 201, "value": "302"}]}]);
    let a = create(&sb, 1, again).await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(stock(&sb, 1132), 0);
}

#[tokio::test]
async fn missing_or_wrong_options_are_refused_with_nothing_created() {
    let sb = sandbox_with_variants().await;
    let before = order_count(&sb);
    let none = json!([{"product_id": 113, "quantity": 1}]);
    let a = create(&sb, 1, none).await;
    assert_eq!(a.status, 400, "{}", a.text);
    let e = first_error(&a);
    assert_eq!(
        e["message"],
        "The options of one or more products are invalid."
    );
    assert_eq!(e["details"]["errors"][0]["type"], "MandatoryProductOptions");
    assert_eq!(e["details"]["errors"][0]["product"]["id"], 113);
    let wrong = json!([{"product_id": 113, "quantity": 1,
                        "product_options": [{"id": 201, "value": "999"}]}]);
    let a = create(&sb, 1, wrong).await;
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(
        first_error(&a)["details"]["errors"][0]["type"],
        "InvalidProductOptionValue"
    );
    assert_eq!(order_count(&sb), before);
    assert_eq!((stock(&sb, 1131), stock(&sb, 1132)), (4, 1));
}

#[tokio::test]
async fn a_deleted_product_is_refused_naming_it_with_nothing_created() {
    let sb = sandbox().await;
    set_product(&sb, 102, json!({"deleted": true})).await;
    let before = order_count(&sb);
    let a = create(&sb, 1, json!([free(101, 1), free(102, 1)])).await;
    assert_eq!(a.status, 400, "{}", a.text);
    let e = first_error(&a);
    assert_eq!(e["message"], "The field 'product_id' is invalid.");
    assert_eq!(e["details"]["errors"][0]["product"]["id"], 102);
    assert_eq!(order_count(&sb), before);
    // The deleted product still names the lines of past orders.
    let rows = call(&sb, "GET", "/v2/orders/107/products", None)
        .await
        .json();
    assert_eq!(rows[0]["name"], "Linen Apron");
}

#[tokio::test]
async fn a_product_not_for_sale_or_hidden_is_refused_naming_it() {
    let sb = sandbox().await;
    let before = order_count(&sb);
    set_product(&sb, 104, json!({"availability": "disabled"})).await;
    let a = create(&sb, 1, json!([free(104, 1)])).await;
    assert_eq!(a.status, 409, "{}", a.text);
    let e = first_error(&a);
    assert_eq!(e["details"]["errors"][0]["type"], "ProductUnavailable");
    assert_eq!(e["details"]["errors"][0]["product"]["id"], 104);
    assert_eq!(
        e["details"]["errors"][0]["product"]["name"],
        "Coffee Beans 1kg"
    );
    set_product(
        &sb,
        104,
        json!({"availability": "available", "is_visible": false}),
    )
    .await;
    let a = create(&sb, 1, json!([free(104, 1)])).await;
    assert_eq!(a.status, 409, "{}", a.text);
    assert_eq!(order_count(&sb), before);
}

#[tokio::test]
async fn a_variant_not_for_sale_is_refused() {
    let sb = sandbox_with_variants().await;
    set_product(
        &sb,
        113,
        json!({"variant_id": 1132, "purchasing_disabled": true}),
    )
    .await;
    let line = json!([{"product_id": 113, "quantity": 1, "variant_id": 1132}]);
    let a = create(&sb, 1, line).await;
    assert_eq!(a.status, 409, "{}", a.text);
    assert_eq!(
        first_error(&a)["details"]["errors"][0]["product"]["variant_id"],
        1132
    );
    assert_eq!(stock(&sb, 1132), 1);
}

#[tokio::test]
async fn out_of_stock_is_bigcommerces_409_with_stock_unchanged() {
    let sb = sandbox().await;
    set_product(
        &sb,
        106,
        json!({"inventory_tracking": "product", "stock": 1}),
    )
    .await;
    assert_eq!(stock(&sb, 1060), 1, "premise: the control set the stock");
    let before = order_count(&sb);
    let a = create(&sb, 1, json!([free(101, 1), free(106, 2)])).await;
    assert_eq!(a.status, 409, "{}", a.text);
    let e = first_error(&a);
    assert_eq!(
        e["message"],
        "Quantities of one or more products are out of stock or did not meet quantity requirements."
    );
    assert_eq!(e["details"]["errors"][0]["type"], "OutOfStock");
    assert_eq!(e["details"]["errors"][0]["product"]["id"], 106);
    assert_eq!(e["details"]["errors"][0]["product"]["inventory_level"], 1);
    assert_eq!(order_count(&sb), before);
    assert_eq!(stock(&sb, 1060), 1);
    // One fits: it is taken.
    let a = create(&sb, 1, json!([free(106, 1)])).await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(stock(&sb, 1060), 0);
}

#[tokio::test]
async fn staff_notes_are_appended_through_put_and_read_back() {
    let sb = sandbox().await;
    let a = call(&sb, "GET", "/v2/orders/101", None).await;
    let old = a.json()["staff_notes"].as_str().unwrap_or("").to_string();
    let appended = format!("{old}\n[Gladly] Replacement #5001 sent. gladly:req-1");
    let a = call(
        &sb,
        "PUT",
        "/v2/orders/101",
        Some(&json!({"staff_notes": appended}).to_string()),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let got = call(&sb, "GET", "/v2/orders/101", None).await.json();
    assert_eq!(got["staff_notes"], json!(appended));
    assert!(got["staff_notes"]
        .as_str()
        .is_some_and(|n| n.starts_with(&old)));
}

async fn credit_of(sb: &Running, id: u64) -> Value {
    let a = call(
        sb,
        "GET",
        &format!("/v3/customers?id:in={id}&include=storecredit"),
        None,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.json()["data"][0]["store_credit_amounts"][0]["amount"].clone()
}

async fn set_credit(sb: &Running, id: u64, amount: f64) -> Answer {
    call(
        sb,
        "PUT",
        "/v3/customers",
        Some(&json!([{"id": id, "store_credit_amounts": [{"amount": amount}]}]).to_string()),
    )
    .await
}

#[tokio::test]
async fn store_credit_is_read_and_set_as_an_absolute_amount() {
    let sb = sandbox().await;
    assert_eq!(
        credit_of(&sb, 1).await,
        json!(12.5),
        "premise: the seed's credit"
    );
    let a = set_credit(&sb, 1, 22.5).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json()["data"][0]["id"], 1);
    assert_eq!(
        a.json()["data"][0]["store_credit_amounts"][0]["amount"],
        22.5
    );
    assert_eq!(credit_of(&sb, 1).await, json!(22.5));
}

#[tokio::test]
async fn invalid_store_credit_writes_change_nothing() {
    let sb = sandbox().await;
    let a = set_credit(&sb, 1, -5.0).await;
    assert_eq!(a.status, 422, "{}", a.text);
    let a = set_credit(&sb, 4242, 5.0).await;
    assert_eq!(a.status, 422, "{}", a.text);
    let eleven: Vec<Value> = (1..=11)
        .map(|i| json!({"id": i, "store_credit_amounts": [{"amount": 1}]}))
        .collect();
    let a = call(
        &sb,
        "PUT",
        "/v3/customers",
        Some(&Value::Array(eleven).to_string()),
    )
    .await;
    assert_eq!(a.status, 413, "{}", a.text);
    let a = call(
        &sb,
        "PUT",
        "/v3/customers",
        Some(r#"[{"id": 1, "store_credit_amounts": [{"amount": "5"}]}]"#),
    )
    .await;
    assert_eq!(a.status, 422, "{}", a.text);
    assert_eq!(credit_of(&sb, 1).await, json!(12.5));
    assert_eq!(credit_of(&sb, 2).await, json!(0.0));
}

/// `customer_Put.notes` in the same item as the credit: both land in one write, or neither.
#[tokio::test]
async fn notes_and_credit_are_written_together() {
    let sb = sandbox().await;
    let put = |body: Value| {
        let sb = &sb;
        async move { call(sb, "PUT", "/v3/customers", Some(&body.to_string())).await }
    };
    // What customer 1 holds: its notes and its credit.
    let stored = || {
        let sb = &sb;
        async move {
            let read = call(sb, "GET", "/v3/customers?id:in=1&include=storecredit", None).await;
            let c = read.json()["data"][0].clone();
            (
                c["notes"].clone(),
                c["store_credit_amounts"][0]["amount"].clone(),
            )
        }
    };
    let kept = (json!("VIP\n[gladly:x] credit"), json!(20.5));
    let a = put(json!([{"id": 1, "store_credit_amounts": [{"amount": 20.5}], "notes": "VIP\n[gladly:x] credit"}])).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json()["data"][0]["notes"], kept.0);
    assert_eq!(stored().await, kept);
    // Notes that are not text, or a credit that does not read: neither lands.
    let a = put(json!([{"id": 1, "store_credit_amounts": [{"amount": 30}], "notes": 5}])).await;
    assert!(a.status == 400 || a.status == 422, "{}", a.text);
    let a =
        put(json!([{"id": 1, "store_credit_amounts": [{"amount": -1}], "notes": "changed"}])).await;
    assert_eq!(a.status, 422, "{}", a.text);
    assert_eq!(stored().await, kept);
}

/// The shopper's checkout changes customer 1's balance (`{amount, when?}`).
async fn spend_out_of_band(sb: &Running, change: &str) {
    let a = control(
        sb,
        "POST",
        "/__sandbox/customers/1/store_credit",
        Some(change),
    )
    .await;
    assert_eq!(a.status, 204, "store-credit control refused: {}", a.text);
}

#[tokio::test]
async fn a_balance_changed_out_of_band_is_seen_by_the_next_read() {
    let sb = sandbox().await;
    spend_out_of_band(&sb, r#"{"amount": 2.5}"#).await;
    assert_eq!(credit_of(&sb, 1).await, json!(2.5));

    // The shopper spends credit right after our write: the write answers what it set, the
    // read-back shows something else.
    spend_out_of_band(&sb, r#"{"amount": 1.25, "when": "after_next_write"}"#).await;
    assert_eq!(
        credit_of(&sb, 1).await,
        json!(2.5),
        "nothing lands before the write"
    );
    let a = set_credit(&sb, 1, 12.5).await;
    assert_eq!(
        a.json()["data"][0]["store_credit_amounts"][0]["amount"],
        12.5
    );
    assert_eq!(credit_of(&sb, 1).await, json!(1.25));

    // Spent between our read and our write: the absolute write overwrites it (a lost update).
    spend_out_of_band(&sb, r#"{"amount": 0, "when": "before_next_write"}"#).await;
    let a = set_credit(&sb, 1, 11.25).await;
    assert_eq!(a.status, 200);
    assert_eq!(credit_of(&sb, 1).await, json!(11.25));
    let a = set_credit(&sb, 1, 3.0).await;
    assert_eq!(a.status, 200);
    assert_eq!(
        credit_of(&sb, 1).await,
        json!(3.0),
        "each change lands once"
    );
}

#[tokio::test]
async fn the_new_routes_honour_injected_faults_and_the_request_log() {
    let sb = sandbox().await;
    let before = order_count(&sb);
    let fault = r#"{"route": "POST /v2/orders", "status": 500, "times": 1}"#;
    assert_eq!(
        control(&sb, "POST", "/__sandbox/faults", Some(fault))
            .await
            .status,
        201
    );
    let body = order_body(1, json!([free(101, 1)]));
    let a = call(&sb, "POST", "/v2/orders", Some(&body)).await;
    assert_eq!(a.status, 500);
    assert_eq!(order_count(&sb), before, "a refused create makes nothing");

    // A create that lands although the client sees an error (late commit).
    let fault = r#"{"route": "POST /v2/orders", "status": 502, "after": true, "times": 1}"#;
    control(&sb, "POST", "/__sandbox/faults", Some(fault)).await;
    let a = call(&sb, "POST", "/v2/orders", Some(&body)).await;
    assert_eq!(a.status, 502);
    assert_eq!(order_count(&sb), before + 1, "the write stuck");

    let fault = r#"{"route": "PUT /v3/customers", "status": 429, "times": 1}"#;
    control(&sb, "POST", "/__sandbox/faults", Some(fault)).await;
    let a = set_credit(&sb, 1, 40.0).await;
    assert_eq!(a.status, 429);
    assert_eq!(
        credit_of(&sb, 1).await,
        json!(12.5),
        "a 429 changes nothing"
    );

    let log = control(&sb, "GET", "/__sandbox/requests", None)
        .await
        .json();
    assert_eq!(log["by_route"]["POST /v2/orders"], 2);
    assert_eq!(log["by_route"]["PUT /v3/customers"], 1);
    assert_eq!(log["faulted"], 3, "each injected fault fired once");
}
