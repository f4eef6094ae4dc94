//! Ids as types, so a customer id is never passed where an order id belongs.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct CustomerId(pub u64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct OrderId(pub u64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ProductId(pub u64);

/// A v3 promotion's id (its coupon codes name it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct PromotionId(pub u64);

impl fmt::Display for PromotionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// BigCommerce ids are positive 32-bit integers; anything else cannot name a record.
fn parse_positive(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u64>()
        .ok()
        .filter(|n| *n > 0 && *n <= i32::MAX as u64)
}

impl OrderId {
    pub fn parse(s: &str) -> Option<Self> {
        parse_positive(s.trim_start_matches('#')).map(OrderId)
    }
}

/// Who a Gladly profile is linked to: a BigCommerce account, or a guest known only by the
/// email on their orders (`guest:<email>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShopperId {
    Registered(CustomerId),
    Guest(String),
}

impl ShopperId {
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if let Some(email) = s.strip_prefix("guest:") {
            let email = crate::mapping::email::normal_email(email);
            return looks_like_email(&email).then_some(ShopperId::Guest(email));
        }
        parse_positive(s).map(|n| ShopperId::Registered(CustomerId(n)))
    }
}

impl fmt::Display for ShopperId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShopperId::Registered(id) => write!(f, "{id}"),
            ShopperId::Guest(email) => write!(f, "guest:{email}"),
        }
    }
}

/// The id a form mints for its submit (`actionUrl`), which makes the submit exactly-once.
/// Parsed once at the edge: 8 to 64 of `A-Z a-z 0-9 - _`, so it can never contain the `:` of
/// the ledger's lock keys or the `]` that would end a marker early.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(String);

impl RequestId {
    pub fn parse(s: &str) -> Option<Self> {
        ((8..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .then(|| RequestId(s.to_string()))
    }

    /// A fresh id: 32 lower-case hex characters (a random UUID, 122 random bits).
    pub fn new_random() -> Self {
        RequestId(uuid::Uuid::new_v4().simple().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first characters, enough for an agent or operator to tell two requests apart.
    pub fn short(&self) -> &str {
        &self.0[..8.min(self.0.len())]
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Enough to refuse garbage before it reaches a query string; BigCommerce judges the rest.
pub fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && s.len() <= 254
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c == ',' || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shopper_ids_round_trip() {
        assert_eq!(
            ShopperId::parse("42"),
            Some(ShopperId::Registered(CustomerId(42)))
        );
        assert_eq!(
            ShopperId::parse("guest:Riley.Guest@Example.com"),
            Some(ShopperId::Guest("riley.guest@example.com".into()))
        );
        assert_eq!(
            ShopperId::Guest("a@b.co".into()).to_string(),
            "guest:a@b.co"
        );
        for bad in [
            "",
            "0",
            "-1",
            "abc",
            "99999999999",
            "guest:",
            "guest:nobody",
            "1e3",
            "4 2",
        ] {
            assert_eq!(ShopperId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn request_ids() {
        assert!(RequestId::parse("0123456789abcdef").is_some());
        assert!(RequestId::parse("app-platform_call-1").is_some());
        for bad in [
            "short",
            "has:colon1",
            "bracket]]x",
            &"x".repeat(65),
            "spa ce 123",
            "é1234567",
        ] {
            assert_eq!(RequestId::parse(bad), None, "{bad}");
        }
        assert_eq!(RequestId::new_random().as_str().len(), 32);
    }

    #[test]
    fn order_ids() {
        assert_eq!(OrderId::parse("#101"), Some(OrderId(101)));
        assert_eq!(OrderId::parse(" 7 "), Some(OrderId(7)));
        assert_eq!(OrderId::parse("x7"), None);
    }
}
