//! What a request id was minted for, and its key in the ledger.

use crate::actions::kind::{ActionKind, On};
use crate::ids::{OrderId, ShopperId};
use serde::Serialize;
use std::fmt;

/// What an action is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Order(OrderId),
    Customer(ShopperId),
}

impl fmt::Display for Target {
    /// `order:101`, `customer:guest:a@b.co`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Order(o) => write!(f, "{}:{o}", On::Order.word()),
            Target::Customer(s) => write!(f, "{}:{s}", On::Customer.word()),
        }
    }
}

impl Target {
    /// For the agent: `order #101`, `customer 5's account`, `this guest`.
    pub fn what(&self) -> String {
        match self {
            Target::Order(o) => format!("order #{o}"),
            Target::Customer(ShopperId::Registered(c)) => format!("customer {c}'s account"),
            Target::Customer(ShopperId::Guest(_)) => "this guest".to_string(),
        }
    }

    /// Reads `order:101` or `customer:…`, if it is what `on` says.
    fn parse(on: On, text: &str) -> Option<Self> {
        let id = text.strip_prefix(on.word())?.strip_prefix(':')?;
        match on {
            On::Order => OrderId::parse(id).map(Target::Order),
            On::Customer => ShopperId::parse(id).map(Target::Customer),
        }
    }
}

/// What a request id was minted for; a request id is never used for anything else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// One of the agent actions, on its target.
    Action(ActionKind, Target),
    /// The return-to-stock step of a refund or cancel: its own record, under the parent's lease.
    Restock(OrderId),
}

const RESTOCK: &str = "restock";

impl Scope {
    /// What the action takes the lease of, if it takes one (`Action::LEASED`): the order of
    /// every order action, the customer of a store credit (a read-modify-write of one balance).
    /// Requests under one lease run one at a time, and each settles what is open on it first.
    pub fn lease(&self) -> Option<Target> {
        match self {
            Scope::Action(kind, target) if kind.leased() => Some(target.clone()),
            Scope::Action(..) | Scope::Restock(_) => None,
        }
    }

    /// The order the action changes, for order actions.
    pub fn order(&self) -> Option<OrderId> {
        match self {
            Scope::Action(_, Target::Order(o)) => Some(*o),
            Scope::Action(_, Target::Customer(_)) | Scope::Restock(_) => None,
        }
    }

    /// As stored in the ledger: `refund:order:101`, `discount:customer:guest:a@b.co`.
    pub fn key(&self) -> String {
        match self {
            Scope::Action(kind, target) => format!("{}:{target}", kind.key()),
            Scope::Restock(o) => format!("{RESTOCK}:{}", Target::Order(*o)),
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        let (kind, target) = key.split_once(':')?;
        if kind == RESTOCK {
            return match Target::parse(On::Order, target)? {
                Target::Order(o) => Some(Scope::Restock(o)),
                Target::Customer(_) => None,
            };
        }
        let kind = ActionKind::ALL.into_iter().find(|k| k.key() == kind)?;
        Target::parse(kind.on(), target).map(|t| Scope::Action(kind, t))
    }

    /// For metrics and log lines: `refund`, `cancel`, `gift_certificate`, ...
    pub fn kind(&self) -> &'static str {
        match self {
            Scope::Action(kind, _) => kind.key(),
            Scope::Restock(_) => RESTOCK,
        }
    }

    /// For the agent: "refund", "cancellation", "discount code".
    pub fn noun(&self) -> &'static str {
        match self {
            Scope::Action(kind, _) => kind.spec().noun,
            Scope::Restock(_) => "return to stock",
        }
    }
}

/// Stored as its key.
impl Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_their_stored_format_and_read_back() {
        let guest = ShopperId::parse("guest:a@b.co");
        let cases = [
            (
                Scope::Action(ActionKind::Refund, Target::Order(OrderId(101))),
                "refund:order:101",
            ),
            (
                Scope::Action(ActionKind::Cancel, Target::Order(OrderId(7))),
                "cancel:order:7",
            ),
            (
                Scope::Action(ActionKind::Address, Target::Order(OrderId(7))),
                "address:order:7",
            ),
            (Scope::Restock(OrderId(7)), "restock:order:7"),
        ];
        for (scope, key) in cases {
            assert_eq!(scope.key(), key);
            assert_eq!(Scope::parse(key), Some(scope));
        }
        let Some(guest) = guest else {
            panic!("a guest id parses")
        };
        for (kind, key) in [
            (ActionKind::Discount, "discount:customer:guest:a@b.co"),
            (
                ActionKind::GiftCertificate,
                "gift_certificate:customer:guest:a@b.co",
            ),
        ] {
            let scope = Scope::Action(kind, Target::Customer(guest.clone()));
            assert_eq!(scope.key(), key);
            assert_eq!(Scope::parse(key), Some(scope));
        }
        for bad in [
            "refund:customer:5",
            "discount:order:5",
            "teleport:order:5",
            "restock:customer:5",
            "refund:order:x",
            "",
        ] {
            assert_eq!(Scope::parse(bad), None, "{bad}");
        }
    }
}
