//! `POST /v2/orders`: an order made through the API, validated as BigCommerce validates it
//! (`order_Post` in `orders.v2.oas2.yml`), then readable through every order GET.
//!
//! Stock: BigCommerce treats an order made through the V2 Orders API like a storefront order.
//! For a product whose inventory is tracked (by product or by variant) it refuses a quantity
//! above the stock level (409 `OutOfStock`, nothing created) and otherwise takes the quantity off
//! the stock level when the order is made; untracked products are never refused for stock. The
//! API sends the shopper no order email (the OpenAPI's note on `createOrder`).
//!
//! Refusals: the 409 `OutOfStock` and the 400 `The options of one or more products are invalid.`
//! bodies (`[{status, message, details: {errors: [{type, product}]}}]`) are BigCommerce's as
//! merchants have published them; for a deleted product (400, `The field 'product_id' is
//! invalid.`) and a product or variant not for sale (409, `ProductUnavailable`) the sandbox uses
//! the same shape, naming the product in `details`, since the reference documents no body.

use crate::errors::{ApiError, Family};
use crate::model::{BillingAddress, ItemOption, Order, OrderItem, PaymentState, Product};
use crate::model::{Variant, ORDER_STATUSES};
use crate::request::{api_root, decimal_of, parse_body, Params};
use crate::state::{AppState, Data};
use crate::views;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/v2/orders", post(create))
}

/// The `order_Post` fields the sandbox keeps; others BigCommerce accepts are ignored.
#[derive(Debug, Deserialize)]
struct OrderPost {
    billing_address: Option<BillingIn>,
    #[serde(default)]
    products: Option<Vec<ProductIn>>,
    #[serde(default)]
    shipping_addresses: Vec<BillingIn>,
    #[serde(default)]
    consignments: Option<Value>,
    #[serde(default)]
    customer_id: Option<Value>,
    #[serde(default)]
    status_id: Option<u32>,
    #[serde(default)]
    channel_id: Option<u64>,
    #[serde(default)]
    default_currency_code: Option<String>,
    #[serde(default)]
    external_source: Option<String>,
    #[serde(default)]
    staff_notes: Option<String>,
    #[serde(default)]
    customer_message: Option<String>,
    #[serde(default)]
    payment_method: Option<String>,
    #[serde(default)]
    shipping_cost_inc_tax: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct BillingIn {
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    street_1: String,
    #[serde(default)]
    street_2: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    zip: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    country_iso2: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
}

impl BillingIn {
    fn into_address(self) -> BillingAddress {
        BillingAddress {
            first_name: self.first_name,
            last_name: self.last_name,
            company: self.company,
            street_1: self.street_1,
            street_2: self.street_2,
            city: self.city,
            state: self.state,
            zip: self.zip,
            country: self.country,
            country_iso2: self.country_iso2,
            phone: self.phone,
            email: self.email,
        }
    }
}

#[derive(Debug, Deserialize)]
struct ProductIn {
    #[serde(default)]
    product_id: Option<u64>,
    #[serde(default)]
    variant_id: Option<u64>,
    #[serde(default)]
    name: Option<String>,
    quantity: Option<i64>,
    #[serde(default)]
    price_inc_tax: Option<Value>,
    #[serde(default)]
    price_ex_tax: Option<Value>,
    #[serde(default)]
    product_options: Vec<OptionIn>,
}

#[derive(Debug, Deserialize)]
struct OptionIn {
    /// `id` in the POST, `product_option_id` in what order products answer: both are taken.
    #[serde(alias = "product_option_id")]
    id: u64,
    value: Value,
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(Family::V2, StatusCode::BAD_REQUEST, message)
}

fn invalid(field: &str) -> ApiError {
    bad(format!("The field '{field}' is invalid."))
}

/// BigCommerce takes money as a number or a numeric string ("Float, Float-As-String, Integer").
fn money(v: &Option<Value>, field: &str) -> Result<Option<Decimal>, ApiError> {
    let parsed = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(v) => decimal_of(v, true),
    };
    match parsed {
        Some(d) if d >= Decimal::ZERO => Ok(Some(d)),
        _ => Err(invalid(field)),
    }
}

fn product_ref(root: &str, p: &Product) -> Value {
    json!({
        "id": p.id, "name": p.name,
        "url": format!("{root}/v2/products/{}", p.id),
        "resource": format!("/products/{}", p.id),
    })
}

/// One line as it will be stored, and the stock it takes (variant, quantity) when tracked.
struct Line {
    item: OrderItem,
    takes: Option<(u64, i64)>,
}

