//! `TestApp`: the real app, assembled as a deployed function assembles it (its secret read from
//! moto's Secrets Manager, its idempotency table in moto's DynamoDB), serving every function
//! the template routes, with requests signed as Gladly signs them. One `TestApp` is one warm
//! container; two are two containers (their own memory, the same secret and tables if given).

use super::engine::{local_timing, ActionApp, DynamoLedger, Ledger, Timing};
use super::faulty::FaultyLedger;
use super::{json_of, moto, put_secret, secret_name, signed, store_secret, SIGNING_KEY};
use bigcommerce_sandbox::Running;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use shared::app::App;
use shared::cache::Table;
use shared::config::{SecretSource, Settings};
use shared::handlers::{
    add_order_note, add_store_credit, cancel_order, create_discount, create_gift_certificate,
    create_replacement, lookup_customer, lookup_orders, refund_order, update_address,
};

/// The ten functions, as `template.yaml` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    LookupCustomer,
    LookupOrders,
    CancelOrder,
    RefundOrder,
    CreateDiscount,
    UpdateAddress,
    CreateGiftCertificate,
    AddOrderNote,
    CreateReplacement,
    AddStoreCredit,
}

impl Function {
    pub const ALL: [Function; 10] = [
        Function::LookupCustomer,
        Function::LookupOrders,
        Function::CancelOrder,
        Function::RefundOrder,
        Function::CreateDiscount,
        Function::UpdateAddress,
        Function::CreateGiftCertificate,
        Function::AddOrderNote,
        Function::CreateReplacement,
        Function::AddStoreCredit,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Function::LookupCustomer => "lookup-customer",
            Function::LookupOrders => "lookup-orders",
            Function::CancelOrder => "cancel-order",
            Function::RefundOrder => "refund-order",
            Function::CreateDiscount => "create-discount",
            Function::UpdateAddress => "update-address",
            Function::CreateGiftCertificate => "create-gift-certificate",
            Function::AddOrderNote => "add-order-note",
            Function::CreateReplacement => "create-replacement",
            Function::AddStoreCredit => "add-store-credit",
        }
    }

    /// The function API Gateway hands `path` to, by the template's routes (any method: a wrong
    /// one is the function's own 405), the `/lookup` prefix of the actions included.
    pub fn routing(path: &str) -> Option<Function> {
        let path = path.split('?').next().unwrap_or_default();
        let rest = path.strip_prefix("/lookup").unwrap_or(path);
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        Some(match segments.as_slice() {
            [] => Function::LookupCustomer,
            ["orders", _] | ["customers", _, "orders"] => Function::LookupOrders,
            ["orders", _, "cancel", ..] => Function::CancelOrder,
            ["orders", _, "refund", ..] => Function::RefundOrder,
            ["orders", _, "address", ..] => Function::UpdateAddress,
            ["orders", _, "note", ..] => Function::AddOrderNote,
            ["orders", _, "replacement", ..] => Function::CreateReplacement,
            ["customers", _, "discount", ..] => Function::CreateDiscount,
            ["customers", _, "gift-certificate", ..] => Function::CreateGiftCertificate,
            ["customers", _, "store-credit", ..] => Function::AddStoreCredit,
            _ => return None,
        })
    }
}

pub struct TestApp<L = DynamoLedger> {
    inner: ActionApp<L>,
}

/// How a `TestApp` is assembled: `TestApp::of(&sandbox)` and its defaults (the sandbox store's
/// secret, 10 orders, `local_timing()`, no shared cache), changed by the methods below.
pub struct Assembly {
    secret: Value,
    order_limit: u32,
    timing: Timing,
    cache: Option<Table>,
    aws: Option<String>,
}

impl TestApp {
    /// The app on the sandbox store, as deployed.
    pub async fn new(sb: &Running) -> TestApp {
        Self::of(sb).build().await
    }

    pub fn of(sb: &Running) -> Assembly {
        Assembly {
            secret: store_secret(sb),
            order_limit: 10,
            timing: local_timing(),
            cache: None,
            aws: None,
        }
    }

