//! The BigCommerce routes, below `/stores/{store_hash}`.

use crate::errors::{ApiError, Family};
use crate::formats::{minor_digits, money_v3_in};
use crate::model::{PaymentState, Refund, RefundItem, RefundPayment, ORDER_STATUSES};
use crate::request::{
    api_root, created, invalid_param, listed, page, parse_body, v2_list, Id, Params,
};
use crate::state::{AppState, Promotion, PromotionCode};
use crate::views;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

type St = State<Arc<AppState>>;
type ApiResult = Result<Response, ApiError>;

pub fn routes() -> Router<Arc<AppState>> {
    use axum::routing::post;
    Router::new()
        .route("/v3/customers", get(customers).delete(delete_customers))
        .route("/v3/customers/subscribers", get(subscribers))
        .route("/v2/orders", get(orders))
        .route("/v2/orders/{id}", get(order).put(update_order))
        .route("/v2/orders/{id}/products", get(order_products))
        .route("/v2/orders/{id}/shipments", get(shipments))
        .route("/v2/order_statuses", get(order_statuses))
        .route("/v2/customer_groups", get(customer_groups))
        .route(
            "/v3/orders/{id}/payment_actions/refund_quotes",
            post(refund_quote),
        )
        .route(
            "/v3/orders/{id}/payment_actions/refunds",
            post(create_refund).get(list_refunds),
        )
        .route("/v3/orders/{id}/payment_actions/void", post(void))
        .route(
            "/v3/promotions",
            get(list_promotions).post(create_promotion),
        )
        .route("/v3/promotions/codes", get(find_code))
        .route(
            "/v3/promotions/{id}/codes",
            get(list_codes).post(create_code),
        )
        .route("/v3/catalog/products", get(catalog_products))
        .route("/v2/store", get(store))
        .route("/v3/channels", get(channels))
        .route("/v3/channels/{id}/site", get(channel_site))
        .route("/v3/sites", get(sites))
        .merge(crate::shipping_addresses::routes())
        .merge(crate::gift_certificates::routes())
        .merge(crate::inventory::routes())
        .merge(crate::order_creation::routes())
        .merge(crate::store_credit::routes())
}

// ---------- customers ----------

async fn customers(State(st): St, RawQuery(q): RawQuery) -> ApiResult {
    let p = Params::parse(q, Family::V3)?;
    let (page_no, limit) = p.page_limit(Family::V3, 50, 250)?;
    let ids = p.ids("id:in")?;
    let emails = p
        .list("email:in")
        .map(|l| l.into_iter().map(|e| e.to_lowercase()).collect::<Vec<_>>());
    let phones = p.list("phone:in");
    let names = p
        .list("name:like")
        .map(|l| l.into_iter().map(|n| n.to_lowercase()).collect::<Vec<_>>());
    let companies = p
        .list("company:in")
        .map(|l| l.into_iter().map(|n| n.to_lowercase()).collect::<Vec<_>>());
    let date = |name: &str| -> Result<_, ApiError> {
        p.get(name)
            .map(|s| parse_v3_date(s).ok_or_else(|| invalid_param(Family::V3, name)))
            .transpose()
    };
    let (created_min, created_max) = (date("date_created:min")?, date("date_created:max")?);
    let (modified_min, modified_max) = (date("date_modified:min")?, date("date_modified:max")?);
    let within = |t, min: Option<_>, max: Option<_>| {
        min.is_none_or(|m| t >= m) && max.is_none_or(|m| t <= m)
    };
    let data = st.data();
    let mut found: Vec<_> = data
        .customers
        .iter()
        .filter(|c| ids.as_ref().is_none_or(|ids| ids.contains(&c.id)))
        .filter(|c| {
            emails
                .as_ref()
                .is_none_or(|e| e.contains(&c.email.to_lowercase()))
        })
        .filter(|c| {
            phones
                .as_ref()
                .is_none_or(|ph| ph.iter().any(|x| x == c.phone.trim()))
        })
        .filter(|c| {
            let full = format!("{} {}", c.first_name, c.last_name).to_lowercase();
            names
                .as_ref()
                .is_none_or(|n| n.iter().any(|x| full.contains(x.as_str())))
        })
        .filter(|c| {
            companies
                .as_ref()
                .is_none_or(|co| co.contains(&c.company.to_lowercase()))
        })
        .filter(|c| within(to_second(c.date_created), created_min, created_max))
        .filter(|c| within(to_second(c.modified()), modified_min, modified_max))
        .collect();
    match p.get("sort") {
        Some("date_created:desc") => found.sort_by_key(|c| std::cmp::Reverse(c.date_created)),
        Some("date_created:asc") => found.sort_by_key(|c| c.date_created),
        // Ties by id either way, so a poller paging through one second's changes misses none.
        Some("date_modified:asc") => found.sort_by_key(|c| (to_second(c.modified()), c.id)),
        Some("date_modified:desc") => found.sort_by(|a, b| {
            to_second(b.modified())
                .cmp(&to_second(a.modified()))
                .then(a.id.cmp(&b.id))
        }),
        Some("last_name:asc") => found.sort_by(|a, b| a.last_name.cmp(&b.last_name)),
        Some("last_name:desc") => found.sort_by(|a, b| b.last_name.cmp(&a.last_name)),
        Some(_) | None => found.sort_by_key(|c| c.id),
    }
    let total = found.len();
    let (addr, credit) = (p.includes("addresses"), p.includes("storecredit"));
    let (after, before) = (p.get("after"), p.get("before"));
    let cursor_of =
        |raw: &str, key: &str| views::cursor_id(raw).ok_or_else(|| invalid_param(Family::V3, key));
    let window: Vec<_> = match (after, before) {
        (Some(_), Some(_)) => return Err(invalid_param(Family::V3, "before")),
        (Some(a), None) => {
            let id = cursor_of(a, "after")?;
            let start = found.iter().position(|c| c.id == id).map_or(0, |i| i + 1);
            found.iter().skip(start).take(limit).copied().collect()
        }
        (None, Some(b)) => {
            let id = cursor_of(b, "before")?;
            let end = found.iter().position(|c| c.id == id).unwrap_or(0);
            found[end.saturating_sub(limit)..end].to_vec()
        }
        (None, None) => page(&found, page_no, limit),
    };
    // BigCommerce sends cursors on a first page and on cursor requests.
    let cursors = after.is_some() || before.is_some() || p.get("page").is_none();
    let ids: Vec<u64> = window.iter().map(|c| c.id).collect();
    let items: Vec<Value> = window
        .into_iter()
        .map(|c| views::customer(c, addr, credit))
        .collect();
    let mut meta = views::pagination(total, items.len(), limit, page_no);
    if cursors {
        let last_id = found.last().map(|c| c.id);
        let first_id = found.first().map(|c| c.id);
        meta["cursor_pagination"] = views::cursor_pagination(&ids, limit, first_id, last_id);
    }
    Ok(Json(json!({ "data": items, "meta": meta })).into_response())
}