fn option_error(kind: &str, root: &str, p: &Product) -> ApiError {
    let mut product = product_ref(root, p);
    product["required_product_options"] = p
        .options
        .iter()
        .map(|o| json!({ "id": o.id, "option_id": o.id, "display_name": o.display_name }))
        .collect();
    bad("The options of one or more products are invalid.")
        .with_details(json!({ "errors": [{ "type": kind, "product": product }] }))
}

/// The variant the line buys: by `variant_id`, by its options, or the base variant.
fn pick_variant<'a>(
    root: &str,
    p: &'a Product,
    variant_id: Option<u64>,
    options: &[(u64, u64)],
) -> Result<Option<&'a Variant>, ApiError> {
    if let Some(v) = variant_id {
        if v == p.base_variant() && p.variants.is_empty() {
            return Ok(None);
        }
        return p
            .variants
            .iter()
            .find(|x| x.id == v)
            .map(Some)
            .ok_or_else(|| invalid("variant_id"));
    }
    if p.variants.is_empty() {
        return Ok(None);
    }
    if options.is_empty() {
        return Err(option_error("MandatoryProductOptions", root, p));
    }
    p.variants
        .iter()
        .find(|v| {
            v.option_values.len() == options.len()
                && v.option_values.iter().all(|pair| options.contains(pair))
        })
        .map(Some)
        .ok_or_else(|| option_error("InvalidProductOptionValue", root, p))
}

fn catalog_line(
    data: &Data,
    root: &str,
    input: &ProductIn,
    product_id: u64,
    quantity: u32,
) -> Result<Line, ApiError> {
    let p = data
        .products
        .iter()
        .find(|p| p.id == product_id && !p.deleted)
        .ok_or_else(|| {
            invalid("product_id").with_details(json!({ "errors": [{
                "type": "InvalidProduct", "product": { "id": product_id }
            }] }))
        })?;
    // Options name an option of the product and one of its values, or the line is refused.
    let mut chosen = Vec::with_capacity(input.product_options.len());
    let mut stored = Vec::with_capacity(input.product_options.len());
    for o in &input.product_options {
        let option = p.options.iter().find(|x| x.id == o.id);
        let value_id = match &o.value {
            Value::String(s) => s.trim().parse::<u64>().ok(),
            Value::Number(n) => n.as_u64(),
            _ => None,
        };
        let value = option
            .zip(value_id)
            .and_then(|(opt, vid)| opt.values.iter().find(|v| v.id == vid).map(|v| (opt, v)));
        let Some((opt, val)) = value else {
            return Err(option_error("InvalidProductOptionValue", root, p));
        };
        chosen.push((opt.id, val.id));
        stored.push(ItemOption {
            product_option_id: opt.id,
            value: val.id.to_string(),
            display_name: opt.display_name.clone(),
            display_value: val.label.clone(),
        });
    }
    let variant = pick_variant(root, p, input.variant_id, &chosen)?;
    let not_for_sale = p.availability == "disabled"
        || !p.is_visible
        || variant.is_some_and(|v| v.purchasing_disabled);
    if not_for_sale {
        let mut product = product_ref(root, p);
        product["availability"] = json!(p.availability);
        product["is_visible"] = json!(p.is_visible);
        product["variant_id"] = json!(variant.map_or(p.base_variant(), |v| v.id));
        return Err(ApiError::new(
            Family::V2,
            StatusCode::CONFLICT,
            "One or more products are unavailable for purchase.",
        )
        .with_details(
            json!({ "errors": [{ "type": "ProductUnavailable", "product": product }] }),
        ));
    }
    let variant_id = variant.map_or(p.base_variant(), |v| v.id);
    let stock_key = match p.inventory_tracking.as_str() {
        "product" => Some(p.base_variant()),
        "variant" => Some(variant_id),
        _ => None,
    };
    let price = money(&input.price_inc_tax, "price_inc_tax")?;
    let ex_tax = money(&input.price_ex_tax, "price_ex_tax")?;
    let price = price.or(ex_tax).unwrap_or(p.price);
    Ok(Line {
        item: OrderItem {
            id: 0,
            product_id: p.id,
            quantity,
            price,
            price_ex_tax: ex_tax.filter(|e| *e != price),
            quantity_refunded: 0,
            variant_id: Some(variant_id),
            name: None,
            product_options: stored,
        },
        takes: stock_key.map(|k| (k, i64::from(quantity))),
    })
}

