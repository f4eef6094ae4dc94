//! Gladly's side of the conversation, as plain functions over JSON: the bodies Gladly sends, its
//! auto-link rule, how its ORDER reader reads an answer (a field of the wrong JSON type reads as
//! empty), and what an action's answer does to the form. The console's page only draws what
//! these return, so what the agent would see is decided here, where it is tested.

use chrono::DateTime;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// The shopper's side of a Gladly profile before it is linked: what the auto-link lookup sends.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Shopper {
    pub name: String,
    pub emails: Vec<String>,
    /// Mobile numbers, E.164 (Gladly's auto-link compares MOBILE numbers only).
    pub phones: Vec<String>,
}

/// The manual-search attributes a Gladly admin typically configures.
pub const SEARCH_KEYS: [&str; 4] = ["email", "phone", "name", "orderNumber"];

/// Gladly's id for the console's one conversation profile.
pub const GLADLY_PROFILE_ID: &str = "console-profile";

/// The auto-link ("suggestion") body: BASIC, not unique, empty keys left out, keys sorted.
pub fn autolink_body(s: &Shopper) -> Value {
    let mut q = Map::new();
    let emails: Vec<&str> = non_empty(&s.emails);
    let phones: Vec<&str> = non_empty(&s.phones);
    if !emails.is_empty() {
        q.insert("emails".into(), json!(emails));
    }
    q.insert("id".into(), json!(GLADLY_PROFILE_ID));
    if !s.name.trim().is_empty() {
        q.insert("name".into(), json!(s.name.trim()));
    }
    if !phones.is_empty() {
        q.insert("phones".into(), json!(phones));
    }
    json!({"lookupLevel": "BASIC", "query": q, "uniqueMatchRequired": false})
}

/// A manual search: one configured attribute, as a string.
pub fn search_body(key: &str, value: &str) -> Result<Value, String> {
    if !SEARCH_KEYS.contains(&key) {
        return Err(format!(
            "search by one of {}, not {key:?}",
            SEARCH_KEYS.join(", ")
        ));
    }
    if value.trim().is_empty() {
        return Err("type something to search for".into());
    }
    Ok(json!({"lookupLevel": "BASIC", "query": {key: value.trim()}, "uniqueMatchRequired": false}))
}

/// The DETAILED lookup Gladly sends when a linked profile opens and after every action: with the
/// profile's custom attributes (from the last answer) flattened into the query, as real Gladly
/// bodies carry them, without overwriting the keys that identify the profile.
pub fn detailed_body(
    external_customer_id: &str,
    s: &Shopper,
    custom_attributes: &[(String, String)],
) -> Value {
    let mut body = autolink_body(s);
    body["lookupLevel"] = json!("DETAILED");
    body["uniqueMatchRequired"] = json!(true);
    if let Some(q) = body["query"].as_object_mut() {
        for (k, v) in custom_attributes {
            if !["emails", "externalCustomerId", "id", "name", "phones"].contains(&k.as_str()) {
                q.insert(k.clone(), json!(v));
            }
        }
        q.insert("externalCustomerId".into(), json!(external_customer_id));
    }
    body
}

fn non_empty(v: &[String]) -> Vec<&str> {
    v.iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect()
}

/// One BASIC result, as the search list shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    pub external_customer_id: String,
    pub name: String,
    pub emails: Vec<String>,
    pub phones: Vec<PhoneView>,
    pub address: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PhoneView {
    pub number: String,
    /// `MOBILE`, `HOME`, `OFFICE`, or empty (other).
    pub kind: String,
}

/// What Gladly does with a BASIC answer when auto-linking.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LinkDecision {
    /// Index into the candidates of the result Gladly links, if any.
    pub links: Option<usize>,
    pub reason: String,
}

