//! Send a replacement: `GET /orders/{id}/replacement`,
//! `POST /orders/{id}/replacement/{requestId}`. One new order at no charge for the same shopper,
//! storefront, currency, address and products, made once per request (its marker leads the new
//! order's staff notes), and a line on the original naming it.

pub mod form;
pub mod input;
pub mod policy;
pub mod run;

use super::action::{open_order_form, Action, Job, Opened, OrderForm};
use super::engine::{Looked, Outcome};
use super::fields;
use super::kind::{ActionKind, Spec};
use super::ledger::Ledger;
use crate::app::ActionApp;
use crate::bigcommerce::models::Order;
use crate::bigcommerce::{Store, StoreActions};
use crate::config::StoreConfig;
use crate::http::ApiError;
use crate::ids::{OrderId, RequestId};

pub use policy::is_replacement;

/// The `external_source` of the orders the adaptor makes: how a replacement is told from an
/// order the shopper placed (it is not counted in `orderCount` or `openOrders`).
pub const EXTERNAL_SOURCE: &str = "Gladly Lookup Adaptor (replacement)";

pub struct Replacement;

impl Action for Replacement {
    const KIND: ActionKind = ActionKind::Replacement;
    const SPEC: Spec = Spec {
        key: "replacement",
        segment: "replacement",
        function: "create-replacement",
        name: "replacement",
        noun: "replacement",
    };
    type Target = OrderId;
    /// The body as sent: it is read against the order once claimed.
    type Input = Vec<u8>;

    fn offered(o: &Order) -> Option<String> {
        policy::replacement_allowed(o)
            .is_ok()
            .then(|| "Send replacement".to_string())
    }

    async fn form<L: Ledger>(
        app: &ActionApp<L>,
        cfg: StoreConfig,
        id: OrderId,
    ) -> Result<Opened, ApiError> {
        let reasons = input::reasons(&cfg.guardrails);
        let opened = open_order_form(app, cfg, id, move |store| async move {
            let Some(order) = store.order(id).await? else {
                return Ok((None, Vec::new()));
            };
            // Replacements the original's notes do not name (their line was never written)
            // are found by the search; a search that fails leaves the notes to say it, and the
            // submit searches again before it makes anything.
            let found = match policy::replacement_allowed(&order) {
                Ok(()) => run::made_since(&store, &order, None)
                    .await
                    .map(|m| m.others)
                    .unwrap_or_default(),
                Err(_) => Vec::new(),
            };
            Ok((Some(order), found))
        })
        .await?;
        let OrderForm {
            earlier,
            order,
            read: found,
        } = match opened {
            Ok(f) => f,
            Err(o) => return Ok(Opened::Closed(o)),
        };
        if let Err(why) = policy::replacement_allowed(&order) {
            return Ok(Opened::Closed(Outcome::refused(
                why,
                fields::detail_or(&earlier, "Nothing was created."),
            )));
        }
        let mut sent = policy::named_in_notes(&order);
        sent.extend(
            found
                .into_iter()
                .filter(|f| !sent.contains(f))
                .collect::<Vec<_>>(),
        );
        let form = form::replacement_form(&order, &sent, &reasons, &fields::new_request_id());
        Ok(Opened::Form(fields::with_notes(form, &earlier)))
    }

    async fn input<L: Ledger>(
        _: &ActionApp<L>,
        _: &StoreConfig,
        body: &[u8],
    ) -> Result<Vec<u8>, Outcome> {
        Ok(body.to_vec())
    }

    async fn submit<S: StoreActions, L: Ledger>(
        job: Job<'_, S, L>,
        id: &OrderId,
        body: &Vec<u8>,
    ) -> Outcome {
        run::send(job, *id, body).await
    }

    async fn look<S: StoreActions>(
        store: &S,
        id: &OrderId,
        request: &RequestId,
        _: crate::actions::codes::Codes,
    ) -> Looked {
        run::look(store, *id, request).await
    }
}
