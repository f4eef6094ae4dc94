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