/// The results of a BASIC answer; results without an `externalCustomerId` cannot be linked and
/// are dropped, as Gladly drops them.
pub fn candidates(answer: &Value) -> Vec<Candidate> {
    answer["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            Some(Candidate {
                external_customer_id: r["externalCustomerId"].as_str()?.to_string(),
                name: string(&r["name"]),
                emails: emails(&r["emails"]),
                phones: phones(&r["phones"]),
                address: string(&r["address"]),
            })
        })
        .collect()
}

/// Gladly's rule: exactly one result, and one of its emails (trimmed, lower-cased) is on the
/// profile, or one of its MOBILE phones is a mobile number on the profile.
pub fn autolink(shopper: &Shopper, answer: &Value) -> LinkDecision {
    let found = candidates(answer);
    let no = |reason: String| LinkDecision {
        links: None,
        reason,
    };
    let one = match found.as_slice() {
        [] => return no("No link: the lookup found nobody.".into()),
        [one] => one,
        many => {
            return no(format!(
                "No link: {} results, and Gladly links only a single match (the agent picks one).",
                many.len()
            ))
        }
    };
    let mine: Vec<String> = shopper.emails.iter().map(|e| email_key(e)).collect();
    if let Some(e) = one
        .emails
        .iter()
        .find(|e| !e.trim().is_empty() && mine.contains(&email_key(e)))
    {
        return LinkDecision {
            links: Some(0),
            reason: format!(
                "Links: one result, and its email {} is on the profile.",
                e.trim()
            ),
        };
    }
    let my_phones: Vec<String> = shopper.phones.iter().map(|p| phone_key(p)).collect();
    if let Some(p) = one.phones.iter().find(|p| {
        p.kind == "MOBILE"
            && !phone_key(&p.number).is_empty()
            && my_phones.contains(&phone_key(&p.number))
    }) {
        return LinkDecision {
            links: Some(0),
            reason: format!(
                "Links: one result, and its mobile {} is on the profile.",
                p.number
            ),
        };
    }
    no("No link: one result, but none of its emails or mobile phones is on the profile.".into())
}

fn email_key(e: &str) -> String {
    shared::mapping::email::normal_email(e)
}

fn phone_key(p: &str) -> String {
    p.chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect()
}

/// A DETAILED answer as Gladly shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ProfileView {
    pub external_customer_id: String,
    pub name: String,
    pub address: String,
    pub emails: Vec<String>,
    pub phones: Vec<PhoneView>,
    /// Flat string attributes, sorted by name.
    pub custom_attributes: Vec<(String, String)>,
    pub actions: Vec<ActionView>,
    /// ORDER cards, newest first (cards without a readable date last, in answer order).
    pub orders: Vec<OrderView>,
    /// What Gladly's reader would drop or read as empty, for the operator.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ActionView {
    pub name: String,
    pub form_url: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    pub order_number: String,
    /// RFC 3339 as sent, or empty when it is not RFC 3339 (Gladly reads it as missing).
    pub created_at: String,
    pub status: String,
    pub total: String,
    pub currency: String,
    pub item_count: Option<u64>,
    pub note: String,
    pub order_link: String,
    pub customer_order_url: String,
    pub products: Vec<ProductView>,
    pub fulfillments: Vec<FulfillmentView>,
    pub billing_address: Vec<String>,
    pub actions: Vec<ActionView>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ProductView {
    pub id: String,
    pub name: String,
    pub status: String,
    pub sku: String,
    pub image_url: String,
    pub quantity: Option<u64>,
    pub unit_price: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct FulfillmentView {
    pub tracking_number: String,
    pub tracking_url: String,
    pub carrier: String,
    pub shipping_speed: String,
    pub status: String,
    pub estimated_delivery_date: String,
    pub product_ids: Vec<String>,
    pub shipping_address: Vec<String>,
}

/// Reads a DETAILED answer. Gladly needs exactly one result; anything else is an error it shows.
pub fn profile(answer: &Value) -> Result<ProfileView, String> {
    let results = answer["results"]
        .as_array()
        .ok_or("the answer has no results array")?;
    let r = match results.as_slice() {
        [one] => one,
        other => {
            return Err(format!(
                "a DETAILED lookup must answer exactly one result, got {}",
                other.len()
            ))
        }
    };
    let id = r["externalCustomerId"]
        .as_str()
        .ok_or("the result has no string externalCustomerId")?;
    let mut notes = Vec::new();
    let mut custom_attributes = Vec::new();
    if let Some(attrs) = r["customAttributes"].as_object() {
        for (k, v) in attrs {
            match v.as_str() {
                Some(s) => custom_attributes.push((k.clone(), s.to_string())),
                None => notes.push(format!(
                    "custom attribute {k} is not a string ({v}): Gladly expects strings"
                )),
            }
        }
    }
    custom_attributes.sort();
    let mut orders = Vec::new();
    for (i, t) in r["transactions"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        match t["type"].as_str() {
            Some("ORDER") => orders.push(order(t, &mut notes)),
            other => notes.push(format!(
                "transaction {i} is type {}: not an ORDER card, not shown here",
                other.unwrap_or("(none)")
            )),
        }
    }
    // Newest first; a stable sort keeps undated cards in answer order, after the dated ones.
    orders.sort_by(
        |a, b| match (a.created_at.is_empty(), b.created_at.is_empty()) {
            (false, false) => instant(&b.created_at).cmp(&instant(&a.created_at)),
            (x, y) => x.cmp(&y),
        },
    );
    Ok(ProfileView {
        external_customer_id: id.to_string(),
        name: string(&r["name"]),
        address: string(&r["address"]),
        emails: emails(&r["emails"]),
        phones: phones(&r["phones"]),
        custom_attributes,
        actions: actions(&r["actions"]),
        orders,
        notes,
    })
}

fn instant(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.timestamp_millis())
        .unwrap_or(i64::MIN)
}