    /// An app whose AWS (Secrets Manager and DynamoDB) is `endpoint`, not moto: nothing is put.
    pub fn on_aws(endpoint: &str) -> Assembly {
        Assembly {
            secret: Value::Null,
            order_limit: 10,
            timing: local_timing(),
            cache: None,
            aws: Some(endpoint.to_string()),
        }
    }
}

impl Assembly {
    /// The secret the app reads (in moto, under a name of its own).
    pub fn secret(mut self, secret: Value) -> Self {
        self.secret = secret;
        self
    }

    pub fn timing(mut self, timing: Timing) -> Self {
        self.timing = timing;
        self
    }

    /// The lookups' shared cache.
    pub fn cache(mut self, table: Table) -> Self {
        self.cache = Some(table);
        self
    }

    async fn app(&self) -> App {
        let name = secret_name("store");
        let endpoint = match &self.aws {
            // Not moto, but the region and credentials `scripts/with-moto` exports for the SDK.
            Some(e) => {
                moto();
                e.clone()
            }
            None => {
                put_secret(&name, &self.secret).await;
                moto()
            }
        };
        let source = SecretSource::secrets_manager(&name, Some(&endpoint))
            .await
            .expect("secret source");
        let app = App::new(
            Settings {
                secret_id: name,
                order_limit: self.order_limit,
                under_sam_local: false,
            },
            source,
        );
        match &self.cache {
            Some(t) => app.with_cache(t.clone()),
            None => app,
        }
    }

    /// With a fresh idempotency table.
    pub async fn build(self) -> TestApp {
        let ledger = match &self.aws {
            Some(e) => DynamoLedger::new(shared::config::dynamodb_client(Some(e)), "idem"),
            None => super::ledger().await,
        };
        self.ledger(ledger).await
    }

    /// With a fresh idempotency table that fails on command.
    pub async fn faulty(self) -> TestApp<FaultyLedger> {
        let ledger = FaultyLedger::new(super::ledger().await);
        self.ledger(ledger).await
    }

    /// With this ledger (another container's table, or a table that hangs).
    pub async fn ledger<L: Ledger>(self, ledger: L) -> TestApp<L> {
        TestApp {
            inner: ActionApp {
                app: self.app().await,
                ledger,
                timing: self.timing,
            },
        }
    }
}

impl<L: Ledger> TestApp<L> {
    /// `req` handed to `function`, whatever its path.
    pub async fn call(&self, function: Function, req: Request) -> Response<Body> {
        let (app, actions) = (&self.inner.app, &self.inner);
        // Boxed: one arm per handler would make this future as large as the largest handler's,
        // and the chaos run holds many at once on one test thread's stack.
        let answer: std::pin::Pin<Box<dyn std::future::Future<Output = Response<Body>> + '_>> =
            match function {
                Function::LookupCustomer => Box::pin(lookup_customer::handle(app, req)),
                Function::LookupOrders => Box::pin(lookup_orders::handle(app, req)),
                Function::CancelOrder => Box::pin(cancel_order::handle(actions, req)),
                Function::RefundOrder => Box::pin(refund_order::handle(actions, req)),
                Function::CreateDiscount => Box::pin(create_discount::handle(actions, req)),
                Function::UpdateAddress => Box::pin(update_address::handle(actions, req)),
                Function::CreateGiftCertificate => {
                    Box::pin(create_gift_certificate::handle(actions, req))
                }
                Function::AddOrderNote => Box::pin(add_order_note::handle(actions, req)),
                Function::CreateReplacement => Box::pin(create_replacement::handle(actions, req)),
                Function::AddStoreCredit => Box::pin(add_store_credit::handle(actions, req)),
            };
        answer.await
    }