/// `DELETE /v3/customers?id:in=…`: 204 whether or not any existed, and without `id:in` nothing
/// is deleted. Their orders keep naming them (`customer_id`), as BigCommerce's do.
async fn delete_customers(State(st): St, RawQuery(q): RawQuery) -> ApiResult {
    let p = Params::parse(q, Family::V3)?;
    if let Some(ids) = p.ids("id:in")? {
        let mut data = st.data();
        data.customers.retain(|c| !ids.contains(&c.id));
        data.pending_credit
            .retain(|p| !ids.contains(&p.customer_id));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn subscribers(State(st): St, RawQuery(q): RawQuery) -> ApiResult {
    let p = Params::parse(q, Family::V3)?;
    let (page_no, limit) = p.page_limit(Family::V3, 50, 250)?;
    let email = p.get("email").map(str::to_lowercase);
    let data = st.data();
    let found: Vec<Value> = data
        .customers
        .iter()
        .filter(|c| c.accepts_marketing)
        .filter(|c| email.as_ref().is_none_or(|e| *e == c.email.to_lowercase()))
        .map(views::subscriber)
        .collect();
    let total = found.len();
    let items = page(&found, page_no, limit);
    Ok(listed(items, total, limit, page_no))
}

/// `GET /v2/customer_groups`: lowest id first, `page` and `limit` (at most 250) as every v2
/// list pages; a page past the end is 204.
async fn customer_groups(State(st): St, RawQuery(q): RawQuery) -> ApiResult {
    let f = Family::V2;
    let p = Params::parse(q, f)?;
    let (page_no, limit) = p.page_limit(f, 50, 250)?;
    let mut all = st.store.customer_groups.clone();
    all.sort_by_key(|g| g.id);
    Ok(v2_list(
        page(&all, page_no, limit)
            .iter()
            .map(views::customer_group)
            .collect(),
    ))
}

// ---------- orders ----------

async fn orders(State(st): St, headers: HeaderMap, RawQuery(q): RawQuery) -> ApiResult {
    let f = Family::V2;
    let p = Params::parse(q, f)?;
    let (page_no, limit) = p.page_limit(f, 50, 250)?;
    let customer_id: Option<u64> = p.number("customer_id", f)?;
    let status_id: Option<u32> = p.number("status_id", f)?;
    let email = p.get("email").map(str::to_lowercase);
    let date = |name: &str| -> Result<_, ApiError> {
        p.get(name)
            .map(|s| parse_filter_date(s).ok_or_else(|| invalid_param(f, name)))
            .transpose()
    };
    let min_date = date("min_date_created")?;
    let min_modified = date("min_date_modified")?;
    let consignments =
        p.includes("consignments.line_items") && p.get("consignment_structure") == Some("object");
    let root = api_root(&st, &headers);
    let data = st.data();
    let mut found: Vec<_> = data
        .orders
        .iter()
        .filter(|o| customer_id.is_none_or(|c| c == o.customer_id))
        .filter(|o| status_id.is_none_or(|s| s == o.status_id))
        .filter(|o| {
            email
                .as_ref()
                .is_none_or(|e| *e == o.billing_address.email.to_lowercase())
        })
        .filter(|o| min_date.is_none_or(|d| o.date_created >= d))
        .filter(|o| min_modified.is_none_or(|d| modified(o) >= d))
        .collect();
    match p.get("sort").unwrap_or("id:asc") {
        "date_created:desc" => {
            found.sort_by(|a, b| b.date_created.cmp(&a.date_created).then(b.id.cmp(&a.id)))
        }
        "date_created:asc" => {
            found.sort_by(|a, b| a.date_created.cmp(&b.date_created).then(a.id.cmp(&b.id)))
        }
        "date_modified:asc" => {
            found.sort_by(|a, b| modified(a).cmp(&modified(b)).then(a.id.cmp(&b.id)))
        }
        "date_modified:desc" => {
            found.sort_by(|a, b| modified(b).cmp(&modified(a)).then(b.id.cmp(&a.id)))
        }
        "id:desc" => found.sort_by_key(|o| std::cmp::Reverse(o.id)),
        "id:asc" => found.sort_by_key(|o| o.id),
        _ => return Err(invalid_param(f, "sort")),
    }
    let ctx = data.ctx(&root);
    let items = page(&found, page_no, limit)
        .into_iter()
        .map(|o| views::order(&ctx, o, consignments))
        .collect();
    Ok(v2_list(items))
}

/// When an order last changed, to the second (v2 shows no finer): made, if never since.
fn modified(o: &crate::model::Order) -> chrono::DateTime<chrono::Utc> {
    to_second(o.date_modified.unwrap_or(o.date_created))
}

/// A time as the API shows it (v2 and v3 alike show whole seconds), so a filter on a shown time
/// finds the record that showed it.
fn to_second(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// v2 date filters: RFC 3339, RFC 2822 or a bare date.
fn parse_filter_date(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .or_else(|_| chrono::DateTime::parse_from_rfc2822(s))
        .map(|d| d.with_timezone(&chrono::Utc))
        .ok()
        .or_else(|| bare_date(s))
}

/// v3 date filters (`date_modified:min`): BigCommerce documents `2024-05-14T09:34:00` (UTC) and
/// `2024-05-14`; clients also send RFC 3339 with an offset.
fn parse_v3_date(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .map(|d| d.and_utc())
        .ok()
        .or_else(|| {
            chrono::DateTime::parse_from_rfc3339(s)
                .map(|d| d.with_timezone(&chrono::Utc))
                .ok()
        })
        .or_else(|| bare_date(s))
}

/// `2024-05-14`: its midnight, UTC.
fn bare_date(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

async fn order(State(st): St, headers: HeaderMap, Id(id): Id, RawQuery(q): RawQuery) -> ApiResult {
    let f = Family::V2;
    let p = Params::parse(q, f)?;
    let consignments =
        p.includes("consignments.line_items") && p.get("consignment_structure") == Some("object");
    let root = api_root(&st, &headers);
    let data = st.data();
    let o = data.order(id, f)?;
    let ctx = data.ctx(&root);
    Ok(Json(views::order(&ctx, o, consignments)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderPut {
    status_id: Option<u32>,
    staff_notes: Option<String>,
    customer_message: Option<String>,
}

async fn update_order(State(st): St, headers: HeaderMap, Id(id): Id, body: Bytes) -> ApiResult {
    let f = Family::V2;
    let put: OrderPut = parse_body(&body, f).map_err(|e| ApiError {
        status: StatusCode::BAD_REQUEST,
        ..e
    })?;
    if let Some(s) = put.status_id {
        if !ORDER_STATUSES.iter().any(|(i, _, _)| *i == s) {
            return Err(ApiError::new(
                f,
                StatusCode::BAD_REQUEST,
                format!("The status_id {s} is not a valid order status."),
            ));
        }
    }
    let root = api_root(&st, &headers);
    let mut data = st.data();
    let o = data.order_mut(id).ok_or_else(|| ApiError::not_found(f))?;
    if let Some(s) = put.status_id {
        o.status_id = s;
    }
    if let Some(n) = put.staff_notes {
        o.staff_notes = n;
    }
    if let Some(m) = put.customer_message {
        o.customer_message = m;
    }
    o.date_modified = Some(chrono::Utc::now());
    let o = o.clone();
    let ctx = data.ctx(&root);
    Ok(Json(views::order(&ctx, &o, false)).into_response())
}

async fn order_products(
    State(st): St,
    headers: HeaderMap,
    Id(id): Id,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let f = Family::V2;
    let p = Params::parse(q, f)?;
    let (page_no, limit) = p.page_limit(f, 50, 250)?;
    let root = api_root(&st, &headers);
    let data = st.data();
    let o = data.order(id, f)?;
    let ctx = data.ctx(&root);
    Ok(v2_list(
        page(&o.items, page_no, limit)
            .iter()
            .map(|i| views::order_product(&ctx, o, i))
            .collect(),
    ))
}

async fn shipments(State(st): St, Id(id): Id, RawQuery(q): RawQuery) -> ApiResult {
    let f = Family::V2;
    let p = Params::parse(q, f)?;
    let (page_no, limit) = p.page_limit(f, 50, 250)?;
    let data = st.data();
    let o = data.order(id, f)?;
    Ok(v2_list(
        page(&o.shipments, page_no, limit)
            .iter()
            .map(|s| views::shipment(o, s))
            .collect(),
    ))
}

async fn order_statuses() -> Response {
    Json(
        ORDER_STATUSES
            .iter()
            .enumerate()
            .map(|(i, (id, name, desc))| {
                json!({
                    "id": id, "name": name, "system_label": name, "custom_label": name,
                    "system_description": desc, "order": i,
                })
            })
            .collect::<Vec<_>>(),
    )
    .into_response()
}

// ---------- payment actions ----------

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RefundItemIn {
    item_type: String,
    item_id: u64,
    #[serde(default)]
    quantity: Option<u32>,
    #[serde(default)]
    amount: Option<Decimal>,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuoteIn {
    items: Vec<RefundItemIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PaymentIn {
    provider_id: String,
    amount: Decimal,
    #[serde(default)]
    offline: bool,
    #[serde(default)]
    #[allow(dead_code)]
    provider_description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundIn {
    items: Vec<RefundItemIn>,
    payments: Vec<PaymentIn>,
    #[serde(default)]
    #[allow(dead_code)]
    order_id: Option<u64>,
    #[serde(default)]
    #[allow(dead_code)]
    tax_adjustment_amount: Option<Decimal>,
    #[serde(default)]
    #[allow(dead_code)]
    merchant_calculated_override: Option<Value>,
}

fn unprocessable(message: impl Into<String>) -> ApiError {
    ApiError::new(Family::V3, StatusCode::UNPROCESSABLE_ENTITY, message)
}

/// Prices each requested item against what is still refundable.
fn price_items(
    o: &crate::model::Order,
    items: &[RefundItemIn],
) -> Result<Vec<RefundItem>, ApiError> {
    if items.is_empty() {
        return Err(unprocessable("At least one item is required.").with_field("items", "empty"));
    }
    if matches!(o.payment, PaymentState::Unpaid | PaymentState::Void) || o.status_id == 5 {
        return Err(unprocessable(format!(
            "Order {} has no captured payment to refund.",
            o.id
        )));
    }
    let mut priced = Vec::with_capacity(items.len());
    for it in items {
        let reason = it.reason.clone();
        if reason.as_ref().is_some_and(|r| r.chars().count() > 1000) {
            return Err(unprocessable("The reason may be at most 1000 characters.")
                .with_field("reason", "too long"));
        }
        let amount = match it.item_type.as_str() {
            "PRODUCT" => {
                let line = o.items.iter().find(|i| i.id == it.item_id).ok_or_else(|| {
                    unprocessable(format!(
                        "Item {} is not part of order {}.",
                        it.item_id, o.id
                    ))
                })?;
                let q = it.quantity.ok_or_else(|| {
                    unprocessable("A PRODUCT item needs a quantity.")
                        .with_field("quantity", "required")
                })?;
                let left = line.quantity - line.quantity_refunded.min(line.quantity);
                if q == 0 || q > left {
                    return Err(unprocessable(format!(
                        "Quantity {q} of item {} exceeds the {left} refundable.",
                        it.item_id
                    )));
                }
                line.price * Decimal::from(q)
            }
            "SHIPPING" => {
                if it.item_id != views::shipping_address_id(o) {
                    return Err(unprocessable(format!(
                        "Shipping item {} is not part of order {}.",
                        it.item_id, o.id
                    )));
                }
                let amount = positive_amount(it, &o.currency_code)?;
                if amount > o.shipping_cost - o.shipping_refunded() {
                    return Err(unprocessable(
                        "The shipping amount exceeds what remains refundable.",
                    ));
                }
                amount
            }
            "ORDER" => {
                if it.item_id != o.id {
                    return Err(unprocessable(format!(
                        "ORDER item_id must be the order id {}.",
                        o.id
                    )));
                }
                positive_amount(it, &o.currency_code)?
            }
            "HANDLING" => return Err(unprocessable("This order has no handling cost to refund.")),
            other => {
                return Err(unprocessable(format!("Unknown item_type {other}."))
                    .with_field("item_type", "invalid"))
            }
        };
        priced.push(RefundItem {
            item_type: it.item_type.clone(),
            item_id: it.item_id,
            quantity: it.quantity,
            amount,
            reason,
        });
    }
    let total: Decimal = priced.iter().map(|i| i.amount).sum();
    let remaining = o.total() - o.refunded_amount();
    if total > remaining {
        return Err(unprocessable(format!(
            "The refund of {total} exceeds the {remaining} that remains refundable."
        )));
    }
    Ok(priced)
}

/// An amount above 0 in whole minor units of the order's currency (no cents on yen).
fn positive_amount(it: &RefundItemIn, currency: &str) -> Result<Decimal, ApiError> {
    let digits = minor_digits(currency);
    it.amount
        .filter(|a| *a > Decimal::ZERO && a.normalize().scale() <= digits)
        .ok_or_else(|| {
            unprocessable(format!(
                "{} items need an amount above 0 with at most {digits} decimals ({currency}).",
                it.item_type
            ))
            .with_field("amount", "invalid")
        })
}

/// BigCommerce's refund methods: each inner list is one way to pay the whole refund back.
fn refund_methods(o: &crate::model::Order, default_currency: &str) -> Vec<Vec<(String, bool)>> {
    let mut methods = vec![vec![(o.payment_provider.clone(), false)]];
    // Store credit is in the store's default currency: not for guests, nor foreign-currency orders.
    if o.customer_id != 0 && o.currency_code == default_currency {
        methods.push(vec![("storecredit".to_string(), false)]);
    }
    methods.push(vec![("custom".to_string(), true)]);
    methods
}

async fn refund_quote(State(st): St, Id(id): Id, body: Bytes) -> ApiResult {
    let q: QuoteIn = parse_body(&body, Family::V3)?;
    let data = st.data();
    let o = data.order(id, Family::V3)?;
    let priced = price_items(o, &q.items)?;
    let total: Decimal = priced.iter().map(|i| i.amount).sum();
    let methods: Vec<Value> =
        refund_methods(o, &st.store.default_currency)
            .into_iter()
            .map(|m| {
                m.into_iter()
                .map(|(provider, offline)| json!({
                    "provider_id": provider,
                    "provider_description": provider_description(&provider),
                    "amount": money_v3_in(total, &o.currency_code),
                    "offline": offline,
                    "offline_provider": offline,
                    "offline_reason": if offline { "Refund outside BigCommerce" } else { "" },
                }))
                .collect::<Vec<_>>()
                .into()
            })
            .collect();
    let body = json!({ "data": {
        "order_id": o.id,
        "total_refund_amount": money_v3_in(total, &o.currency_code),
        "total_refund_tax_amount": 0,
        "rounding": 0,
        "adjustment": 0,
        "tax_inclusive": true,
        "refund_methods": methods,
    }, "meta": {} });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

fn provider_description(provider: &str) -> String {
    match provider {
        "storecredit" => "Store Credit".into(),
        "custom" => "Custom".into(),
        other => {
            let mut c = other.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }
    }
}

async fn create_refund(State(st): St, Id(id): Id, body: Bytes) -> ApiResult {
    let req: RefundIn = parse_body(&body, Family::V3)?;
    let mut data = st.data();
    let refund_id = data.next_id();
    let payment_ids: Vec<u64> = req.payments.iter().map(|_| data.next_id()).collect();
    let o = data.order(id, Family::V3)?;
    let priced = price_items(o, &req.items)?;
    let total: Decimal = priced.iter().map(|i| i.amount).sum();
    if req.payments.is_empty() {
        return Err(
            unprocessable("At least one payment is required.").with_field("payments", "empty")
        );
    }
    let paid: Decimal = req.payments.iter().map(|p| p.amount).sum();
    if paid != total {
        return Err(unprocessable(format!(
            "The payments add up to {paid} but the refund quote is {total}."
        )));
    }
    let allowed = refund_methods(o, &st.store.default_currency);
    for p in &req.payments {
        if !allowed
            .iter()
            .flatten()
            .any(|(prov, off)| *prov == p.provider_id && *off == p.offline)
        {
            let msg = if p.provider_id == "storecredit" && o.customer_id == 0 {
                "Unable to process a guest refund with store credit.".to_string()
            } else {
                format!(
                    "Payment provider {} is not a refund method of order {}.",
                    p.provider_id, o.id
                )
            };
            return Err(unprocessable(msg));
        }
    }
    let customer_id = o.customer_id;
    let reason = req
        .items
        .iter()
        .find_map(|i| i.reason.clone())
        .unwrap_or_default();
    let store_credit: Decimal = req
        .payments
        .iter()
        .filter(|p| p.provider_id == "storecredit")
        .map(|p| p.amount)
        .sum();
    let refund = Refund {
        id: refund_id,
        created: chrono::Utc::now(),
        reason,
        items: priced,
        payments: req
            .payments
            .iter()
            .zip(payment_ids)
            .map(|(p, pid)| RefundPayment {
                id: pid,
                provider_id: p.provider_id.clone(),
                amount: p.amount,
                offline: p.offline,
            })
            .collect(),
    };
    let Some(o) = data.order_mut(id) else {
        return Err(ApiError::not_found(Family::V3));
    };
    for it in refund.items.iter().filter(|i| i.item_type == "PRODUCT") {
        if let Some(line) = o.items.iter_mut().find(|l| l.id == it.item_id) {
            line.quantity_refunded += it.quantity.unwrap_or(0);
        }
    }
    o.refunds.push(refund.clone());
    o.status_id = if o.refunded_amount() >= o.total() {
        4
    } else {
        14
    };
    o.date_modified = Some(chrono::Utc::now());
    let view = views::refund(o, &refund);
    if store_credit > Decimal::ZERO {
        if let Some(c) = data.customers.iter_mut().find(|c| c.id == customer_id) {
            c.store_credit += store_credit;
            c.touch();
        }
    }
    Ok(created(view))
}

async fn list_refunds(State(st): St, Id(id): Id) -> ApiResult {
    let data = st.data();
    let o = data.order(id, Family::V3)?;
    let items: Vec<Value> = o.refunds.iter().map(|r| views::refund(o, r)).collect();
    let n = items.len();
    Ok(listed(items, n, 50, 1))
}

async fn void(State(st): St, Id(id): Id) -> ApiResult {
    let mut data = st.data();
    let o = data
        .order_mut(id)
        .ok_or_else(|| ApiError::not_found(Family::V3))?;
    if o.payment != PaymentState::Authorized {
        return Err(unprocessable(format!(
            "Order {id} has no authorised payment to void."
        )));
    }
    o.payment = PaymentState::Void;
    Ok((StatusCode::CREATED, Json(json!({}))).into_response())
}

// ---------- promotions ----------

fn promo_error(status: StatusCode, msg: impl Into<String>) -> ApiError {
    ApiError::new(Family::Promotions, status, msg)
}

fn promotion_view(p: &Promotion) -> Value {
    let mut v = p.body.clone();
    v["id"] = json!(p.id);
    v["current_uses"] = json!(0);
    v
}

async fn create_promotion(State(st): St, body: Bytes) -> ApiResult {
    let v: Value = serde_json::from_slice(&body).map_err(|_| {
        promo_error(
            StatusCode::BAD_REQUEST,
            "The request body is not valid JSON.",
        )
    })?;
    let Some(obj) = v.as_object() else {
        return Err(promo_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The request body must be an object.",
        ));
    };
    let name = obj.get("name").and_then(Value::as_str).unwrap_or("").trim();
    if name.is_empty() || name.chars().count() > 255 {
        return Err(promo_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "name is required (1 to 255 characters).",
        ));
    }
    let redemption = obj
        .get("redemption_type")
        .and_then(Value::as_str)
        .unwrap_or("AUTOMATIC");
    if !matches!(redemption, "AUTOMATIC" | "COUPON") {
        return Err(promo_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "redemption_type must be AUTOMATIC or COUPON.",
        ));
    }
    let rules_ok = obj.get("rules").and_then(Value::as_array).is_some_and(|r| {
        !r.is_empty()
            && r.iter()
                .all(|x| x.get("action").is_some_and(Value::is_object))
    });
    if !rules_ok {
        return Err(promo_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "rules must be a non-empty array of rules, each with an action.",
        ));
    }
    for key in ["start_date", "end_date"] {
        if let Some(d) = obj.get(key) {
            if d.as_str()
                .is_none_or(|s| chrono::DateTime::parse_from_rfc3339(s).is_err())
            {
                return Err(promo_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("{key} must be an ISO 8601 date."),
                ));
            }
        }
    }
    // Channels must be this store's storefronts: `[{"id": 2}]`.
    if let Some(channels) = obj.get("channels") {
        let known = st.store.storefronts();
        let ok = channels.as_array().is_some_and(|list| {
            list.iter().all(|c| {
                c["id"]
                    .as_u64()
                    .is_some_and(|id| known.iter().any(|k| k.id == id))
            })
        });
        if !ok {
            return Err(promo_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "channels must list this store's channels, as [{\"id\": 1}].",
            ));
        }
    }
    let mut data = st.data();
    if data
        .promotions
        .iter()
        .any(|p| p.body["name"] == json!(name))
    {
        return Err(promo_error(
            StatusCode::CONFLICT,
            format!("A promotion named '{name}' already exists."),
        ));
    }
    let id = data.next_id();
    let mut stored = v.clone();
    let defaults = [
        ("redemption_type", json!(redemption)),
        ("status", json!("ENABLED")),
        ("channels", json!([])),
        (
            "customer",
            json!({ "group_ids": [], "minimum_order_count": 0, "excluded_group_ids": [] }),
        ),
        ("notifications", json!([])),
        ("stop", json!(false)),
        ("can_be_used_with_other_promotions", json!(false)),
        ("currency_code", json!("*")),
        (
            "start_date",
            json!(crate::formats::date_v3(chrono::Utc::now())),
        ),
        (
            "coupon_overrides_automatic_when_offering_higher_discounts",
            json!(false),
        ),
        ("coupon_overrides_other_promotions", json!(false)),
        ("coupon_type", json!("SINGLE")),
        ("created_from", json!("api")),
    ];
    for (k, d) in defaults {
        if stored.get(k).is_none() {
            stored[k] = d;
        }
    }
    let p = Promotion {
        id,
        body: stored,
        codes: Vec::new(),
    };
    let view = promotion_view(&p);
    data.promotions.push(p);
    Ok(created(view))
}

async fn list_promotions(State(st): St, RawQuery(q): RawQuery) -> ApiResult {
    let p = Params::parse(q, Family::Promotions)?;
    let (page_no, limit) = p.page_limit(Family::Promotions, 50, 250)?;
    let name = p.get("name");
    let code = p.get("code").map(str::to_uppercase);
    let data = st.data();
    let found: Vec<Value> = data
        .promotions
        .iter()
        .filter(|pr| name.is_none_or(|n| pr.body["name"] == json!(n)))
        .filter(|pr| {
            code.as_ref()
                .is_none_or(|c| pr.codes.iter().any(|x| x.code.to_uppercase() == *c))
        })
        .map(promotion_view)
        .collect();
    let total = found.len();
    let items = page(&found, page_no, limit);
    Ok(listed(items, total, limit, page_no))
}

fn code_view(c: &PromotionCode) -> Value {
    json!({
        "id": c.id, "code": c.code, "current_uses": 0, "max_uses": c.max_uses,
        "max_uses_per_customer": c.max_uses_per_customer,
        "created": crate::formats::date_v3(c.created),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeIn {
    code: String,
    #[serde(default)]
    max_uses: Option<u64>,
    #[serde(default)]
    max_uses_per_customer: Option<u64>,
}

async fn create_code(State(st): St, Id(id): Id, body: Bytes) -> ApiResult {
    let c: CodeIn = parse_body(&body, Family::Promotions)?;
    let code = c.code.trim().to_string();
    if code.is_empty()
        || code.len() > 50
        || !code
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' || ch == ' ')
    {
        return Err(promo_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "code must be 1 to 50 letters, digits, spaces, '-' or '_'.",
        ));
    }
    let mut data = st.data();
    if data
        .promotions
        .iter()
        .flat_map(|p| &p.codes)
        .any(|x| x.code.eq_ignore_ascii_case(&code))
    {
        return Err(promo_error(
            StatusCode::CONFLICT,
            format!("The coupon code '{code}' already exists."),
        ));
    }
    let code_id = data.next_id();
    let promo = data
        .promotions
        .iter_mut()
        .find(|p| p.id == id)
        .ok_or_else(|| ApiError::not_found(Family::Promotions))?;
    if promo.body["redemption_type"] != json!("COUPON") {
        return Err(promo_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Codes can only be added to COUPON promotions.",
        ));
    }
    let new_code = PromotionCode {
        id: code_id,
        code,
        max_uses: c.max_uses.unwrap_or(0),
        max_uses_per_customer: c.max_uses_per_customer.unwrap_or(0),
        created: chrono::Utc::now(),
    };
    let view = code_view(&new_code);
    promo.codes.push(new_code);
    Ok(created(view))
}

async fn list_codes(State(st): St, Id(id): Id) -> ApiResult {
    let data = st.data();
    let promo = data
        .promotions
        .iter()
        .find(|p| p.id == id)
        .ok_or_else(|| ApiError::not_found(Family::Promotions))?;
    let items: Vec<Value> = promo.codes.iter().map(code_view).collect();
    let n = items.len();
    Ok(listed(items, n, 50, 1))
}

async fn find_code(State(st): St, RawQuery(q): RawQuery) -> ApiResult {
    let p = Params::parse(q, Family::Promotions)?;
    let code = p.get("code").unwrap_or("").to_uppercase();
    let data = st.data();
    let items: Vec<Value> = data
        .promotions
        .iter()
        .flat_map(|pr| pr.codes.iter().map(move |c| (pr, c)))
        .filter(|(_, c)| code.is_empty() || c.code.to_uppercase() == code)
        .map(|(pr, c)| {
            let mut v = code_view(c);
            v["promotion_id"] = json!(pr.id);
            v
        })
        .collect();
    let n = items.len();
    Ok(listed(items, n, 50, 1))
}

// ---------- catalog ----------

/// `GET /v3/catalog/products`: `id:in`, `include=primary_image`, `sort` (`id`, `name`,
/// `price`, `total_sold`) with `direction`, and `include_fields` (the id, the fields named and
/// the sub-resources included).
async fn catalog_products(State(st): St, RawQuery(q): RawQuery) -> ApiResult {
    let p = Params::parse(q, Family::V3)?;
    let (page_no, limit) = p.page_limit(Family::V3, 50, 250)?;
    let ids = p.ids("id:in")?;
    let image = p.includes("primary_image");
    let fields = p.list("include_fields");
    let descending = match p.get("direction") {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(invalid_param(Family::V3, "direction")),
    };
    let data = st.data();
    let mut sold: HashMap<u64, u64> = HashMap::new();
    for item in data.orders.iter().flat_map(|o| o.items.iter()) {
        *sold.entry(item.product_id).or_default() += u64::from(item.quantity);
    }
    let mut products: Vec<&crate::model::Product> = data
        .products
        .iter()
        .filter(|pr| ids.as_ref().is_none_or(|i| i.contains(&pr.id)))
        .collect();
    let sold_of = |id: u64| sold.get(&id).copied().unwrap_or(0);
    match p.get("sort") {
        None | Some("id") => products.sort_by_key(|pr| pr.id),
        Some("name") => products.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id))),
        Some("price") => products.sort_by(|a, b| a.price.cmp(&b.price).then(a.id.cmp(&b.id))),
        Some("total_sold") => products.sort_by_key(|pr| (sold_of(pr.id), pr.id)),
        Some(_) => return Err(invalid_param(Family::V3, "sort")),
    }
    if descending {
        products.reverse();
    }
    let found: Vec<Value> = products
        .into_iter()
        .map(|pr| {
            let mut v = views::catalog_product(pr, image, sold_of(pr.id));
            if let (Some(fields), Some(obj)) = (&fields, v.as_object_mut()) {
                obj.retain(|k, _| k == "id" || k == "primary_image" || fields.contains(k));
            }
            v
        })
        .collect();
    let total = found.len();
    let items = page(&found, page_no, limit);
    Ok(listed(items, total, limit, page_no))
}

// ---------- store, storefronts ----------

async fn store(State(st): St) -> Response {
    Json(views::store(&st.store)).into_response()
}

async fn channels(State(st): St, RawQuery(q): RawQuery) -> ApiResult {
    let p = Params::parse(q, Family::V3)?;
    let (page_no, limit) = p.page_limit(Family::V3, 50, 250)?;
    let all: Vec<Value> = st.store.storefronts().iter().map(views::channel).collect();
    let total = all.len();
    Ok(listed(page(&all, page_no, limit), total, limit, page_no))
}

async fn channel_site(State(st): St, Id(id): Id) -> ApiResult {
    st.store
        .storefronts()
        .iter()
        .find(|c| c.id == id)
        .map(|c| Json(json!({ "data": views::site(c), "meta": {} })).into_response())
        .ok_or_else(|| ApiError::not_found(Family::V3))
}

/// `GET /v3/sites`: its pagination is offset-based (`offset`, `limit`, `total_items`).
async fn sites(State(st): St, RawQuery(q): RawQuery) -> ApiResult {
    let p = Params::parse(q, Family::V3)?;
    let (page_no, limit) = p.page_limit(Family::V3, 50, 250)?;
    let channels = p.ids("channel_id:in")?;
    let all: Vec<Value> = st
        .store
        .storefronts()
        .iter()
        .filter(|c| channels.as_ref().is_none_or(|ids| ids.contains(&c.id)))
        .map(views::site)
        .collect();
    let total = all.len();
    let offset = (page_no - 1).saturating_mul(limit);
    Ok(Json(json!({
        "data": page(&all, page_no, limit),
        "meta": { "pagination": { "offset": offset, "limit": limit, "total_items": total } },
    }))
    .into_response())
}