fn order(t: &Value, notes: &mut Vec<String>) -> OrderView {
    let number = string(&t["orderNumber"]);
    let mut date = |field: &str| -> String {
        match &t[field] {
            Value::Null => String::new(),
            Value::String(s) if DateTime::parse_from_rfc3339(s).is_ok() => s.clone(),
            other => {
                notes.push(format!(
                    "order {number}: {field} {other} is not RFC 3339, Gladly reads it as missing"
                ));
                String::new()
            }
        }
    };
    let created_at = date("createdAt");
    let item_count = t["itemCount"].as_u64();
    if item_count.is_none() && !t["itemCount"].is_null() {
        notes.push(format!(
            "order {number}: itemCount {} is not a number, Gladly reads it as missing",
            t["itemCount"]
        ));
    }
    let fulfillments = t["fulfillments"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| FulfillmentView {
            tracking_number: string(&f["trackingNumber"]),
            tracking_url: link(&f["trackingUrl"]),
            carrier: string(&f["carrier"]),
            shipping_speed: string(&f["shippingSpeed"]),
            status: string(&f["status"]),
            estimated_delivery_date: f["estimatedDeliveryDate"]
                .as_str()
                .filter(|s| DateTime::parse_from_rfc3339(s).is_ok())
                .unwrap_or_default()
                .to_string(),
            product_ids: f["productIds"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect(),
            shipping_address: address_lines(&f["shippingAddress"]),
        })
        .collect();
    OrderView {
        created_at,
        status: string(&t["orderStatus"]),
        total: string(&t["orderTotal"]),
        currency: t["currencyCode"]
            .as_str()
            .filter(|c| !c.is_empty())
            .unwrap_or("USD")
            .to_string(),
        item_count,
        note: string(&t["note"]),
        order_link: link(&t["orderLink"]),
        customer_order_url: link(&t["customerOrderUrl"]),
        products: t["products"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| ProductView {
                id: string(&p["id"]),
                name: string(&p["name"]),
                status: string(&p["status"]),
                sku: string(&p["sku"]),
                image_url: link(&p["imageUrl"]),
                quantity: p["quantity"].as_u64(),
                unit_price: string(&p["unitPrice"]),
            })
            .collect(),
        fulfillments,
        billing_address: address_lines(&t["billingAddress"]),
        actions: actions(&t["actions"]),
        order_number: number,
    }
}

/// An address object as the card prints it: name, street lines, city line, country, phone.
fn address_lines(a: &Value) -> Vec<String> {
    let f = |k: &str| string(&a[k]);
    let city_line = [f("city"), f("state"), f("zip")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    [
        f("name"),
        f("street1"),
        f("street2"),
        city_line,
        f("country"),
        f("phone"),
    ]
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect()
}

fn actions(v: &Value) -> Vec<ActionView> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| {
            Some(ActionView {
                name: a["name"].as_str()?.to_string(),
                form_url: a["formUrl"].as_str()?.to_string(),
            })
        })
        .collect()
}