    /// An API Gateway event through the edge (`shared::edge::answer_event`) to `function`, as
    /// the Lambda runtime hands it over: the answer as API Gateway reads it.
    pub async fn event(&self, function: Function, ev: Value) -> Value {
        shared::edge::answer_event(ev, super::gladly::lambda_context(), |req| {
            self.call(function, req)
        })
        .await
    }

    /// `req` handed to the function its path routes to.
    pub async fn send(&self, req: Request) -> Response<Body> {
        let path = req.uri().path().to_string();
        let function =
            Function::routing(&path).unwrap_or_else(|| panic!("no function routes {path}"));
        self.call(function, req).await
    }

    /// A signed GET (an action's form, or orders), its status and JSON.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        answer(self.send(signed("GET", path, "", SIGNING_KEY)).await)
    }

    /// The form of an action (`/orders/101/refund`, `/customers/1/discount`).
    pub async fn form(&self, path: &str) -> (u16, Value) {
        self.get(path).await
    }

    /// The form of `action` (`refund`, `cancel`, `address`) on `order`.
    pub async fn order_form(&self, order: u64, action: &str) -> (u16, Value) {
        self.get(&format!("/orders/{order}/{action}")).await
    }

    /// A signed POST of `body` (JSON, or any text) to `path`: a submit's path carries its
    /// request id (`actionUrl`).
    pub async fn submit(&self, path: &str, body: impl std::fmt::Display) -> (u16, Value) {
        answer(
            self.send(signed("POST", path, &body.to_string(), SIGNING_KEY))
                .await,
        )
    }

    /// A signed `POST /lookup` of `body`.
    pub async fn lookup(&self, body: &str) -> (u16, Value) {
        self.submit("/lookup", body).await
    }

    /// A signed `POST /lookup` of `body`, with what the request did (calls, cache, share).
    pub async fn lookup_measured(
        &self,
        body: &str,
    ) -> (u16, Value, shared::telemetry::RequestStats) {
        let req = signed("POST", "/lookup", body, SIGNING_KEY);
        let (resp, stats) =
            shared::telemetry::gather(self.call(Function::LookupCustomer, req)).await;
        let (status, v) = answer(resp);
        (status, v, stats)
    }

    /// A BASIC lookup: the profiles `query` finds (answered 200).
    pub async fn basic(&self, query: Value) -> Value {
        ok(self.lookup(&super::basic(query)).await)
    }

    /// The DETAILED lookup of `customer` (answered 200).
    pub async fn detailed(&self, customer: &str) -> Value {
        ok(self.lookup(&super::detailed(customer)).await)
    }

    /// The card of `order` in `customer`'s DETAILED lookup (null when it has none).
    pub async fn card(&self, customer: &str, order: u64) -> Value {
        card(&self.detailed(customer).await, order)
    }

    /// The names of the actions on `order`'s card.
    pub async fn card_actions(&self, customer: &str, order: u64) -> Vec<String> {
        action_names(&self.card(customer, order).await)
    }

    pub fn ledger(&self) -> &L {
        &self.inner.ledger
    }

    pub fn timing(&self) -> Timing {
        self.inner.timing
    }

    pub fn secret_id(&self) -> &str {
        &self.inner.app.settings.secret_id
    }

    /// Replaces the app's secret in moto (an admin rotating it).
    pub async fn put_secret(&self, secret: &Value) {
        put_secret(self.secret_id(), secret).await;
    }
}

fn answer(resp: Response<Body>) -> (u16, Value) {
    let v = json_of(&resp);
    (resp.status().as_u16(), v)
}

fn ok((status, v): (u16, Value)) -> Value {
    assert_eq!(status, 200, "{v}");
    v
}

/// The card of `order` in a DETAILED answer (null when it has none).
pub fn card(answer: &Value, order: u64) -> Value {
    answer["results"][0]["transactions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["orderNumber"] == json!(order.to_string()))
        .cloned()
        .unwrap_or(Value::Null)
}

/// The names of the actions a card (or a profile) offers.
pub fn action_names(card: &Value) -> Vec<String> {
    card["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["name"].as_str().map(String::from))
        .collect()
}
