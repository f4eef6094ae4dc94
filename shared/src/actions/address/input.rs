//! The address form's submitted attributes, checked the way a carrier would: the fields it
//! needs, a real ISO 3166 country, a postcode where the country has them, a state where
//! BigCommerce needs one.

use crate::actions::fields::{coded, defang, FieldError, Fields};
use crate::bigcommerce::requests::AddressPut;

/// Countries without postcodes, where `zip` may stay empty.
const NO_POSTCODE: &[&str] = &[
    "AE", "AG", "AO", "AW", "BF", "BI", "BJ", "BO", "BS", "BW", "BZ", "CD", "CF", "CG", "CI", "CK",
    "CM", "DJ", "DM", "ER", "FJ", "GA", "GD", "GH", "GM", "GQ", "GY", "HK", "KI", "KM", "KN", "KP",
    "LC", "ML", "MO", "MR", "MW", "NR", "NU", "QA", "RW", "SB", "SC", "SL", "SO", "SR", "ST", "SY",
    "TD", "TF", "TG", "TK", "TL", "TO", "TV", "UG", "VU", "YE", "ZW",
];

/// Countries whose addresses BigCommerce needs a state or province for.
const NEEDS_STATE: &[&str] = &["US", "CA", "AU", "BR", "MX", "IN"];

/// `(attr, label, required)`; `country_iso2` and the conditional ones are checked apart.
pub const FIELDS: &[(&str, &str, bool)] = &[
    ("first_name", "First name", true),
    ("last_name", "Last name", true),
    ("company", "Company", false),
    ("street_1", "Street", true),
    ("street_2", "Street, line 2", false),
    ("city", "City", true),
    ("state", "State or province", false),
    ("zip", "Postcode", false),
    (
        "country_iso2",
        "Country (two-letter code, like US or GB)",
        true,
    ),
    ("phone", "Phone", false),
];

pub fn parse(body: &[u8]) -> Result<AddressPut, Vec<FieldError>> {
    let f = Fields::parse(body)?;
    let mut e = Vec::new();
    let mut value = |attr: &str, required: bool| -> String {
        let v = f.text(attr).map(|v| defang(&v)).unwrap_or_default();
        if required && v.is_empty() {
            e.push(coded(attr, "required", "This field is required"));
        } else if v.chars().count() > 255 {
            e.push(coded(attr, "too_long", "At most 255 characters"));
        }
        v
    };
    let mut a = AddressPut {
        first_name: value("first_name", true),
        last_name: value("last_name", true),
        company: value("company", false),
        street_1: value("street_1", true),
        street_2: value("street_2", false),
        city: value("city", true),
        state: value("state", false),
        zip: value("zip", false),
        country: String::new(),
        country_iso2: value("country_iso2", true).to_ascii_uppercase(),
        phone: value("phone", false),
    };
    if !a.country_iso2.is_empty() {
        match celes::Country::from_alpha2(&a.country_iso2) {
            // "The United States Of America" reads "United States Of America" on a label.
            Ok(c) => a.country = c.long_name.trim_start_matches("The ").to_string(),
            Err(_) => e.push(coded(
                "country_iso2",
                "invalid",
                format!(
                    "'{:.10}' is not a country code: use two letters, like US, GB or DE",
                    a.country_iso2
                ),
            )),
        }
        if a.zip.is_empty() && !NO_POSTCODE.contains(&a.country_iso2.as_str()) {
            e.push(coded(
                "zip",
                "required",
                "This country has postcodes: enter one",
            ));
        }
        if a.state.is_empty() && NEEDS_STATE.contains(&a.country_iso2.as_str()) {
            e.push(coded("state", "required", "Enter the state or province"));
        }
    }
    if e.is_empty() {
        Ok(a)
    } else {
        Err(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(r: Result<AddressPut, Vec<FieldError>>) -> Vec<(String, String)> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.attr, e.code))
            .collect()
    }

    #[test]
    fn a_full_address_names_its_country() {
        let a = parse(br#"{"first_name":"Jane","last_name":"Doe","street_1":"1 Main St","city":"Austin","state":"TX","zip":"78701","country_iso2":"us"}"#);
        let a = a.unwrap_or_default();
        assert_eq!(
            (a.country_iso2.as_str(), a.country.as_str()),
            ("US", "United States Of America")
        );
    }

    #[test]
    fn every_missing_or_wrong_field_is_named() {
        assert_eq!(
            attrs(parse(br#"{"first_name":"Jane","country_iso2":"XX"}"#)),
            vec![
                ("last_name".into(), "required".into()),
                ("street_1".into(), "required".into()),
                ("city".into(), "required".into()),
                ("country_iso2".into(), "invalid".into()),
                ("zip".into(), "required".into()),
            ]
        );
        let no_state = br#"{"first_name":"J","last_name":"D","street_1":"1","city":"A","zip":"1","country_iso2":"US"}"#;
        assert_eq!(
            attrs(parse(no_state)),
            vec![("state".into(), "required".into())]
        );
        let hong_kong = br#"{"first_name":"J","last_name":"D","street_1":"1 Queen's Rd","city":"Central","country_iso2":"HK"}"#;
        assert!(parse(hong_kong).is_ok(), "no postcode there");
    }
}
