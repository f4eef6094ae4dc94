//! Refund an order in full or in part: `GET /orders/{id}/refund`,
//! `POST /orders/{id}/refund/{requestId}`.

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
use policy::Refundable;

pub struct Refund;

impl Action for Refund {
    const KIND: ActionKind = ActionKind::Refund;
    const SPEC: Spec = Spec {
        key: "refund",
        segment: "refund",
        function: "refund-order",
        name: "refund",
        noun: "refund",
    };
    type Target = OrderId;
    /// The body as sent: it is read against what remains refundable once claimed.
    type Input = Vec<u8>;

    fn offered(o: &Order) -> Option<String> {
        // The v2 refunded amount is only a hint; the form itself reads the refunds.
        (policy::refund_allowed(o).is_ok()
            && o.total_inc_tax - o.refunded_amount > rust_decimal::Decimal::ZERO)
            .then(|| "Refund".to_string())
    }

    async fn form<L: Ledger>(
        app: &ActionApp<L>,
        cfg: StoreConfig,
        id: OrderId,
    ) -> Result<Opened, ApiError> {
        let restock_default = cfg.guardrails.restock_default;
        let reasons = input::reasons(&cfg.guardrails);
        let opened = open_order_form(app, cfg, id, move |store| async move {
            let (order, refunds) = tokio::join!(store.order(id), store.refunds(id));
            Ok((order?, refunds))
        })
        .await?;
        let OrderForm {
            earlier,
            order,
            read: refunds,
        } = match opened {
            Ok(f) => f,
            Err(o) => return Ok(Opened::Closed(o)),
        };
        if let Err(why) = policy::refund_allowed(&order) {
            return Ok(Opened::Closed(Outcome::refused(
                why,
                fields::detail_or(
                    &earlier,
                    "The order was left unchanged; nothing was refunded.",
                ),
            )));
        }
        let refunds = refunds?;
        let r = Refundable::of(&order, &refunds);
        if r.total_left <= rust_decimal::Decimal::ZERO {
            return Ok(Opened::Closed(Outcome::refused(
                format!("Nothing remains refundable on order #{id}."),
                fields::detail_or(
                    &earlier,
                    "Everything paid was refunded already; a goodwill gift certificate or discount code is still possible.",
                ),
            )));
        }
        let past = form::history(&order, &refunds, &r);
        let form = form::refund_form(
            id,
            &r,
            order.customer_id.is_some(),
            &past,
            restock_default,
            &reasons,
            &fields::new_request_id(),
        );
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
        run::refund(job, *id, body).await
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
