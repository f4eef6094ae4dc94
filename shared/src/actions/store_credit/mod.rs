//! Store credit for a registered shopper: `GET /customers/{id}/store-credit`,
//! `POST /customers/{id}/store-credit/{requestId}`. BigCommerce keeps credit as an absolute
//! amount, so each submit is a read-modify-write of one balance: it runs under the customer's
//! lease (`Action::LEASED`), one at a time per customer, each settling what an earlier one left
//! open first; its marked line in the customer's notes lands in the same write as the credit.

pub mod form;
pub mod input;
pub mod policy;
pub mod run;

use super::action::{Action, Job, Opened};
use super::engine::{Looked, Outcome, Target};
use super::fields;
use super::kind::{ActionKind, Spec};
use super::ledger::Ledger;
use crate::app::{ActionApp, LOOKUP_DEADLINE};
use crate::bigcommerce::StoreActions;
use crate::config::StoreConfig;
use crate::http::ApiError;
use crate::ids::{RequestId, ShopperId};
use crate::money::Money;
use input::CreditInput;
use tokio::time::Instant;

pub struct StoreCredit;

fn guest() -> Outcome {
    let (message, detail) = policy::GUEST;
    Outcome::refused(message, detail)
}

impl Action for StoreCredit {
    const KIND: ActionKind = ActionKind::StoreCredit;
    const SPEC: Spec = Spec {
        key: "store_credit",
        segment: "store-credit",
        function: "add-store-credit",
        name: "store credit",
        noun: "store credit",
    };
    type Target = ShopperId;
    type Input = CreditInput;
    // One balance, read then written: two submits on one customer never interleave.
    const LEASED: bool = true;

    /// Registered shoppers only: a guest's profile offers the gift certificate instead.
    fn offered(who: &ShopperId) -> Option<String> {
        policy::account(who)
            .is_ok()
            .then(|| "Add store credit".to_string())
    }

    async fn form<L: Ledger>(
        app: &ActionApp<L>,
        cfg: StoreConfig,
        who: ShopperId,
    ) -> Result<Opened, ApiError> {
        let Ok(customer) = policy::account(&who) else {
            return Ok(Opened::Closed(guest()));
        };
        // What an earlier submit left open on the balance is settled before it is shown.
        let earlier = match app
            .settle_before_form(&cfg, &Target::Customer(who.clone()))
            .await
        {
            Ok(notes) => notes,
            Err(o) => return Ok(Opened::Closed(o)),
        };
        let facts = app.store_facts(&cfg).await;
        let rails = cfg.guardrails.clone();
        let until = Instant::now() + LOOKUP_DEADLINE;
        let account = app
            .app
            .with_store(cfg, until, move |store, _| async move {
                store.customer_now(customer).await
            })
            .await?
            .ok_or_else(|| ApiError::NotFound("no such customer".into()))?;
        let currency = facts.currency.clone();
        let Some(balance) = run::balance(&account) else {
            return Ok(Opened::Closed(Outcome::refused(
                "This account holds store credit in more than one amount; adding to it here would merge them.",
                "Add it in the BigCommerce control panel.",
            )));
        };
        let form = form::credit_form(
            customer,
            &format!("{} {}", account.first_name, account.last_name),
            &Money::new(balance, currency.clone()),
            &Money::new(rails.max_store_credit, currency),
            &input::reasons(&rails),
            &fields::new_request_id(),
        );
        Ok(Opened::Form(fields::with_notes(form, &earlier)))
    }

    async fn input<L: Ledger>(
        app: &ActionApp<L>,
        cfg: &StoreConfig,
        body: &[u8],
    ) -> Result<CreditInput, Outcome> {
        // Credit is kept in the store's default currency.
        let facts = app.store_facts(cfg).await;
        input::parse(body, &facts.currency, &input::reasons(&cfg.guardrails))
            .map_err(Outcome::invalid)
    }

    async fn submit<S: StoreActions, L: Ledger>(
        job: Job<'_, S, L>,
        who: &ShopperId,
        wanted: &CreditInput,
    ) -> Outcome {
        match policy::account(who) {
            Ok(customer) => {
                run::add(
                    job.store,
                    customer,
                    wanted,
                    job.rails,
                    job.request,
                    job.attempt,
                )
                .await
            }
            Err(_) => guest(),
        }
    }

    async fn look<S: StoreActions>(
        store: &S,
        who: &ShopperId,
        request: &RequestId,
        _: crate::actions::codes::Codes,
    ) -> Looked {
        match policy::account(who) {
            Ok(customer) => run::look(store, customer, request).await,
            Err(_) => Looked::NotFound,
        }
    }
}
