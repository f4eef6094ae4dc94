//! Gladly's lookup request bodies: BASIC (auto-link and manual search) and DETAILED, with every
//! query key accepted as a string or an array of strings, under singular or plural names.

use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupLevel {
    Basic,
    Detailed,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Gladly's own customer id: present on auto-link and detailed requests.
    pub gladly_id: Option<String>,
    pub external_customer_id: Option<String>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub name: Option<String>,
    pub order_number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupRequest {
    pub level: LookupLevel,
    pub query: Query,
    pub unique_match_required: bool,
}

/// A body we cannot act on: a 400 with both parts shown to the admin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}: {detail}")]
pub struct BadRequest {
    pub message: String,
    pub detail: String,
}

fn bad(message: &str, detail: impl Into<String>) -> BadRequest {
    BadRequest {
        message: message.to_string(),
        detail: detail.into(),
    }
}

impl LookupRequest {
    pub fn parse(body: &[u8]) -> Result<Self, BadRequest> {
        let v: Value =
            serde_json::from_slice(body).map_err(|e| bad("body is not JSON", e.to_string()))?;
        let obj = v
            .as_object()
            .ok_or_else(|| bad("wrong shape", "the body must be a JSON object"))?;
        let level = match obj.get("lookupLevel").and_then(Value::as_str) {
            Some(l) if l.eq_ignore_ascii_case("BASIC") => LookupLevel::Basic,
            Some(l) if l.eq_ignore_ascii_case("DETAILED") => LookupLevel::Detailed,
            Some(l) => {
                return Err(bad(
                    "unknown lookupLevel",
                    format!("expected BASIC or DETAILED, got {:.40}", l),
                ))
            }
            None => {
                return Err(bad(
                    "wrong shape",
                    "lookupLevel is required (BASIC or DETAILED)",
                ))
            }
        };
        let empty = Map::new();
        let query = match obj.get("query") {
            Some(Value::Object(q)) => q,
            None | Some(Value::Null) => &empty,
            Some(_) => return Err(bad("wrong shape", "query must be an object")),
        };
        let nested = query.get("customAttributes").and_then(Value::as_object);
        let get = |key: &str| query.get(key).or_else(|| nested.and_then(|n| n.get(key)));
        let query = Query {
            gladly_id: first(get("id")),
            external_customer_id: first(get("externalCustomerId")),
            emails: dedup(strings(get("emails")).chain(strings(get("email")))),
            phones: dedup(strings(get("phones")).chain(strings(get("phone")))),
            name: first(get("name")),
            order_number: first(get("orderNumber")),
        };
        Ok(LookupRequest {
            level,
            query,
            unique_match_required: obj
                .get("uniqueMatchRequired")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }
}

/// A string, number, or array of them; blanks dropped, each trimmed.
fn strings(v: Option<&Value>) -> impl Iterator<Item = String> + '_ {
    let items: Box<dyn Iterator<Item = &Value>> = match v {
        Some(Value::Array(a)) => Box::new(a.iter()),
        Some(other) => Box::new(std::iter::once(other)),
        None => Box::new(std::iter::empty()),
    };
    items
        .filter_map(|x| match x {
            Value::String(s) => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .filter(|s| !s.is_empty())
}

fn first(v: Option<&Value>) -> Option<String> {
    strings(v).next()
}

fn dedup(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&i)) {
            out.push(i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_link_body() {
        let r = LookupRequest::parse(br#"{"lookupLevel":"BASIC","query":{"emails":["yasir@gladly.com"],"id":"Br1zuiBMTA-daPVl50x45w","name":"Yasir Sadeque"},"uniqueMatchRequired":false}"#).unwrap();
        assert_eq!(r.level, LookupLevel::Basic);
        assert_eq!(r.query.emails, vec!["yasir@gladly.com"]);
        assert_eq!(r.query.gladly_id.as_deref(), Some("Br1zuiBMTA-daPVl50x45w"));
        assert_eq!(r.query.name.as_deref(), Some("Yasir Sadeque"));
    }

    #[test]
    fn detailed_body_with_flattened_or_nested_attributes() {
        let r = LookupRequest::parse(br#"{"lookupLevel":"DETAILED","query":{"emails":["martha.williams@gmail.com"],"externalCustomerId":"abc","favoriteFood":"Apple Pie","id":"o2sg","name":"Martha Williams","phones":["+15013299800"]},"uniqueMatchRequired":true}"#).unwrap();
        assert_eq!(r.level, LookupLevel::Detailed);
        assert_eq!(r.query.external_customer_id.as_deref(), Some("abc"));
        assert_eq!(r.query.phones, vec!["+15013299800"]);
        assert!(r.unique_match_required);
        let nested = LookupRequest::parse(br#"{"lookupLevel":"DETAILED","query":{"customAttributes":{"externalCustomerId":"42"}}}"#).unwrap();
        assert_eq!(nested.query.external_customer_id.as_deref(), Some("42"));
    }

    #[test]
    fn manual_search_strings_under_either_name() {
        let r = LookupRequest::parse(br#"{"lookupLevel":"BASIC","query":{"email":"A@b.co","emails":["a@B.co"],"phone":"(512) 555-0100","orderNumber":101}}"#).unwrap();
        assert_eq!(
            r.query.emails,
            vec!["a@B.co"],
            "deduplicated case-insensitively"
        );
        assert_eq!(r.query.phones, vec!["(512) 555-0100"]);
        assert_eq!(r.query.order_number.as_deref(), Some("101"));
    }

    #[test]
    fn bad_bodies_say_why() {
        for (body, message) in [
            (&b"not json"[..], "body is not JSON"),
            (b"[]", "wrong shape"),
            (br#"{"query":{}}"#, "wrong shape"),
            (br#"{"lookupLevel":"FULL"}"#, "unknown lookupLevel"),
            (br#"{"lookupLevel":"BASIC","query":"x"}"#, "wrong shape"),
            (br#"{"lookupLevel":7}"#, "wrong shape"),
        ] {
            assert_eq!(
                LookupRequest::parse(body).map_err(|e| e.message),
                Err(message.to_string())
            );
        }
    }

    #[test]
    fn odd_values_are_skipped_not_fatal() {
        let r = LookupRequest::parse(br#"{"lookupLevel":"BASIC","query":{"emails":[null, {}, " ", "x@y.z"],"name":["", "Jo"]}}"#).unwrap();
        assert_eq!(r.query.emails, vec!["x@y.z"]);
        assert_eq!(r.query.name.as_deref(), Some("Jo"));
    }
}
