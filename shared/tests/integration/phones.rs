//! Phone numbers from shops around the world: each country's national spelling (read with the
//! store's country), its international spelling (read anywhere), and the spellings a phone
//! search asks BigCommerce for.

use shared::mapping::phone::{same_number, search_spellings, to_e164, Region};

fn region(code: &str) -> Region {
    Region::new(code).unwrap_or_else(|| panic!("{code} is a region"))
}

/// (country, national spelling as shoppers there type it, international spelling, E.164)
const NUMBERS: [(&str, &str, &str, &str); 16] = [
    ("US", "(201) 555-0123", "+1 201-555-0123", "+12015550123"),
    ("CA", "506-234-5678", "+1 506 234 5678", "+15062345678"),
    ("GB", "07400 123456", "+44 7400 123456", "+447400123456"),
    ("DE", "0151 23456789", "+49 151 23456789", "+4915123456789"),
    ("FR", "06 12 34 56 78", "+33 6 12 34 56 78", "+33612345678"),
    ("ES", "612 34 56 78", "+34 612 34 56 78", "+34612345678"),
    ("IE", "085 012 3456", "+353 85 012 3456", "+353850123456"),
    ("JP", "090-1234-5678", "+81 90-1234-5678", "+819012345678"),
    ("AU", "0412 345 678", "+61 412 345 678", "+61412345678"),
    ("IN", "98765 43210", "+91 98765 43210", "+919876543210"),
    ("KW", "500 12345", "+965 500 12345", "+96550012345"),
    ("AE", "050 123 4567", "+971 50 123 4567", "+971501234567"),
    (
        "BR",
        "(11) 96123-4567",
        "+55 11 96123-4567",
        "+5511961234567",
    ),
    ("MX", "222 123 4567", "+52 222 123 4567", "+522221234567"),
    ("ZA", "071 123 4567", "+27 71 123 4567", "+27711234567"),
    ("SG", "8123 4567", "+65 8123 4567", "+6581234567"),
];

#[test]
fn national_spellings_are_read_as_the_store_country() {
    for (country, national, _, e164) in NUMBERS {
        assert_eq!(
            to_e164(national, region(country)).as_deref(),
            Some(e164),
            "{national} in a {country} store"
        );
    }
}

#[test]
fn international_spellings_are_read_the_same_in_any_store() {
    for (country, _, international, e164) in NUMBERS {
        for store in ["US", "GB", "IN", "JP"] {
            assert_eq!(
                to_e164(international, region(store)).as_deref(),
                Some(e164),
                "{country} number {international} in a {store} store"
            );
        }
        let dialled = format!("00{}", &e164[1..]);
        assert_eq!(
            to_e164(&dialled, region("DE")).as_deref(),
            Some(e164),
            "{dialled} dialled from Europe"
        );
    }
}

#[test]
fn a_number_without_country_code_belongs_to_the_store_country_only() {
    // (spelling, store country, E.164 or none). The issue's own case first: an Indian mobile
    // saved without +91 is no US number.
    for (spelling, store, want) in [
        ("98765 43210", "IN", Some("+919876543210")),
        ("98765 43210", "US", None),
        ("0412 345 678", "AU", Some("+61412345678")),
        ("0412 345 678", "GB", None),
        ("(201) 555-0123", "US", Some("+12015550123")),
        ("(201) 555-0123", "CA", Some("+12015550123")),
        ("020 7946 0958", "US", None),
        ("020 7946 0958", "GB", Some("+442079460958")),
        ("090-1234-5678", "JP", Some("+819012345678")),
        ("090-1234-5678", "DE", None),
    ] {
        assert_eq!(
            to_e164(spelling, region(store)).as_deref(),
            want,
            "{spelling} in a {store} store"
        );
    }
}

#[test]
fn a_search_asks_for_the_spelling_each_country_stores() {
    for (country, national, international, e164) in NUMBERS {
        // Gladly sends E.164; the shop stored the number as the shopper typed it.
        for store in [country, "US"] {
            let asked = search_spellings(e164, region(store));
            for want in [national, international, e164] {
                assert!(
                    asked.iter().any(|a| a == want),
                    "{country} {e164} in a {store} store: {want} not in {asked:?}"
                );
            }
            assert!(asked.iter().all(|a| !a.contains(',')));
        }
        assert!(
            same_number(national, e164, region(country)),
            "{national} = {e164}"
        );
        assert!(
            same_number(national, e164, region("US")),
            "{national} = {e164}: the E.164 side names the country"
        );
    }
}

