//! How the store's records look on the wire, field for field as BigCommerce answers them.

use crate::formats::{date_v2, date_v3, money_v2, money_v3, money_v3_in};
use crate::model::{
    status_name, ChannelInfo, Customer, Order, OrderItem, Product, Refund, Shipment, StoreInfo,
};
use rust_decimal::Decimal;
use serde_json::{json, Value};

pub struct Ctx<'a> {
    /// `http://127.0.0.1:4010/stores/abc`
    pub api_root: &'a str,
    pub products: &'a [Product],
}

fn link(ctx: &Ctx<'_>, resource: String) -> Value {
    json!({ "url": format!("{}/v2{}", ctx.api_root, resource), "resource": resource })
}

const ZERO: &str = "0.0000";

pub fn customer(c: &Customer, addresses: bool, storecredit: bool) -> Value {
    let mut v = json!({
        "id": c.id,
        "authentication": { "force_password_reset": false },
        "company": c.company,
        "customer_group_id": c.customer_group_id,
        "email": c.email,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "notes": c.notes,
        "phone": c.phone,
        "registration_ip_address": "",
        "tax_exempt_category": "",
        "date_created": date_v3(c.date_created),
        "date_modified": date_v3(c.modified()),
        "accepts_product_review_abandoned_cart_emails": c.accepts_marketing,
        "origin_channel_id": c.channel_ids.first().copied().unwrap_or(1),
        "channel_ids": c.channel_ids,
        "address_count": c.addresses.len(),
        "attribute_count": 0,
    });
    if addresses {
        v["addresses"] = c
            .addresses
            .iter()
            .enumerate()
            .map(|(i, a)| {
                json!({
                    "id": c.id * 100 + i as u64 + 1,
                    "customer_id": c.id,
                    "first_name": a.first_name,
                    "last_name": a.last_name,
                    "company": a.company,
                    "address1": a.address1,
                    "address2": a.address2,
                    "city": a.city,
                    "state_or_province": a.state_or_province,
                    "postal_code": a.postal_code,
                    "country": a.country,
                    "country_code": a.country_code,
                    "phone": a.phone,
                    "address_type": "residential",
                })
            })
            .collect();
    }
    if storecredit {
        v["store_credit_amounts"] = json!([{ "amount": money_v3(c.store_credit) }]);
    }
    v
}

pub fn subscriber(c: &Customer) -> Value {
    json!({
        "id": c.id + 5000,
        "email": c.email,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "source": "storefront",
        "order_id": null,
        "channel_id": 1,
        "date_created": date_v3(c.date_created),
        "date_modified": date_v3(c.date_created),
        "consents": ["marketing_newsletter"],
    })
}

fn billing(o: &Order) -> Value {
    let b = &o.billing_address;
    json!({
        "first_name": b.first_name, "last_name": b.last_name, "company": b.company,
        "street_1": b.street_1, "street_2": b.street_2, "city": b.city, "state": b.state,
        "zip": b.zip, "country": b.country, "country_iso2": b.country_iso2,
        "phone": b.phone, "email": b.email, "form_fields": [],
    })
}

/// A stable id per currency code, as a store numbers its currencies.
fn currency_id(code: &str) -> u64 {
    code.bytes().fold(0u64, |acc, b| acc * 31 + u64::from(b)) % 1000 + 1
}

