//! The crowd `make bench-quota` runs on: if the generator rots, the bench would quietly measure
//! something else (shoppers without shipments cost fewer calls), so its shape is held here.

mod common;

use bigcommerce_sandbox::crowd::{self, with_crowd, CrowdError};
use bigcommerce_sandbox::{parse_seed, DEFAULT_SEED};
use std::collections::HashSet;

#[test]
fn four_hundred_shoppers_each_with_one_shipped_and_one_unshipped_order() {
    let own = parse_seed(DEFAULT_SEED).expect("the seed parses");
    let crowd = with_crowd(DEFAULT_SEED, 400).expect("a crowd");
    let seed = crowd.parse().expect("the crowd's seed parses");
    assert_eq!(crowd.shoppers.len(), 400);
    // The store's own records are kept as they were.
    assert_eq!(seed.customers.len(), own.customers.len() + 400);
    assert_eq!(seed.orders.len(), own.orders.len() + 800);
    assert_eq!(seed.customers[0].email, own.customers[0].email);

    let emails: HashSet<_> = seed
        .customers
        .iter()
        .map(|c| c.email.to_lowercase())
        .collect();
    assert_eq!(emails.len(), seed.customers.len(), "emails are unique");
    let ids: HashSet<_> = seed.orders.iter().map(|o| o.id).collect();
    assert_eq!(ids.len(), seed.orders.len(), "order ids are unique");
    let items: Vec<_> = seed
        .orders
        .iter()
        .flat_map(|o| &o.items)
        .map(|i| i.id)
        .collect();
    assert_eq!(
        items.iter().collect::<HashSet<_>>().len(),
        items.len(),
        "item ids are unique"
    );
    let products: HashSet<_> = seed
        .products
        .iter()
        .filter(|p| p.image.is_some())
        .map(|p| p.id)
        .collect();

    for (i, s) in crowd.shoppers.iter().enumerate() {
        assert_eq!(s.email, crowd::email(i));
        let c = seed
            .customers
            .iter()
            .find(|c| c.id == s.customer_id)
            .expect("the shopper's customer");
        assert_eq!(c.email, s.email);
        let theirs: Vec<_> = seed
            .orders
            .iter()
            .filter(|o| o.customer_id == c.id)
            .collect();
        assert_eq!(theirs.len(), 2, "shopper {i}: two orders");
        let shipped: Vec<_> = theirs
            .iter()
            .filter(|o| o.status_id == 2 && !o.shipments.is_empty())
            .collect();
        let unshipped: Vec<_> = theirs.iter().filter(|o| o.shipments.is_empty()).collect();
        assert_eq!(shipped.len(), 1, "shopper {i}: one shipped order");
        assert_eq!(unshipped.len(), 1, "shopper {i}: one unshipped order");
        assert_eq!(shipped[0].id, s.shipped_order);
        assert_eq!(unshipped[0].id, s.unshipped_order);
        let o = shipped[0];
        assert_eq!(
            o.items_shipped(),
            o.items_total(),
            "shopper {i}: all shipped"
        );
        assert!(!o.shipments[0].tracking_number.is_empty());
        for o in &theirs {
            assert_eq!(o.billing_address.email, s.email);
            assert!(!o.items.is_empty());
            for item in &o.items {
                assert!(
                    products.contains(&item.product_id),
                    "a catalog product with an image"
                );
            }
        }
    }
    // Deterministic: the same crowd every time.
    assert_eq!(
        with_crowd(DEFAULT_SEED, 400).expect("again").seed,
        crowd.seed
    );
}

#[test]
fn sizes_out_of_range_are_refused() {
    assert!(matches!(
        with_crowd(DEFAULT_SEED, 0),
        Err(CrowdError::Size(0))
    ));
    assert!(matches!(
        with_crowd(DEFAULT_SEED, crowd::MAX_SHOPPERS + 1),
        Err(CrowdError::Size(_))
    ));
    assert!(matches!(with_crowd("{", 1), Err(CrowdError::NotJson(_))));
}

#[tokio::test]
async fn the_store_serves_a_crowd_shopper() {
    let (sb, crowd) = common::crowd_sandbox(400).await;
    let s = &crowd.shoppers[399];
    let found = common::call(
        &sb,
        "GET",
        &format!("/v3/customers?email:in={}", s.email),
        None,
    )
    .await
    .json();
    assert_eq!(found["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(found["data"][0]["id"], s.customer_id);
    let orders = common::call(
        &sb,
        "GET",
        &format!("/v2/orders?customer_id={}", s.customer_id),
        None,
    )
    .await
    .json();
    assert_eq!(orders.as_array().map(Vec::len), Some(2));
    let shipments = common::call(
        &sb,
        "GET",
        &format!("/v2/orders/{}/shipments", s.shipped_order),
        None,
    )
    .await
    .json();
    assert_eq!(shipments.as_array().map(Vec::len), Some(1));
}
