//! Every answer the sandbox gives, success and error, validated against BigCommerce's own
//! OpenAPI schemas (copies in `tests/openapi/`, see its README). A field the spec requires that
//! the sandbox lacks, or a wrong type, fails here. Nothing outside the repository is read.

mod common;

use common::{call, sandbox, Answer};
use serde_json::{Map, Value};
use std::path::PathBuf;

fn spec_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/openapi")
}

fn load(file: &str) -> Value {
    let path = spec_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn pointer<'a>(doc: &'a Value, reference: &str) -> &'a Value {
    let p = reference.trim_start_matches('#');
    doc.pointer(p)
        .unwrap_or_else(|| panic!("unresolved $ref {reference}"))
}

/// Inlines `$ref`s and turns OpenAPI 3.0 into draft-4 JSON Schema (`nullable` → a null type).
fn to_json_schema(doc: &Value, node: &Value, depth: usize) -> Value {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                // Recursive schemas (item matchers, segments) are cut off as "anything".
                if depth > 6 {
                    return Value::Object(Map::new());
                }
                return to_json_schema(doc, pointer(doc, r), depth + 1);
            }
            let mut out = Map::new();
            for (k, v) in map {
                if k == "example"
                    || k == "examples"
                    || k.starts_with("x-")
                    || k == "discriminator"
                    || k == "xml"
                    || k == "nullable"
                {
                    continue;
                }
                // A "properties"/"patternProperties" map holds schemas keyed by field name.
                // The spec uses oneOf where its branches overlap (a link object with optional
                // fields matches everything), so "exactly one" is read as "at least one".
                let key = if k == "oneOf" {
                    "anyOf".to_string()
                } else {
                    k.clone()
                };
                let converted = if k == "properties" {
                    Value::Object(
                        v.as_object()
                            .map(|m| {
                                m.iter()
                                    .map(|(f, s)| (f.clone(), to_json_schema(doc, s, depth)))
                                    .collect()
                            })
                            .unwrap_or_default(),
                    )
                } else {
                    to_json_schema(doc, v, depth)
                };
                out.insert(key, converted);
            }
            if map.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(Value::String(t)) = out.get("type").cloned() {
                    out.insert(
                        "type".into(),
                        Value::Array(vec![Value::String(t), Value::String("null".into())]),
                    );
                }
                if let Some(Value::Array(e)) = out.get_mut("enum") {
                    e.push(Value::Null);
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| to_json_schema(doc, i, depth))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The JSON schema of one documented answer.
fn response_schema(doc: &Value, path: &str, method: &str, status: &str) -> Value {
    let op = &doc["paths"][path][method];
    assert!(op.is_object(), "spec has no {method} {path}");
    let mut resp = &op["responses"][status];
    assert!(
        !resp.is_null(),
        "spec documents no {status} for {method} {path}"
    );
    if let Some(Value::String(r)) = resp.get("$ref") {
        resp = pointer(doc, r);
    }
    let schema = &resp["content"]["application/json"]["schema"];
    to_json_schema(doc, schema, 0)
}

struct Checker {
    covered: Vec<String>,
    failures: Vec<String>,
}

impl Checker {
    fn check(&mut self, spec: &Value, file: &str, path: &str, method: &str, answer: &Answer) {
        let status = answer.status.to_string();
        self.check_as(spec, file, path, method, answer, &status);
    }

    /// Checks an answer against the schema the spec documents under another status: the spec
    /// documents `200` for `POST /v2/orders`, which BigCommerce answers `201 Created`.
    fn check_as(
        &mut self,
        spec: &Value,
        file: &str,
        path: &str,
        method: &str,
        answer: &Answer,
        status: &str,
    ) {
        let name = format!("{file} {} {path} {}", method.to_uppercase(), answer.status);
        self.covered.push(name.clone());
        let schema = response_schema(spec, path, method, status);
        let validator = match jsonschema::draft4::new(&schema) {
            Ok(v) => v,
            Err(e) => {
                let mut msg = e.to_string();
                msg.truncate(300);
                self.failures
                    .push(format!("{name}: schema does not compile: {msg}"));
                return;
            }
        };
        let instance = answer.json();
        for err in validator.iter_errors(&instance) {
            let mut msg = err.to_string();
            if msg.len() > 300 {
                msg.truncate(300);
                msg.push('…');
            }
            self.failures
                .push(format!("{name}: {msg} at {}", err.instance_path()));
        }
    }
}