pub fn order(ctx: &Ctx<'_>, o: &Order, consignments: bool) -> Value {
    let display = o
        .display_currency_code
        .as_deref()
        .unwrap_or(&o.currency_code);
    let subtotal = o.subtotal();
    let total = o.total();
    let coupon_discount: Decimal = o.coupons.iter().map(|c| c.amount).sum();
    let shipped_at = o.shipments.iter().map(|s| s.date_created).max();
    let mut v = json!({
        "id": o.id,
        "customer_id": o.customer_id,
        "date_created": date_v2(o.date_created),
        "date_modified": date_v2(o.date_modified.unwrap_or(o.date_created)),
        "date_shipped": shipped_at.map(date_v2).unwrap_or_default(),
        "status_id": o.status_id,
        "status": status_name(o.status_id),
        "custom_status": status_name(o.status_id),
        "cart_id": format!("{:08x}-0000-4000-8000-{:012x}", o.id, o.id),
        "subtotal_ex_tax": money_v2(subtotal),
        "subtotal_inc_tax": money_v2(subtotal),
        "subtotal_tax": ZERO,
        "base_shipping_cost": money_v2(o.shipping_cost),
        "shipping_cost_ex_tax": money_v2(o.shipping_cost),
        "shipping_cost_inc_tax": money_v2(o.shipping_cost),
        "shipping_cost_tax": ZERO,
        "shipping_cost_tax_class_id": 2,
        "base_handling_cost": ZERO,
        "handling_cost_ex_tax": ZERO,
        "handling_cost_inc_tax": ZERO,
        "handling_cost_tax": ZERO,
        "handling_cost_tax_class_id": 2,
        "base_wrapping_cost": ZERO,
        "wrapping_cost_ex_tax": ZERO,
        "wrapping_cost_inc_tax": ZERO,
        "wrapping_cost_tax": ZERO,
        "wrapping_cost_tax_class_id": 3,
        "total_ex_tax": money_v2(total),
        "total_inc_tax": money_v2(total),
        "total_tax": ZERO,
        "items_total": o.items_total(),
        "items_shipped": o.items_shipped(),
        "payment_method": o.payment_method,
        "payment_provider_id": o.payment_provider,
        "payment_status": o.payment_status(),
        "refunded_amount": money_v2(o.refunded_amount()),
        "order_is_digital": false,
        "store_credit_amount": ZERO,
        "gift_certificate_amount": ZERO,
        "ip_address": "",
        "ip_address_v6": "",
        "geoip_country": o.billing_address.country,
        "geoip_country_iso2": o.billing_address.country_iso2,
        "currency_id": currency_id(display),
        "currency_code": display,
        "currency_exchange_rate": format!("{:.10}", o.display_exchange_rate.unwrap_or(Decimal::ONE)),
        "default_currency_id": currency_id(&o.currency_code),
        "default_currency_code": o.currency_code,
        "store_default_currency_code": "USD",
        "store_default_to_transactional_exchange_rate": format!("{:.10}", o.store_to_order_rate.unwrap_or(Decimal::ONE)),
        "staff_notes": o.staff_notes,
        "customer_message": o.customer_message,
        "discount_amount": money_v2(o.discount_amount),
        "coupon_discount": money_v2(coupon_discount),
        "shipping_address_count": 1,
        "is_tax_inclusive_pricing": true,
        "is_deleted": false,
        "ebay_order_id": "0",
        "billing_address": billing(o),
        "is_email_opt_in": o.is_email_opt_in,
        "credit_card_type": null,
        "order_source": o.order_source,
        "channel_id": o.channel_id,
        "external_source": o.external_source.as_deref().unwrap_or(""),
        "external_id": null,
        "external_merchant_id": null,
        "tax_provider_id": "BasicTaxProvider",
        "customer_locale": "en",
        "external_order_id": "",
        "products": link(ctx, format!("/orders/{}/products", o.id)),
        "shipping_addresses": link(ctx, format!("/orders/{}/shipping_addresses", o.id)),
        "coupons": link(ctx, format!("/orders/{}/coupons", o.id)),
    });
    v["consignments"] = if consignments {
        consignment_object(ctx, o)
    } else {
        link(ctx, format!("/orders/{}/consignments", o.id))
    };
    v
}