fn custom_line(input: &ProductIn, quantity: u32) -> Result<Line, ApiError> {
    let name = input
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty() && n.chars().count() <= 250)
        .ok_or_else(|| invalid("name"))?;
    let price = money(&input.price_inc_tax, "price_inc_tax")?
        .ok_or_else(|| bad("The required field 'price_inc_tax' was not supplied."))?;
    let ex_tax = money(&input.price_ex_tax, "price_ex_tax")?
        .ok_or_else(|| bad("The required field 'price_ex_tax' was not supplied."))?;
    Ok(Line {
        item: OrderItem {
            id: 0,
            product_id: 0,
            quantity,
            price,
            price_ex_tax: Some(ex_tax).filter(|e| *e != price),
            quantity_refunded: 0,
            variant_id: Some(0),
            name: Some(name.to_string()),
            product_options: Vec::new(),
        },
        takes: None,
    })
}

async fn create(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Family::V2;
    let p = Params::parse(q, f)?;
    let post: OrderPost = parse_body(&body, f).map_err(|e| ApiError {
        status: StatusCode::BAD_REQUEST,
        ..e
    })?;
    if post.consignments.is_some() {
        return Err(bad(
            "The sandbox makes orders from products and shipping_addresses, not consignments.",
        ));
    }
    let billing = post
        .billing_address
        .ok_or_else(|| bad("The required field 'billing_address' was not supplied."))?;
    if billing.zip.trim().chars().count() < 2 {
        return Err(invalid("zip"));
    }
    let inputs = post
        .products
        .filter(|p| !p.is_empty())
        .ok_or_else(|| bad("The required field 'products' was not supplied."))?;
    let customer_id = match &post.customer_id {
        None | Some(Value::Null) => 0,
        Some(v) => v.as_u64().ok_or_else(|| invalid("customer_id"))?,
    };
    let status_id = post.status_id.unwrap_or(1);
    if !ORDER_STATUSES.iter().any(|(i, _, _)| *i == status_id) {
        return Err(invalid("status_id"));
    }
    let channel_id = post.channel_id.unwrap_or(1);
    if !st.store.storefronts().iter().any(|c| c.id == channel_id) {
        return Err(invalid("channel_id"));
    }
    // Writable only with multi-currency on (`currencies` in the seed); otherwise BigCommerce
    // makes the order in the store's default currency.
    let default = st.store.default_currency.clone();
    let currency = match post.default_currency_code.map(|c| c.trim().to_uppercase()) {
        Some(c) if c == default => c,
        Some(_) if st.store.currencies.is_empty() => default,
        Some(c) if st.store.currencies.contains(&c) => c,
        Some(_) => return Err(invalid("default_currency_code")),
        None => default,
    };
    if post
        .staff_notes
        .as_ref()
        .is_some_and(|n| n.chars().count() > 65_535)
    {
        return Err(invalid("staff_notes"));
    }
    let shipping_cost = money(&post.shipping_cost_inc_tax, "shipping_cost_inc_tax")?;
    let root = api_root(&st, &headers);
    let mut data = st.data();
    if customer_id != 0 && !data.customers.iter().any(|c| c.id == customer_id) {
        return Err(invalid("customer_id"));
    }
    // Everything is checked before anything changes: a refused order leaves no trace.
    let mut lines = Vec::with_capacity(inputs.len());
    for input in &inputs {
        let quantity = input
            .quantity
            .filter(|q| *q > 0)
            .and_then(|q| u32::try_from(q).ok())
            .ok_or_else(|| invalid("quantity"))?;
        lines.push(match input.product_id {
            Some(id) => catalog_line(&data, &root, input, id, quantity)?,
            None => custom_line(input, quantity)?,
        });
    }
    let mut wanted: std::collections::BTreeMap<u64, i64> = Default::default();
    for (variant, qty) in lines.iter().filter_map(|l| l.takes) {
        *wanted.entry(variant).or_default() += qty;
    }
    for (variant, qty) in &wanted {
        let level = data.stock_of(*variant);
        if *qty > level {
            let product = data
                .products
                .iter()
                .find(|p| p.has_variant(*variant))
                .map(|p| product_ref(&root, p))
                .unwrap_or_else(|| json!({}));
            let mut product = product;
            product["inventory_level"] = json!(level.max(0));
            return Err(ApiError::new(
                f,
                StatusCode::CONFLICT,
                "Quantities of one or more products are out of stock or did not meet quantity requirements.",
            )
            .with_details(json!({ "errors": [{ "type": "OutOfStock", "product": product }] })));
        }
    }
    for (variant, qty) in wanted {
        *data
            .stock
            .entry((crate::inventory::DEFAULT_LOCATION, variant))
            .or_insert(crate::inventory::STARTING_STOCK) -= qty;
    }
    let id = data.orders.iter().map(|o| o.id).max().unwrap_or(100) + 1;
    let mut item_id = data
        .orders
        .iter()
        .flat_map(|o| &o.items)
        .map(|i| i.id)
        .max()
        .unwrap_or(1000);
    let items = lines
        .into_iter()
        .map(|l| {
            item_id += 1;
            OrderItem {
                id: item_id,
                ..l.item
            }
        })
        .collect();
    let shipping_address = post
        .shipping_addresses
        .into_iter()
        .next()
        .map(BillingIn::into_address);
    let order = Order {
        id,
        customer_id,
        date_created: chrono::Utc::now(),
        date_modified: None,
        status_id,
        currency_code: currency,
        display_currency_code: None,
        display_exchange_rate: None,
        store_to_order_rate: None,
        channel_id,
        payment_method: post.payment_method.unwrap_or_else(|| "Manual".into()),
        payment_provider: String::new(),
        payment: PaymentState::Unpaid,
        shipping_cost: shipping_cost.unwrap_or(Decimal::ZERO),
        shipping_method: String::new(),
        discount_amount: Decimal::ZERO,
        coupons: Vec::new(),
        customer_message: post.customer_message.unwrap_or_default(),
        staff_notes: post.staff_notes.unwrap_or_default(),
        external_source: post.external_source,
        order_source: "external".into(),
        is_email_opt_in: false,
        billing_address: billing.into_address(),
        shipping_address,
        items,
        shipments: Vec::new(),
        refunds: Vec::new(),
    };
    data.orders.push(order.clone());
    let consignments =
        p.includes("consignments.line_items") && p.get("consignment_structure") == Some("object");
    let ctx = data.ctx(&root);
    Ok((
        StatusCode::CREATED,
        Json(views::order(&ctx, &order, consignments)),
    )
        .into_response())
}