#[test]
fn different_lines_never_match() {
    assert!(!same_number("0412 345 678", "+61412345679", region("AU")));
    assert!(!same_number("98765 43210", "+19876543210", region("IN")));
    assert!(!same_number("", "", region("US")));
    assert!(
        search_spellings("12", region("US")).is_empty(),
        "too short to search"
    );
}

// ---------------- Linking by phone, through the real BASIC lookup ----------------

mod linking {
    use shared::bigcommerce::models::{CatalogProduct, Customer, CustomerAddress, Order, Shipment};
    use shared::bigcommerce::{BcError, CustomerQuery, OrderQuery, Store};
    use shared::gladly::{Profile, Query};
    use shared::guardrails::Guardrails;
    use shared::ids::{CustomerId, OrderId};
    use shared::lookup::images::ImageCache;
    use shared::lookup::{basic, LookupContext};
    use shared::mapping::phone::Region;
    use shared::mapping::profile::registered;
    use shared::storefront::{StoreFacts, StoreFactsCache};
    use std::time::Duration;

    /// A store whose `phone:in` matches the customer's phone field exactly as stored, as
    /// BigCommerce's does.
    struct Shoppers(Vec<Customer>);

    impl Store for Shoppers {
        async fn customers(&self, q: &CustomerQuery) -> Result<Vec<Customer>, BcError> {
            Ok(match q {
                CustomerQuery::Phones(spellings) => self
                    .0
                    .iter()
                    .filter(|c| spellings.contains(&c.phone))
                    .cloned()
                    .collect(),
                _ => Vec::new(),
            })
        }
        async fn orders(&self, _: &OrderQuery) -> Result<Vec<Order>, BcError> {
            Ok(Vec::new())
        }
        async fn order(&self, _: OrderId) -> Result<Option<Order>, BcError> {
            Ok(None)
        }
        async fn shipments(&self, _: OrderId) -> Result<Vec<Shipment>, BcError> {
            Ok(Vec::new())
        }
        async fn catalog_products(&self, _: &[u64]) -> Result<Vec<CatalogProduct>, BcError> {
            Ok(Vec::new())
        }
    }

    fn shopper(id: u64, stored: &str, address_country: Option<&str>) -> Customer {
        Customer {
            id: CustomerId(id),
            email: format!("shopper{id}@example.com"),
            phone: stored.into(),
            addresses: address_country
                .map(|c| {
                    vec![CustomerAddress {
                        country_code: c.into(),
                        ..CustomerAddress::default()
                    }]
                })
                .unwrap_or_default(),
            ..Customer::default()
        }
    }

    /// Gladly's own auto-link rule, as the console plays it (`tools/gladly-client/src/console/
    /// reader.rs`, `autolink`): exactly one result, one of whose MOBILE phones is the number.
    fn gladly_links(results: &[Profile], number: &str) -> bool {
        let key = |p: &str| -> String {
            p.chars()
                .filter(|c| c.is_ascii_digit() || *c == '+')
                .collect()
        };
        matches!(results, [one] if one.phones.iter().any(|p| p.kind == "MOBILE" && key(&p.original) == key(number)))
    }

    async fn auto_link(
        store_country: &str,
        customers: Vec<Customer>,
        number: &str,
    ) -> Vec<Profile> {
        let rails = Guardrails::default();
        let (images, facts) = (ImageCache::default(), StoreFactsCache::default());
        let phones = vec![number.to_string()];
        let ctx = LookupContext {
            store_hash: "abc",
            storefront_url: None,
            order_limit: 10,
            deadline: tokio::time::Instant::now() + Duration::from_secs(4),
            late: tokio::time::Instant::now() + Duration::from_secs(4),
            images: &images,
            guardrails: &rails,
            facts: &facts,
            phone_region: Region::new(store_country),
            asked_phones: &phones,
        };
        let q = Query {
            gladly_id: Some("gladly-1".into()),
            phones: phones.clone(),
            ..Query::default()
        };
        basic(&Shoppers(customers), &q, &ctx)
            .await
            .unwrap_or_else(|e| panic!("lookup failed: {e}"))
    }

    struct Case {
        why: &'static str,
        stored: &'static str,
        address: Option<&'static str>,
        store: &'static str,
        gladly: &'static str,
        linked: bool,
        /// The phone a DETAILED answer shows when Gladly sends no number with it.
        profile: &'static str,
    }