fn consignment_object(ctx: &Ctx<'_>, o: &Order) -> Value {
    let b = &o.billing_address;
    json!({
        "pickups": [],
        "shipping": [{
            "id": shipping_address_id(o),
            "first_name": b.first_name, "last_name": b.last_name, "company": b.company,
            "street_1": b.street_1, "street_2": b.street_2, "city": b.city, "state": b.state,
            "zip": b.zip, "country": b.country, "country_iso2": b.country_iso2,
            "phone": b.phone, "email": b.email, "form_fields": [],
            "shipping_method": o.shipping_method,
            "line_items": o.items.iter().map(|i| order_product(ctx, o, i)).collect::<Vec<_>>(),
            "items_total": o.items_total(),
            "items_shipped": o.items_shipped(),
            "base_cost": money_v3(o.shipping_cost),
            "cost_ex_tax": money_v3(o.shipping_cost),
            "cost_inc_tax": money_v3(o.shipping_cost),
            "cost_tax": 0,
            "cost_tax_class_id": 2,
            "base_handling_cost": 0,
            "handling_cost_ex_tax": 0,
            "handling_cost_inc_tax": 0,
            "handling_cost_tax": 0,
            "handling_cost_tax_class_id": 2,
            "shipping_zone_id": 1,
            "shipping_zone_name": b.country,
            "shipping_quotes": link(ctx, format!("/orders/{}/consignments/shipping/{}/shipping_quotes", o.id, shipping_address_id(o))),
        }],
        "downloads": [],
        "email": { "gift_certificates": [] },
    })
}

/// One shipping address per order in the sandbox; refunds' SHIPPING `item_id` is this id.
pub fn shipping_address_id(o: &Order) -> u64 {
    o.id * 10 + 1
}

pub fn order_product(ctx: &Ctx<'_>, o: &Order, i: &OrderItem) -> Value {
    let product = ctx.products.iter().find(|p| p.id == i.product_id);
    let name = product
        .map(|p| p.name.as_str())
        .or(i.name.as_deref())
        .unwrap_or("Custom item");
    let sku = product.map(|p| p.sku.as_str()).unwrap_or("");
    let qty = Decimal::from(i.quantity);
    let line_total = i.price * qty;
    let ex_tax = i.price_ex_tax.unwrap_or(i.price);
    let options: Vec<Value> = i
        .product_options
        .iter()
        .enumerate()
        .map(|(n, op)| {
            json!({
                "id": i.id * 100 + n as u64 + 1,
                "option_id": op.product_option_id,
                "order_product_id": i.id,
                "product_option_id": op.product_option_id,
                "display_name": op.display_name,
                "display_name_customer": op.display_name,
                "display_name_merchant": op.display_name,
                "display_value": op.display_value,
                "display_value_customer": op.display_value,
                "display_value_merchant": op.display_value,
                "value": op.value,
                "type": "Multiple choice",
                "name": op.display_name,
                "display_style": "Dropdown",
            })
        })
        .collect();
    json!({
        "id": i.id,
        "order_id": o.id,
        "product_id": i.product_id,
        "variant_id": i.variant_id.unwrap_or(i.product_id * 10),
        "order_pickup_method_id": 0,
        "order_address_id": shipping_address_id(o),
        "name": name,
        "name_customer": name,
        "name_merchant": name,
        "sku": sku,
        "upc": "",
        "type": "physical",
        "base_price": money_v2(i.price),
        "price_ex_tax": money_v2(ex_tax),
        "price_inc_tax": money_v2(i.price),
        "price_tax": money_v2(i.price - ex_tax),
        "base_total": money_v2(line_total),
        "total_ex_tax": money_v2(ex_tax * qty),
        "total_inc_tax": money_v2(line_total),
        "total_tax": money_v2(line_total - ex_tax * qty),
        "weight": "1.0000",
        "width": "0.0000",
        "height": "0.0000",
        "depth": "0.0000",
        "quantity": i.quantity,
        "base_cost_price": ZERO,
        "cost_price_inc_tax": ZERO,
        "cost_price_ex_tax": ZERO,
        "cost_price_tax": ZERO,
        "is_refunded": i.quantity_refunded >= i.quantity,
        "quantity_refunded": i.quantity_refunded,
        "refund_amount": money_v2(i.price * Decimal::from(i.quantity_refunded)),
        "return_id": 0,
        "wrapping_id": 0,
        "wrapping_name": "",
        "base_wrapping_cost": ZERO,
        "wrapping_cost_ex_tax": ZERO,
        "wrapping_cost_inc_tax": ZERO,
        "wrapping_cost_tax": ZERO,
        "wrapping_message": "",
        "quantity_shipped": o.quantity_shipped(i.id),
        "event_name": null,
        "event_date": null,
        "fixed_shipping_cost": ZERO,
        "ebay_item_id": "",
        "ebay_transaction_id": "",
        "option_set_id": null,
        "parent_order_product_id": null,
        "is_bundled_product": false,
        "bin_picking_number": "",
        "external_id": null,
        "brand": "",
        "gift_certificate_id": null,
        "applied_discounts": [],
        "product_options": options,
        "configurable_fields": [],
        "discounted_total_inc_tax": money_v2(line_total),
    })
}

