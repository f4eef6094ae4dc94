//! CPU cost of mapping 10 BigCommerce orders (3 line items each, 3 with shipments) to Gladly
//! ORDER cards and serialising them: `make bench`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use serde_json::json;
use shared::bigcommerce::models::{Order, Shipment};
use shared::mapping::{order::card, MapContext};
use std::collections::HashMap;

fn orders() -> Vec<Order> {
    (0..10)
        .map(|i| {
            serde_json::from_value(json!({
                "id": 100 + i, "customer_id": 2, "date_created": "Mon, 16 Nov 2026 05:12:00 +0000",
                "status_id": 2, "status": "Shipped", "total_inc_tax": "172.9500", "discount_amount": "2.0000",
                "coupon_discount": "0.0000", "currency_code": "USD", "items_total": 4, "items_shipped": 4,
                "billing_address": {"first_name": "Marcus", "last_name": "Chen", "street_1": "16 Main St", "city": "Austin",
                    "state": "Texas", "zip": "78701", "country": "United States", "phone": "+1 415 555 0142", "email": "marcus.chen@example.com"},
                "consignments": {"shipping": [{"line_items": (0..3).map(|k| json!({
                    "id": 1000 + i * 10 + k, "product_id": 101 + k, "name": "Ceramic Mug", "sku": "MUG-CER-01",
                    "quantity": 2, "quantity_shipped": 2, "price_inc_tax": "14.0000"
                })).collect::<Vec<_>>()}]}
            }))
            .unwrap_or_default()
        })
        .collect()
}

fn shipments(o: &Order) -> Vec<Shipment> {
    serde_json::from_value(json!([{
        "id": 500 + o.id.0, "tracking_number": "1Z999AA10123456784", "tracking_carrier": "ups",
        "generated_tracking_link": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
        "shipping_method": "UPS Ground", "shipping_provider_display_name": "UPS",
        "items": [{"order_product_id": o.id.0 * 10, "quantity": 2}]
    }]))
    .unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let orders = orders();
    let ships: Vec<Vec<Shipment>> = orders.iter().map(shipments).collect();
    let images: HashMap<u64, String> = (101..104)
        .map(|id| (id, format!("https://cdn.example.com/{id}.jpg")))
        .collect();
    let ctx = MapContext {
        store_hash: "abc",
        storefront_url: None,
        images: &images,
        facts: &shared::storefront::StoreFacts::default(),
    };
    c.bench_function("map 10 orders to ORDER cards + JSON", |b| {
        b.iter(|| {
            let cards: Vec<_> = orders
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    card(
                        black_box(o),
                        if i < 3 {
                            Some(ships[i].as_slice())
                        } else {
                            None
                        },
                        &ctx,
                        Vec::new(),
                    )
                })
                .collect();
            black_box(serde_json::to_vec(&cards).map(|v| v.len()).unwrap_or(0))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