#[tokio::test]
async fn every_sandbox_answer_matches_bigcommerce_schemas() {
    let customers = load("customers.v3.yml");
    let subscribers = load("subscribers.v3.yml");
    let orders2 = load("orders.v2.oas2.yml");
    let orders3 = load("orders.v3.yml");
    let promos = load("promotions.v3.yml");
    let catalog = load("products_catalog.v3.yml");
    let sb = sandbox().await;
    let mut c = Checker {
        covered: Vec::new(),
        failures: Vec::new(),
    };

    let a = call(
        &sb,
        "GET",
        "/v3/customers?email:in=jane.doe@example.com&include=addresses,storecredit",
        None,
    )
    .await;
    c.check(&customers, "customers.v3", "/customers", "get", &a);
    let a = call(&sb, "GET", "/v3/customers?id:in=abc", None).await;
    assert_eq!(a.status, 422);
    c.check(&customers, "customers.v3", "/customers", "get", &a);
    let a = call(
        &sb,
        "GET",
        "/v3/customers/subscribers?email=jane.doe@example.com",
        None,
    )
    .await;
    c.check(
        &subscribers,
        "subscribers.v3",
        "/customers/subscribers",
        "get",
        &a,
    );

    let a = call(
        &sb,
        "GET",
        "/v2/orders?customer_id=1&sort=date_created:desc",
        None,
    )
    .await;
    c.check(&orders2, "orders.v2", "/orders", "get", &a);
    let a = call(
        &sb,
        "GET",
        "/v2/orders?customer_id=2&include=consignments.line_items&consignment_structure=object",
        None,
    )
    .await;
    c.check(&orders2, "orders.v2", "/orders", "get", &a);
    let a = call(&sb, "GET", "/v2/orders/103", None).await;
    c.check(&orders2, "orders.v2", "/orders/{order_id}", "get", &a);
    let a = call(&sb, "GET", "/v2/orders/999999", None).await;
    assert_eq!(a.status, 404);
    c.check(&orders2, "orders.v2", "/orders/{order_id}", "get", &a);
    let a = call(&sb, "GET", "/v2/orders/103/products", None).await;
    c.check(
        &orders2,
        "orders.v2",
        "/orders/{order_id}/products",
        "get",
        &a,
    );
    let a = call(&sb, "GET", "/v2/orders/103/shipments", None).await;
    c.check(
        &orders2,
        "orders.v2",
        "/orders/{order_id}/shipments",
        "get",
        &a,
    );
    let a = call(&sb, "GET", "/v2/order_statuses", None).await;
    c.check(&orders2, "orders.v2", "/order_statuses", "get", &a);
    let a = call(&sb, "PUT", "/v2/orders/102", Some(r#"{"status_id": 5}"#)).await;
    c.check(&orders2, "orders.v2", "/orders/{order_id}", "put", &a);

    // Order 101: Jane's Awaiting Fulfillment order, paid; its first line item is 1001.
    let quote = r#"{"items": [{"item_type": "PRODUCT", "item_id": 1001, "quantity": 1}]}"#;
    let a = call(
        &sb,
        "POST",
        "/v3/orders/101/payment_actions/refund_quotes",
        Some(quote),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    c.check(
        &orders3,
        "orders.v3",
        "/orders/{order_id}/payment_actions/refund_quotes",
        "post",
        &a,
    );
    let too_much = r#"{"items": [{"item_type": "PRODUCT", "item_id": 1001, "quantity": 9}]}"#;
    let a = call(
        &sb,
        "POST",
        "/v3/orders/101/payment_actions/refund_quotes",
        Some(too_much),
    )
    .await;
    assert_eq!(a.status, 422);
    c.check(
        &orders3,
        "orders.v3",
        "/orders/{order_id}/payment_actions/refund_quotes",
        "post",
        &a,
    );
    let refund = r#"{"items": [{"item_type": "PRODUCT", "item_id": 1001, "quantity": 1, "reason": "gladly:r1"}],
                     "payments": [{"provider_id": "braintree", "amount": 14.00, "offline": false}]}"#;
    let a = call(
        &sb,
        "POST",
        "/v3/orders/101/payment_actions/refunds",
        Some(refund),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    c.check(
        &orders3,
        "orders.v3",
        "/orders/{order_id}/payment_actions/refunds",
        "post",
        &a,
    );
    let a = call(
        &sb,
        "POST",
        "/v3/orders/101/payment_actions/refunds",
        Some(refund.replace("14.00", "13.00").as_str()),
    )
    .await;
    assert_eq!(a.status, 422);
    c.check(
        &orders3,
        "orders.v3",
        "/orders/{order_id}/payment_actions/refunds",
        "post",
        &a,
    );
    let a = call(&sb, "GET", "/v3/orders/101/payment_actions/refunds", None).await;
    c.check(
        &orders3,
        "orders.v3",
        "/orders/{order_id}/payment_actions/refunds",
        "get",
        &a,
    );

    let promo = r#"{"name": "Gladly 10% r1", "redemption_type": "COUPON",
        "rules": [{"action": {"cart_value": {"discount": {"percentage_amount": "10"}}}}]}"#;
    let a = call(&sb, "POST", "/v3/promotions", Some(promo)).await;
    assert_eq!(a.status, 201, "{}", a.text);
    c.check(&promos, "promotions.v3", "/promotions", "post", &a);
    let id = a.json()["data"]["id"].as_u64().expect("promotion id");
    let a = call(&sb, "GET", "/v3/promotions?name=Gladly%2010%25%20r1", None).await;
    c.check(&promos, "promotions.v3", "/promotions", "get", &a);
    let a = call(
        &sb,
        "POST",
        &format!("/v3/promotions/{id}/codes"),
        Some(r#"{"code": "GLADLY-R1", "max_uses": 1}"#),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    c.check(
        &promos,
        "promotions.v3",
        "/promotions/{promotion_id}/codes",
        "post",
        &a,
    );
    let a = call(&sb, "GET", &format!("/v3/promotions/{id}/codes"), None).await;
    c.check(
        &promos,
        "promotions.v3",
        "/promotions/{promotion_id}/codes",
        "get",
        &a,
    );
    let a = call(&sb, "GET", "/v3/promotions/codes?code=GLADLY-R1", None).await;
    c.check(&promos, "promotions.v3", "/promotions/codes", "get", &a);

    // Order 107 (Marcus, Awaiting Shipment) holds an authorised, uncaptured payment.
    let a = call(&sb, "POST", "/v3/orders/107/payment_actions/void", None).await;
    assert_eq!(a.status, 201, "{}", a.text);
    c.check(
        &orders3,
        "orders.v3",
        "/orders/{order_id}/payment_actions/void",
        "post",
        &a,
    );
    let a = call(&sb, "POST", "/v3/orders/107/payment_actions/void", None).await;
    assert_eq!(a.status, 422);
    c.check(
        &orders3,
        "orders.v3",
        "/orders/{order_id}/payment_actions/void",
        "post",
        &a,
    );

    let a = call(
        &sb,
        "GET",
        "/v3/catalog/products?id:in=101,102&include=primary_image",
        None,
    )
    .await;
    c.check(
        &catalog,
        "products_catalog.v3",
        "/catalog/products",
        "get",
        &a,
    );

    // Shipping addresses (address changes) and gift certificates.
    let a = call(&sb, "GET", "/v2/orders/101/shipping_addresses", None).await;
    c.check(
        &orders2,
        "orders.v2",
        "/orders/{order_id}/shipping_addresses",
        "get",
        &a,
    );
    let a = call(
        &sb,
        "PUT",
        "/v2/orders/101/shipping_addresses/1011",
        Some(r#"{"street_1": "200 Congress Ave", "country_iso2": "US"}"#),
    )
    .await;
    c.check(
        &orders2,
        "orders.v2",
        "/orders/{order_id}/shipping_addresses/{id}",
        "put",
        &a,
    );
    let marketing = load("marketing.v2.yml");
    let a = call(
        &sb,
        "POST",
        "/v2/gift_certificates",
        Some(r#"{"to_name": "Jane Doe", "to_email": "jane@example.com", "from_name": "Shop", "from_email": "care@example.com", "amount": "20", "code": "GC-CONTRACT"}"#),
    )
    .await;
    c.check(&marketing, "marketing.v2", "/gift_certificates", "post", &a);
    let a = call(&sb, "GET", "/v2/gift_certificates?code=GC-CONTRACT", None).await;
    c.check(&marketing, "marketing.v2", "/gift_certificates", "get", &a);

    // Inventory: the default location and a relative adjustment (returns to stock).
    let locations = load("locations.v3.yml");
    let a = call(&sb, "GET", "/v3/inventory/locations?is_default=true", None).await;
    c.check(
        &locations,
        "locations.v3",
        "/inventory/locations",
        "get",
        &a,
    );
    let inventory = load("inventory.v3.yml");
    let a = call(
        &sb,
        "POST",
        "/v3/inventory/adjustments/relative",
        Some(r#"{"reason": "returned", "items": [{"location_id": 1, "variant_id": 1010, "quantity": 2}]}"#),
    )
    .await;
    c.check(
        &inventory,
        "inventory.v3",
        "/inventory/adjustments/relative",
        "post",
        &a,
    );

    // The store's own settings and its storefronts (Multi-Storefront).
    let store_info = load("store_information.v2.yml");
    let channels = load("channels.v3.yml");
    let sites = load("sites.v3.yml");
    let a = call(&sb, "GET", "/v2/store", None).await;
    assert_eq!(a.json()["features"]["multi_storefront_enabled"], true);
    c.check(&store_info, "store_information.v2", "/store", "get", &a);
    let a = call(&sb, "GET", "/v3/channels", None).await;
    assert_eq!(a.json()["data"].as_array().map(Vec::len), Some(2));
    c.check(&channels, "channels.v3", "/channels", "get", &a);
    let a = call(&sb, "GET", "/v3/channels?limit=1&page=2", None).await;
    c.check(&channels, "channels.v3", "/channels", "get", &a);
    let a = call(&sb, "GET", "/v3/channels?limit=abc", None).await;
    assert_eq!(a.status, 422);
    c.check(&channels, "channels.v3", "/channels", "get", &a);
    let a = call(&sb, "GET", "/v3/channels/2/site", None).await;
    assert_eq!(a.json()["data"]["url"], "https://eu.shop.example.com");
    c.check(
        &channels,
        "channels.v3",
        "/channels/{channel_id}/site",
        "get",
        &a,
    );
    let a = call(&sb, "GET", "/v3/sites?channel_id:in=1,2", None).await;
    c.check(&sites, "sites.v3", "/sites", "get", &a);
    let a = call(&sb, "GET", "/v3/sites?limit=1&page=2", None).await;
    c.check(&sites, "sites.v3", "/sites", "get", &a);
    // Cursor pagination on customers: the first page carries cursors, and so does the next.
    let a = call(&sb, "GET", "/v3/customers?limit=5", None).await;
    let next = a.json()["meta"]["cursor_pagination"]["links"]["next"]
        .as_str()
        .map(String::from)
        .unwrap_or_default();
    assert!(next.starts_with("?after="), "{}", a.text);
    c.check(&customers, "customers.v3", "/customers", "get", &a);
    let a = call(&sb, "GET", &format!("/v3/customers{next}"), None).await;
    c.check(&customers, "customers.v3", "/customers", "get", &a);
    let a = call(&sb, "GET", "/v3/customers?after=not-a-cursor", None).await;
    assert_eq!(a.status, 422);
    c.check(&customers, "customers.v3", "/customers", "get", &a);
    // A multi-currency order and a second-storefront order are still v2 orders.
    let a = call(&sb, "GET", "/v2/orders/166", None).await;
    assert_eq!(
        (
            &a.json()["currency_code"],
            &a.json()["default_currency_code"]
        ),
        (&serde_json::json!("EUR"), &serde_json::json!("GBP"))
    );
    c.check(&orders2, "orders.v2", "/orders/{order_id}", "get", &a);
    let a = call(&sb, "GET", "/v2/orders?customer_id=33", None).await;
    c.check(&orders2, "orders.v2", "/orders", "get", &a);

    // Orders made through the API (a replacement at price 0), and a staff-notes update.
    let new_order = r#"{"customer_id": 1, "status_id": 11, "channel_id": 1,
        "external_source": "Gladly (BigCommerce adaptor)", "staff_notes": "Replacement for #101",
        "default_currency_code": "USD",
        "billing_address": {"first_name": "Jane", "last_name": "Doe", "street_1": "1 Main St",
            "city": "Austin", "state": "Texas", "zip": "78701", "country": "United States",
            "country_iso2": "US", "email": "jane.doe@example.com"},
        "products": [{"product_id": 101, "quantity": 1, "price_inc_tax": 0, "price_ex_tax": 0}]}"#;
    let a = call(&sb, "POST", "/v2/orders", Some(new_order)).await;
    assert_eq!(a.status, 201, "{}", a.text);
    c.check_as(&orders2, "orders.v2", "/orders", "post", &a, "200");
    let id = a.json()["id"].as_u64().expect("new order id");
    let a = call(&sb, "GET", &format!("/v2/orders/{id}"), None).await;
    c.check(&orders2, "orders.v2", "/orders/{order_id}", "get", &a);
    let a = call(&sb, "GET", &format!("/v2/orders/{id}/products"), None).await;
    c.check(
        &orders2,
        "orders.v2",
        "/orders/{order_id}/products",
        "get",
        &a,
    );
    let a = call(
        &sb,
        "PUT",
        &format!("/v2/orders/{id}"),
        Some(r#"{"staff_notes": "Replacement for #101\nnote"}"#),
    )
    .await;
    c.check(&orders2, "orders.v2", "/orders/{order_id}", "put", &a);

    // Store credit: set with PUT /v3/customers (and refused when invalid).
    let a = call(
        &sb,
        "PUT",
        "/v3/customers",
        Some(r#"[{"id": 1, "store_credit_amounts": [{"amount": 20.5}]}]"#),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    c.check(&customers, "customers.v3", "/customers", "put", &a);
    let a = call(
        &sb,
        "PUT",
        "/v3/customers",
        Some(r#"[{"id": 1, "store_credit_amounts": [{"amount": -1}]}]"#),
    )
    .await;
    assert_eq!(a.status, 422, "{}", a.text);
    c.check(&customers, "customers.v3", "/customers", "put", &a);

    println!(
        "covered {} answers:\n  {}",
        c.covered.len(),
        c.covered.join("\n  ")
    );
    assert!(
        c.failures.is_empty(),
        "{} schema failures:\n{}",
        c.failures.len(),
        c.failures.join("\n")
    );
}

/// The checker itself must be able to fail: a customer without its id, and an order whose money
/// is a number, are refused.
#[tokio::test]
async fn the_schema_check_catches_missing_and_mistyped_fields() {
    let customers = load("customers.v3.yml");
    let orders2 = load("orders.v2.oas2.yml");
    let sb = sandbox().await;
    let mut c = Checker {
        covered: Vec::new(),
        failures: Vec::new(),
    };
    let mut a = call(&sb, "GET", "/v3/customers?id:in=1", None).await;
    let mut body = a.json();
    if let Some(obj) = body["data"][0].as_object_mut() {
        obj.remove("email");
        obj.insert("id".into(), Value::String("one".into()));
    }
    a.text = body.to_string();
    c.check(&customers, "customers.v3", "/customers", "get", &a);
    assert!(
        c.failures.iter().any(|f| f.contains("/data/0/id")),
        "{:?}",
        c.failures
    );

    let mut a = call(&sb, "GET", "/v2/orders/101", None).await;
    let mut body = a.json();
    body["total_inc_tax"] = serde_json::json!(12.5);
    a.text = body.to_string();
    let before = c.failures.len();
    c.check(&orders2, "orders.v2", "/orders/{order_id}", "get", &a);
    assert!(
        c.failures.len() > before,
        "a numeric v2 money field must fail"
    );
}

/// Every list route pages as BigCommerce documents it: following `page`, the cursor links, or
/// the offset of `/v3/sites` visits every record exactly once, and v2 answers 204 past the end.
#[tokio::test]
async fn every_list_pages_as_documented() {
    let sb = sandbox().await;
    let all = call(&sb, "GET", "/v3/customers?limit=250", None)
        .await
        .json()["data"]
        .as_array()
        .map(|d| {
            d.iter()
                .filter_map(|c| c["id"].as_u64())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    assert!(
        all.len() > 30,
        "the premise: more customers than one small page"
    );

    let mut paged = Vec::new();
    for page in 1.. {
        let a = call(
            &sb,
            "GET",
            &format!("/v3/customers?limit=7&page={page}"),
            None,
        )
        .await;
        let v = a.json();
        paged.extend(
            v["data"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["id"].as_u64()),
        );
        let p = &v["meta"]["pagination"];
        if p["current_page"] == p["total_pages"] {
            assert!(p["links"].get("next").is_none());
            break;
        }
        assert!(page < 50, "pagination never ends");
    }
    assert_eq!(paged, all, "page by page");

    let mut cursored = Vec::new();
    let mut next = "?limit=7".to_string();
    for turn in 0.. {
        let v = call(&sb, "GET", &format!("/v3/customers{next}"), None)
            .await
            .json();
        cursored.extend(
            v["data"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["id"].as_u64()),
        );
        match v["meta"]["cursor_pagination"]["links"]["next"].as_str() {
            Some(n) => next = n.to_string(),
            None => break,
        }
        assert!(turn < 50, "cursors never end");
    }
    assert_eq!(cursored, all, "cursor by cursor");
    // And back: `before` the second window's first record is the first window.
    let second = call(&sb, "GET", "/v3/customers?limit=7", None).await.json()["meta"]
        ["cursor_pagination"]["end_cursor"]
        .as_str()
        .map(String::from)
        .unwrap_or_default();
    let v = call(
        &sb,
        "GET",
        &format!("/v3/customers?limit=7&after={second}"),
        None,
    )
    .await
    .json();
    let start = v["meta"]["cursor_pagination"]["start_cursor"]
        .as_str()
        .map(String::from)
        .unwrap_or_default();
    let back = call(
        &sb,
        "GET",
        &format!("/v3/customers?limit=7&before={start}"),
        None,
    )
    .await
    .json();
    let back: Vec<u64> = back["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["id"].as_u64())
        .collect();
    assert_eq!(back, all[..7].to_vec());

    let v = call(&sb, "GET", "/v3/sites?limit=1&page=2", None)
        .await
        .json();
    assert_eq!(
        v["meta"]["pagination"],
        serde_json::json!({"offset": 1, "limit": 1, "total_items": 2})
    );
    assert_eq!(v["data"][0]["channel_id"], 2);
    let v = call(&sb, "GET", "/v3/channels?limit=1&page=2", None)
        .await
        .json();
    assert_eq!(v["data"][0]["id"], 2);
    assert_eq!(v["meta"]["pagination"]["total_pages"], 2);

    let a = call(&sb, "GET", "/v2/orders?limit=250&page=2", None).await;
    assert_eq!(a.status, 204, "v2 answers 204 past the end");
}