/// The carrier's own tracking page, as BigCommerce generates it.
pub fn carrier_link(carrier: &str, number: &str) -> String {
    match carrier {
        "ups" => format!("https://www.ups.com/track?tracknum={number}"),
        "fedex" => format!("https://www.fedex.com/fedextrack/?trknbr={number}"),
        "usps" => format!("https://tools.usps.com/go/TrackConfirmAction?tLabels={number}"),
        "royalmail" => {
            format!("https://www.royalmail.com/track-your-item#/tracking-results/{number}")
        }
        "auspost" => format!("https://auspost.com.au/mypost/track/#/details/{number}"),
        _ => String::new(),
    }
}

fn carrier_name(carrier: &str) -> &'static str {
    match carrier {
        "ups" => "UPS",
        "fedex" => "FedEx",
        "usps" => "USPS",
        "royalmail" => "Royal Mail",
        "auspost" => "Australia Post",
        _ => "Custom",
    }
}

pub fn shipment(o: &Order, s: &Shipment) -> Value {
    let b = &o.billing_address;
    let address = json!({
        "first_name": b.first_name, "last_name": b.last_name, "company": b.company,
        "street_1": b.street_1, "street_2": b.street_2, "city": b.city, "state": b.state,
        "zip": b.zip, "country": b.country, "country_iso2": b.country_iso2,
        "phone": b.phone, "email": b.email,
    });
    json!({
        "id": s.id,
        "order_id": o.id,
        "customer_id": o.customer_id,
        "order_address_id": shipping_address_id(o),
        "date_created": date_v2(s.date_created),
        "tracking_number": s.tracking_number,
        "merchant_shipping_cost": ZERO,
        "shipping_method": s.shipping_method,
        "comments": "",
        "shipping_provider": if s.carrier.is_empty() { "custom" } else { s.carrier.as_str() },
        "tracking_carrier": s.carrier,
        "tracking_link": s.tracking_link,
        "generated_tracking_link": carrier_link(&s.carrier, &s.tracking_number),
        "shipping_provider_display_name": carrier_name(&s.carrier),
        "billing_address": address,
        "shipping_address": address,
        "items": s.items.iter().map(|it| json!({
            "order_product_id": it.order_product_id,
            "product_id": o.items.iter().find(|i| i.id == it.order_product_id).map(|i| i.product_id).unwrap_or(0),
            "quantity": it.quantity,
        })).collect::<Vec<_>>(),
    })
}

pub fn refund(o: &Order, r: &Refund) -> Value {
    let total: Decimal = r.payments.iter().map(|p| p.amount).sum();
    json!({
        "id": r.id,
        "order_id": o.id,
        "user_id": 0,
        "created": date_v3(r.created),
        "reason": r.reason,
        "total_amount": money_v3_in(total, &o.currency_code),
        "total_tax": 0,
        "uses_merchant_override_values": false,
        "items": r.items.iter().map(|i| {
            let mut v = json!({
                "item_type": i.item_type,
                "item_id": i.item_id,
                "requested_amount": money_v3_in(i.amount, &o.currency_code),
                "reason": i.reason.clone().unwrap_or_default(),
            });
            if let Some(q) = i.quantity { v["quantity"] = json!(q); }
            v
        }).collect::<Vec<_>>(),
        "payments": r.payments.iter().map(|p| json!({
            "id": p.id,
            "provider_id": p.provider_id,
            "amount": money_v3_in(p.amount, &o.currency_code),
            "offline": p.offline,
            "is_declined": false,
            "declined_message": "",
        })).collect::<Vec<_>>(),
    })
}