    const CASES: [Case; 13] = [
        Case {
            why: "a Japanese mobile typed at home, no address, in a US store",
            stored: "090-1234-5678",
            address: None,
            store: "US",
            gladly: "+819012345678",
            linked: true,
            profile: "090-1234-5678",
        },
        Case {
            why: "the same, the saved address in the US",
            stored: "090-1234-5678",
            address: Some("US"),
            store: "US",
            gladly: "+819012345678",
            linked: true,
            profile: "090-1234-5678",
        },
        Case {
            why: "an Indian mobile, address in the US, in an Indian store",
            stored: "98765 43210",
            address: Some("US"),
            store: "IN",
            gladly: "+919876543210",
            linked: true,
            profile: "+919876543210",
        },
        Case {
            why: "a London number, address in the UK, in a US store",
            stored: "020 7946 0958",
            address: Some("GB"),
            store: "US",
            gladly: "+442079460958",
            linked: true,
            profile: "+442079460958",
        },
        Case {
            why: "a US number in a US store, no address",
            stored: "(512) 555-0100",
            address: None,
            store: "US",
            gladly: "+15125550100",
            linked: true,
            profile: "+15125550100",
        },
        Case {
            why: "a German mobile, address in Germany, in a UK store",
            stored: "0151 23456789",
            address: Some("DE"),
            store: "GB",
            gladly: "+4915123456789",
            linked: true,
            profile: "+4915123456789",
        },
        Case {
            why: "its own country code wins over the address",
            stored: "+61 412 345 678",
            address: Some("US"),
            store: "US",
            gladly: "+61412345678",
            linked: true,
            profile: "+61412345678",
        },
        Case {
            why: "00 for + from Europe, in a US store",
            stored: "0044 20 7946 0958",
            address: None,
            store: "US",
            gladly: "+442079460958",
            linked: true,
            profile: "+442079460958",
        },
        Case {
            why: "a UK fiction number typed nationally: possible, valid nowhere",
            stored: "07700 900123",
            address: Some("GB"),
            store: "GB",
            gladly: "+447700900123",
            linked: false,
            profile: "07700 900123",
        },
        Case {
            why: "the fiction number stored with its country code names that very line",
            stored: "+44 7700 900123",
            address: Some("US"),
            store: "US",
            gladly: "+447700900123",
            linked: true,
            profile: "+44 7700 900123",
        },
        Case {
            why: "a fiction number asked never reaches the real Indian line with its digits",
            stored: "7700 900123",
            address: Some("IN"),
            store: "US",
            gladly: "+447700900123",
            linked: false,
            profile: "+917700900123",
        },
        Case {
            why: "another line one digit apart",
            stored: "090-1234-5679",
            address: Some("JP"),
            store: "US",
            gladly: "+819012345678",
            linked: false,
            profile: "+819012345679",
        },
        Case {
            why: "a national spelling valid in no country tried",
            stored: "020 7946 0958",
            address: None,
            store: "US",
            gladly: "+15125550100",
            linked: false,
            profile: "020 7946 0958",
        },
    ];

    #[tokio::test]
    async fn each_shopper_links_by_the_number_gladly_holds() {
        for c in CASES {
            let me = shopper(1, c.stored, c.address);
            // Decoys: the same digits read as other countries' numbers.
            let decoys = vec![
                shopper(2, "+1 090 1234 5678", Some("US")),
                shopper(3, "+49 7700 900123", None),
            ];
            let mut everyone = vec![me.clone()];
            everyone.extend(decoys);
            let found = auto_link(c.store, everyone, c.gladly).await;
            assert_eq!(
                gladly_links(&found, c.gladly),
                c.linked,
                "{}: {found:?}",
                c.why
            );
            if c.linked {
                assert_eq!(
                    found[0].external_customer_id, "1",
                    "{}: the right shopper",
                    c.why
                );
            } else {
                assert!(
                    found.iter().all(|p| p.external_customer_id == "1"),
                    "{}: nobody else is answered: {found:?}",
                    c.why
                );
            }
            let facts = StoreFacts {
                phone_region: Region::new(c.store).unwrap_or_default(),
                ..StoreFacts::default()
            };
            let profile = registered(&me, None, &facts, &[]);
            assert_eq!(
                profile.phones.first().map(|p| p.original.as_str()),
                Some(c.profile),
                "{}: the profile's phone",
                c.why
            );
        }
    }

    #[tokio::test]
    async fn two_shoppers_storing_one_line_are_both_answered_so_neither_links() {
        let found = auto_link(
            "US",
            vec![
                shopper(1, "+81 90-1234-5678", None),
                shopper(2, "090-1234-5678", Some("JP")),
            ],
            "+819012345678",
        )
        .await;
        let ids: Vec<&str> = found
            .iter()
            .map(|p| p.external_customer_id.as_str())
            .collect();
        assert_eq!(ids, ["1", "2"]);
        assert!(found
            .iter()
            .all(|p| p.phones.iter().any(|x| x.original == "+819012345678")));
        assert!(!gladly_links(&found, "+819012345678"));
    }
}