fn emails(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["original"].as_str().map(str::to_string))
        .collect()
}

fn phones(v: &Value) -> Vec<PhoneView> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            Some(PhoneView {
                number: p["original"].as_str()?.to_string(),
                kind: match p["type"].as_str() {
                    Some(k @ ("MOBILE" | "HOME" | "OFFICE")) => k.to_string(),
                    _ => String::new(),
                },
            })
        })
        .collect()
}

fn string(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// Only http(s) links become clickable: an answer must not put `javascript:` in the agent's page.
fn link(v: &Value) -> String {
    match v.as_str() {
        Some(s) if s.starts_with("https://") || s.starts_with("http://") => s.to_string(),
        _ => String::new(),
    }
}

/// What an action's answer does in Gladly.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Outcome {
    /// 2xx: logged on the conversation; the profile is looked up again.
    Done { message: String, detail: String },
    /// 400: the form stays open, each field's error beside it.
    Fix {
        general: Vec<Said>,
        fields: Vec<FieldError>,
    },
    /// Any other status: the form closes with the message.
    Closed { message: String, detail: String },
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Said {
    pub message: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldError {
    pub attr: String,
    pub code: String,
    pub detail: String,
}

pub fn outcome(status: u16, answer: &Value) -> Outcome {
    let errors: Vec<&Value> = answer["errors"].as_array().into_iter().flatten().collect();
    let mut general: Vec<Said> = errors
        .iter()
        .filter(|e| e["attr"].as_str().is_none())
        .map(|e| Said {
            message: string(&e["message"]),
            detail: string(&e["detail"]),
        })
        .filter(|s| !s.message.is_empty() || !s.detail.is_empty())
        .collect();
    // Gladly's sample adaptor answers a 406 as a bare `{message, detail}`.
    if general.is_empty() && !string(&answer["message"]).is_empty() {
        general.push(Said {
            message: string(&answer["message"]),
            detail: string(&answer["detail"]),
        });
    }
    match status {
        200..=299 => Outcome::Done {
            message: string(&answer["message"]),
            detail: string(&answer["detail"]),
        },
        400 => {
            let fields: Vec<FieldError> = errors
                .iter()
                .filter_map(|e| {
                    Some(FieldError {
                        attr: e["attr"].as_str()?.to_string(),
                        code: string(&e["code"]),
                        detail: string(&e["detail"]),
                    })
                })
                .collect();
            // A 400 that says nothing (a gateway's plain "Bad Request") must not look like a
            // form that did nothing.
            if general.is_empty() && fields.is_empty() {
                general.push(Said {
                    message: "The action failed (400)".into(),
                    detail: body_text(answer),
                });
            }
            Outcome::Fix { general, fields }
        }
        _ => {
            let first = general.into_iter().next();
            Outcome::Closed {
                message: first
                    .as_ref()
                    .map(|s| s.message.clone())
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| format!("The action failed ({status})")),
                detail: first.map(|s| s.detail).unwrap_or_else(|| body_text(answer)),
            }
        }
    }
}

/// An answer in no known shape, shortened for a line on the page.
pub fn body_text(answer: &Value) -> String {
    let text = match answer {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    text.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jane() -> Shopper {
        Shopper {
            name: "Jane Doe".into(),
            emails: vec![" Jane.Doe@Example.com ".into()],
            phones: vec![],
        }
    }

    fn one(result: Value) -> Value {
        json!({ "results": [result] })
    }

    #[test]
    fn auto_link_body_is_gladlys_basic_shape_with_empty_keys_left_out() {
        let b = autolink_body(&jane());
        assert_eq!(
            b.to_string(),
            r#"{"lookupLevel":"BASIC","query":{"emails":["Jane.Doe@Example.com"],"id":"console-profile","name":"Jane Doe"},"uniqueMatchRequired":false}"#
        );
        let attrs = [
            ("storeCreditAmount".to_string(), "$12.50".to_string()),
            ("externalCustomerId".to_string(), "999".to_string()),
        ];
        let d = detailed_body("42", &jane(), &attrs);
        assert_eq!(d["lookupLevel"], "DETAILED");
        assert_eq!(d["uniqueMatchRequired"], true);
        assert_eq!(d["query"]["externalCustomerId"], "42");
        assert_eq!(d["query"]["storeCreditAmount"], "$12.50");
    }

    #[test]
    fn search_takes_one_configured_key_as_a_string() {
        assert_eq!(
            search_body("orderNumber", " 103 ").unwrap()["query"],
            json!({"orderNumber": "103"})
        );
        assert!(search_body("password", "x").is_err());
        assert!(search_body("email", "  ").is_err());
    }

    #[test]
    fn links_one_result_whose_email_matches_ignoring_case_and_spaces() {
        let a = one(
            json!({"externalCustomerId": "1", "emails": [{"original": "jane.doe@example.com "}]}),
        );
        let d = autolink(&jane(), &a);
        assert_eq!(d.links, Some(0), "{}", d.reason);
    }

    #[test]
    fn does_not_link_none_several_or_a_stranger() {
        assert_eq!(autolink(&jane(), &json!({"results": []})).links, None);
        assert_eq!(autolink(&jane(), &json!({"results": null})).links, None);
        let two = json!({"results": [
            {"externalCustomerId": "1", "emails": [{"original": "jane.doe@example.com"}]},
            {"externalCustomerId": "2", "emails": [{"original": "jane.doe@example.com"}]}]});
        let d = autolink(&jane(), &two);
        assert_eq!(d.links, None);
        assert!(d.reason.contains("2 results"), "{}", d.reason);
        let stranger =
            one(json!({"externalCustomerId": "3", "emails": [{"original": "other@example.com"}]}));
        assert_eq!(autolink(&jane(), &stranger).links, None);
    }

    #[test]
    fn links_by_mobile_phone_only() {
        let s = Shopper {
            phones: vec!["+1 512-555-0100".into()],
            ..Default::default()
        };
        let mobile = one(
            json!({"externalCustomerId": "1", "phones": [{"original": "+15125550100", "type": "MOBILE"}]}),
        );
        assert_eq!(autolink(&s, &mobile).links, Some(0));
        let home = one(
            json!({"externalCustomerId": "1", "phones": [{"original": "+15125550100", "type": "HOME"}]}),
        );
        assert_eq!(autolink(&s, &home).links, None);
    }

    fn card(number: &str, created: Value) -> Value {
        json!({"type": "ORDER", "orderNumber": number, "createdAt": created, "orderStatus": "Shipped",
               "orderTotal": "$10.00", "itemCount": 1, "actions": [{"name": "Refund", "formUrl": format!("/orders/{number}/refund")}]})
    }

    #[test]
    fn reads_orders_newest_first_and_undated_last() {
        let a = one(json!({"externalCustomerId": "1", "transactions": [
            card("1", json!("2024-01-01T00:00:00Z")),
            card("2", json!("not a date")),
            card("3", json!("2024-03-01T00:00:00+01:00")),
            {"type": "GENERIC", "name": "x"}]}));
        let p = profile(&a).unwrap();
        let order: Vec<&str> = p.orders.iter().map(|o| o.order_number.as_str()).collect();
        assert_eq!(order, ["3", "1", "2"]);
        assert_eq!(p.orders[2].created_at, "");
        assert!(p.notes.iter().any(|n| n.contains("order 2: createdAt")));
        assert!(p.notes.iter().any(|n| n.contains("GENERIC")));
        assert_eq!(p.orders[0].actions[0].form_url, "/orders/3/refund");
    }

    #[test]
    fn wrong_json_types_read_as_empty_as_in_gladlys_reader() {
        let a = one(
            json!({"externalCustomerId": "1", "customAttributes": {"credit": 12, "group": "2"},
            "transactions": [{"type": "ORDER", "orderNumber": "9", "itemCount": "3", "orderTotal": 10,
              "currencyCode": "", "orderLink": "javascript:alert(1)",
              "products": [{"id": "5", "name": "Mug", "quantity": "2", "imageUrl": "data:x"}]}]}),
        );
        let p = profile(&a).unwrap();
        let o = &p.orders[0];
        assert_eq!(o.item_count, None);
        assert_eq!(o.total, "");
        assert_eq!(o.currency, "USD");
        assert_eq!(o.order_link, "");
        assert_eq!(o.products[0].quantity, None);
        assert_eq!(o.products[0].image_url, "");
        assert_eq!(
            p.custom_attributes,
            [("group".to_string(), "2".to_string())]
        );
        assert!(p.notes.iter().any(|n| n.contains("credit")));
    }

    #[test]
    fn a_detailed_answer_needs_exactly_one_result() {
        assert!(profile(&json!({"results": []})).is_err());
        assert!(profile(&json!({})).is_err());
        assert!(profile(&json!({"results": [{"name": "no id"}]})).is_err());
    }

    #[test]
    fn outcomes_follow_gladlys_statuses() {
        let fix = outcome(
            400,
            &json!({"errors": [{"message": "Check the form", "detail": "one field"},
                                {"attr": "qty_1", "code": "too_large", "detail": "At most 2"}]}),
        );
        assert_eq!(
            fix,
            Outcome::Fix {
                general: vec![Said {
                    message: "Check the form".into(),
                    detail: "one field".into()
                }],
                fields: vec![FieldError {
                    attr: "qty_1".into(),
                    code: "too_large".into(),
                    detail: "At most 2".into()
                }]
            }
        );
        assert_eq!(
            outcome(
                406,
                &json!({"errors": [{"message": "Already shipped", "detail": "d"}]})
            ),
            Outcome::Closed {
                message: "Already shipped".into(),
                detail: "d".into()
            }
        );
        assert_eq!(
            outcome(503, &json!("upstream")),
            Outcome::Closed {
                message: "The action failed (503)".into(),
                detail: "upstream".into()
            }
        );
        assert_eq!(
            outcome(
                406,
                &json!({"message": "Already refunded", "detail": "in full"})
            ),
            Outcome::Closed {
                message: "Already refunded".into(),
                detail: "in full".into()
            },
            "the sample adaptor's bare 406 shape"
        );
        assert_eq!(
            outcome(400, &json!({"message": "Bad Request"})),
            Outcome::Fix {
                general: vec![Said {
                    message: "Bad Request".into(),
                    detail: String::new()
                }],
                fields: vec![]
            }
        );
        assert_eq!(
            outcome(400, &json!("Bad Request")),
            Outcome::Fix {
                general: vec![Said {
                    message: "The action failed (400)".into(),
                    detail: "Bad Request".into()
                }],
                fields: vec![]
            },
            "a 400 that says nothing still says something"
        );
        assert_eq!(
            outcome(200, &json!({"message": "Refunded", "detail": "$5.00"})),
            Outcome::Done {
                message: "Refunded".into(),
                detail: "$5.00".into()
            }
        );
    }
}