/// A v3 catalog product; `total_sold`: the units the store's orders hold. Like BigCommerce's,
/// it carries a description of a few KB of HTML (why the adaptor keeps only the image).
pub fn catalog_product(p: &Product, with_image: bool, total_sold: u64) -> Value {
    let mut v = json!({
        "id": p.id,
        "name": p.name,
        "description": format!("<p>{}</p>", format!("{}: made to last, easy to care for. ", p.name).repeat(40)),
        "total_sold": total_sold,
        "type": "physical",
        "sku": p.sku,
        "price": money_v3(p.price),
        "weight": 1,
        "is_visible": p.is_visible,
        "inventory_level": 100,
        "inventory_tracking": p.inventory_tracking,
        "availability": p.availability,
        "condition": "New",
        "custom_url": { "url": format!("/{}/", p.name.to_lowercase().replace(' ', "-")), "is_customized": false },
    });
    if with_image {
        v["primary_image"] = match &p.image {
            Some(url) => json!({
                "id": p.id * 10,
                "product_id": p.id,
                "is_thumbnail": true,
                "sort_order": 0,
                "description": p.name,
                "image_file": url.rsplit('/').next().unwrap_or(""),
                "url_zoom": url,
                "url_standard": url,
                "url_thumbnail": url,
                "url_tiny": url,
                "date_modified": "2024-01-01T00:00:00Z",
            }),
            None => json!({}),
        };
    }
    v
}

/// Page metadata of v3 collections.
/// `GET /v2/store`, field for field as `store_information.v2.yml` documents it.
/// `customerGroup_Full`: the fields a store without group discounts has.
pub fn customer_group(g: &crate::model::CustomerGroup) -> Value {
    json!({
        "id": g.id,
        "name": g.name,
        "is_default": g.is_default,
        "category_access": {"type": "all"},
        "discount_rules": [],
        "is_group_for_guests": false,
    })
}

pub fn store(s: &StoreInfo) -> Value {
    let fronts = s.storefronts();
    let primary = fronts.first().map(|c| c.url.clone()).unwrap_or_default();
    json!({
        "id": s.hash,
        "account_uuid": "00000000-0000-4000-8000-000000000001",
        "domain": primary.trim_start_matches("https://"),
        "secure_url": primary,
        "control_panel_base_url": format!("https://store-{}.mybigcommerce.com", s.hash),
        "status": "live",
        "name": s.name,
        "first_name": "Sandbox",
        "last_name": "Owner",
        "address": "1 Main St",
        "country": "United States",
        "country_code": s.country_code,
        "infrastructure_region": "us-central1",
        "phone": "",
        "admin_email": "owner@example.com",
        "order_email": "orders@example.com",
        "favicon_url": "",
        "timezone": {
            "name": s.timezone.name,
            "raw_offset": s.timezone.raw_offset,
            "dst_offset": s.timezone.dst_offset,
            "dst_correction": s.timezone.raw_offset != s.timezone.dst_offset,
            "date_format": { "display": "M jS Y", "export": "M jS Y", "extended_display": "M jS Y @ g:i A" },
        },
        "language": "en",
        "currency": s.default_currency,
        "currency_symbol": "$",
        "decimal_separator": ".",
        "thousands_separator": ",",
        "decimal_places": 2,
        "currency_symbol_location": "left",
        "weight_units": "Ounces",
        "dimension_units": "Inches",
        "dimension_decimal_places": 2,
        "dimension_decimal_token": ".",
        "dimension_thousands_token": ",",
        "plan_name": "Plus",
        "plan_level": "Plus",
        "plan_is_trial": false,
        "industry": "Home & Garden",
        "logo": [],
        "is_price_entered_with_tax": true,
        "store_id": 1_000_001,
        "default_channel_id": 1,
        "default_site_id": 1000,
        "active_comparison_modules": [],
        "features": {
            "stencil_enabled": true,
            "sitewidehttps_enabled": true,
            "facebook_catalog_id": "",
            "checkout_type": "optimized",
            "wishlists_enabled": true,
            "graphql_storefront_api_enabled": true,
            "shopper_consent_tracking_enabled": true,
            "multi_storefront_enabled": fronts.len() > 1,
            "storefront_limits": { "active": fronts.len(), "total_including_inactive": fronts.len() },
        },
    })
}

