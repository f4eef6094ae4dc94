//! The agent actions, listed once: `ActionKind` names them, and `ActionKind::with` is the one
//! place each kind meets its definition (`Action`, in the action's own folder), from which its
//! key, path, routes, link and marker search all come.

use super::action::{Action, ActionTarget};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ActionKind {
    Cancel,
    Refund,
    Discount,
    Address,
    GiftCertificate,
    Note,
    Replacement,
    StoreCredit,
}

/// Something done with one action's definition, whichever it is.
pub trait ForAction {
    type Out;
    fn with<A: Action>(self) -> Self::Out;
}

/// What an action is on: its target's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On {
    Order,
    Customer,
}

impl On {
    /// In paths: `orders`, `customers`.
    pub fn collection(self) -> &'static str {
        match self {
            On::Order => "orders",
            On::Customer => "customers",
        }
    }

    /// In ledger keys: `order`, `customer`.
    pub fn word(self) -> &'static str {
        match self {
            On::Order => "order",
            On::Customer => "customer",
        }
    }

    /// In route templates: `{orderId}`, `{customerId}`.
    pub fn placeholder(self) -> &'static str {
        match self {
            On::Order => "{orderId}",
            On::Customer => "{customerId}",
        }
    }

    /// What a bad id in the path is told.
    pub fn what(self) -> &'static str {
        match self {
            On::Order => "orderId must be a BigCommerce order id",
            On::Customer => "customerId must be a BigCommerce customer id or guest:<email>",
        }
    }
}

/// What one action is, as plain data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// In the store secret's `actions` list, the ledger's scope keys and metrics: `refund`,
    /// `gift_certificate`.
    pub key: &'static str,
    /// The path segment after the target: `refund`, `gift-certificate`.
    pub segment: &'static str,
    /// The function that serves it, for its log lines and metrics.
    pub function: &'static str,
    /// What the managers' switch calls it: "The cancel action is switched off".
    pub name: &'static str,
    /// One run of it, in the engine's words: "This cancellation is still being carried out".
    pub noun: &'static str,
}

/// Route templates with this prefix (`""` or `"/lookup"`): `GET /orders/{orderId}/refund`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Routes {
    pub on: On,
    pub segment: &'static str,
}

impl Routes {
    /// `{prefix}/orders/{orderId}/refund`
    pub fn form(self, prefix: &str) -> String {
        format!(
            "{prefix}/{}/{}/{}",
            self.on.collection(),
            self.on.placeholder(),
            self.segment
        )
    }

    /// `{prefix}/orders/{orderId}/refund/{requestId}`
    pub fn submit(self, prefix: &str) -> String {
        format!("{}/{{requestId}}", self.form(prefix))
    }
}

impl ActionKind {
    pub const ALL: [ActionKind; 8] = [
        ActionKind::Cancel,
        ActionKind::Refund,
        ActionKind::Discount,
        ActionKind::Address,
        ActionKind::GiftCertificate,
        ActionKind::Note,
        ActionKind::Replacement,
        ActionKind::StoreCredit,
    ];

    /// Does `f` with this kind's definition.
    pub fn with<F: ForAction>(self, f: F) -> F::Out {
        use super::{
            address, cancel, discount, gift_certificate, note, refund, replacement, store_credit,
        };
        match self {
            ActionKind::Cancel => f.with::<cancel::Cancel>(),
            ActionKind::Refund => f.with::<refund::Refund>(),
            ActionKind::Discount => f.with::<discount::Discount>(),
            ActionKind::Address => f.with::<address::Address>(),
            ActionKind::GiftCertificate => f.with::<gift_certificate::GiftCertificate>(),
            ActionKind::Note => f.with::<note::Note>(),
            ActionKind::Replacement => f.with::<replacement::Replacement>(),
            ActionKind::StoreCredit => f.with::<store_credit::StoreCredit>(),
        }
    }

    pub fn spec(self) -> Spec {
        struct SpecOf;
        impl ForAction for SpecOf {
            type Out = Spec;
            fn with<A: Action>(self) -> Spec {
                A::SPEC
            }
        }
        self.with(SpecOf)
    }

    pub fn on(self) -> On {
        struct OnOf;
        impl ForAction for OnOf {
            type Out = On;
            fn with<A: Action>(self) -> On {
                A::Target::ON
            }
        }
        self.with(OnOf)
    }

    /// Whether its submits run under their target's lease (`Action::LEASED`).
    pub fn leased(self) -> bool {
        struct LeasedOf;
        impl ForAction for LeasedOf {
            type Out = bool;
            fn with<A: Action>(self) -> bool {
                A::LEASED
            }
        }
        self.with(LeasedOf)
    }

    pub fn routes(self) -> Routes {
        Routes {
            on: self.on(),
            segment: self.spec().segment,
        }
    }

    /// As written in the secret's `actions` list.
    pub fn key(self) -> &'static str {
        self.spec().key
    }

    /// For the agent, when it is switched off.
    pub fn name(self) -> &'static str {
        self.spec().name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn each_kind_meets_its_own_definition() {
        struct KindOf;
        impl ForAction for KindOf {
            type Out = ActionKind;
            fn with<A: Action>(self) -> ActionKind {
                A::KIND
            }
        }
        for kind in ActionKind::ALL {
            assert_eq!(kind.with(KindOf), kind);
        }
        let keys: BTreeSet<_> = ActionKind::ALL.iter().map(|k| k.key()).collect();
        assert_eq!(keys.len(), ActionKind::ALL.len(), "keys are unique");
    }

    /// (function, method, path) of every HttpApi event of the SAM template's functions.
    fn template_routes() -> BTreeSet<(String, String, String)> {
        let text = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml"));
        let t: serde_yaml::Value = serde_yaml::from_str(text).unwrap_or_default();
        let mut out = BTreeSet::new();
        let resources = t["Resources"].as_mapping().cloned().unwrap_or_default();
        for (_, r) in resources {
            let Some(function) = r["Metadata"]["BuildProperties"]["Binary"].as_str() else {
                continue;
            };
            let events = r["Properties"]["Events"]
                .as_mapping()
                .cloned()
                .unwrap_or_default();
            for (_, e) in events {
                let p = &e["Properties"];
                if let (Some("HttpApi"), Some(m), Some(path)) =
                    (e["Type"].as_str(), p["Method"].as_str(), p["Path"].as_str())
                {
                    out.insert((function.to_string(), m.to_string(), path.to_string()));
                }
            }
        }
        out
    }

    #[test]
    fn the_template_routes_exactly_the_paths_the_actions_define() {
        let all = template_routes();
        assert!(
            all.iter().any(|(f, _, _)| f == "lookup-customer"),
            "the template was read: {all:?}"
        );
        let functions: BTreeSet<&str> = ActionKind::ALL.iter().map(|k| k.spec().function).collect();
        let routed: BTreeSet<(String, String, String)> = all
            .into_iter()
            .filter(|(f, _, _)| functions.contains(f.as_str()))
            .collect();
        let mut defined = BTreeSet::new();
        for kind in ActionKind::ALL {
            let (f, r) = (kind.spec().function.to_string(), kind.routes());
            for prefix in ["", "/lookup"] {
                defined.insert((f.clone(), "GET".to_string(), r.form(prefix)));
                defined.insert((f.clone(), "POST".to_string(), r.submit(prefix)));
            }
        }
        assert_eq!(routed, defined);
    }
}