/// The test control, mounted beside the other `/__sandbox/` routes: what the merchant changes
/// in the catalog (deletes a product, stops selling it, tracks or sets its stock).
pub fn controls() -> Router<Arc<AppState>> {
    Router::new().route("/__sandbox/products/{id}", post(change_product))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductChange {
    #[serde(default)]
    availability: Option<String>,
    #[serde(default)]
    is_visible: Option<bool>,
    #[serde(default)]
    inventory_tracking: Option<String>,
    #[serde(default)]
    deleted: Option<bool>,
    /// The stock level of `variant_id` (the product's base variant when absent).
    #[serde(default)]
    stock: Option<i64>,
    #[serde(default)]
    variant_id: Option<u64>,
    /// A variant no longer for sale.
    #[serde(default)]
    purchasing_disabled: Option<bool>,
}

fn control_error(status: StatusCode, msg: &str) -> Response {
    (status, Json(json!({ "error": msg }))).into_response()
}

async fn change_product(
    State(st): State<Arc<AppState>>,
    axum::extract::Path(id): axum::extract::Path<u64>,
    body: Bytes,
) -> Response {
    let change: ProductChange = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => return control_error(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    if change
        .availability
        .as_deref()
        .is_some_and(|a| !matches!(a, "available" | "disabled" | "preorder"))
    {
        return control_error(
            StatusCode::BAD_REQUEST,
            "availability is available, disabled or preorder",
        );
    }
    if change
        .inventory_tracking
        .as_deref()
        .is_some_and(|t| !matches!(t, "none" | "product" | "variant"))
    {
        return control_error(
            StatusCode::BAD_REQUEST,
            "inventory_tracking is none, product or variant",
        );
    }
    let mut data = st.data();
    let Some(p) = data.products.iter_mut().find(|p| p.id == id) else {
        return control_error(StatusCode::NOT_FOUND, "no such product");
    };
    let variant = change.variant_id.unwrap_or(p.base_variant());
    if !p.has_variant(variant) {
        return control_error(StatusCode::BAD_REQUEST, "variant_id is not this product's");
    }
    if let Some(a) = change.availability {
        p.availability = a;
    }
    if let Some(v) = change.is_visible {
        p.is_visible = v;
    }
    if let Some(t) = change.inventory_tracking {
        p.inventory_tracking = t;
    }
    if let Some(d) = change.deleted {
        p.deleted = d;
    }
    if let Some(off) = change.purchasing_disabled {
        match p.variants.iter_mut().find(|v| v.id == variant) {
            Some(v) => v.purchasing_disabled = off,
            None => {
                return control_error(
                    StatusCode::BAD_REQUEST,
                    "purchasing_disabled needs a variant",
                )
            }
        }
    }
    if let Some(level) = change.stock {
        data.stock
            .insert((crate::inventory::DEFAULT_LOCATION, variant), level);
    }
    StatusCode::NO_CONTENT.into_response()
}