const CREATED: &str = "2024-01-15T10:00:00Z";

/// One `GET /v3/channels` entry.
pub fn channel(c: &ChannelInfo) -> Value {
    json!({
        "id": c.id,
        "external_id": "",
        "is_listable_from_ui": true,
        "is_visible": true,
        "status": "active",
        "name": c.name,
        "type": "storefront",
        "platform": "bigcommerce",
        "date_created": CREATED,
        "date_modified": CREATED,
        "icon_url": "https://s3.amazonaws.com/bc-channel-platform/icons/bigcommerce.svg",
    })
}

/// A channel's site (`GET /v3/channels/{id}/site`, `GET /v3/sites`).
pub fn site(c: &ChannelInfo) -> Value {
    json!({
        "id": 999 + c.id,
        "url": c.url,
        "channel_id": c.id,
        "created_at": CREATED,
        "updated_at": CREATED,
        "ssl_status": "shared",
        "urls": [
            { "url": c.url, "type": "primary", "created_at": CREATED, "updated_at": CREATED },
            { "url": c.url, "type": "canonical", "created_at": CREATED, "updated_at": CREATED },
        ],
        "is_checkout_url_customized": false,
    })
}

/// A cursor as BigCommerce writes them: base64 of `{"id":N}`.
pub fn cursor(id: u64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(format!("{{\"id\":{id}}}"))
}

/// The id a cursor points at; `None` for anything that is not one of ours.
pub fn cursor_id(raw: &str) -> Option<u64> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(raw.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice::<Value>(&bytes).ok()?["id"].as_u64()
}

/// `meta.cursor_pagination` for one window of ids; links only where more lies that way.
pub fn cursor_pagination(
    ids: &[u64],
    per_page: usize,
    first: Option<u64>,
    last: Option<u64>,
) -> Value {
    let (start, end) = (ids.first().copied(), ids.last().copied());
    let mut links = json!({});
    if let (Some(s), true) = (start, start != first) {
        links["previous"] = json!(format!("?before={}&limit={per_page}", cursor(s)));
    }
    if let (Some(e), true) = (end, end != last) {
        links["next"] = json!(format!("?after={}&limit={per_page}", cursor(e)));
    }
    let mut v = json!({ "count": ids.len(), "per_page": per_page, "links": links });
    if let (Some(s), Some(e)) = (start, end) {
        v["start_cursor"] = json!(cursor(s));
        v["end_cursor"] = json!(cursor(e));
    }
    v
}

pub fn pagination(total: usize, count: usize, per_page: usize, page: usize) -> Value {
    let total_pages = total.div_ceil(per_page.max(1)).max(1);
    let mut links = json!({ "current": format!("?page={page}&limit={per_page}") });
    if page > 1 {
        links["previous"] = json!(format!("?page={}&limit={per_page}", page - 1));
    }
    if page < total_pages {
        links["next"] = json!(format!("?page={}&limit={per_page}", page + 1));
    }
    json!({ "pagination": {
        "total": total, "count": count, "per_page": per_page,
        "current_page": page, "total_pages": total_pages, "links": links,
    }})
}
