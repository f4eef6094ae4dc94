//! A goodwill gift certificate for the shopper: `GET /customers/{id}/gift-certificate`,
//! `POST /customers/{id}/gift-certificate/{requestId}`.

pub mod form;
pub mod input;
pub mod policy;
pub mod run;

use super::action::{Action, Job, Opened};
use super::engine::{Looked, Outcome};
use super::fields;
use super::kind::{ActionKind, Spec};
use super::ledger::Ledger;
use crate::app::{ActionApp, LOOKUP_DEADLINE};
use crate::bigcommerce::{BcError, CustomerQuery, OrderQuery, Store, StoreActions};
use crate::config::StoreConfig;
use crate::http::ApiError;
use crate::ids::{RequestId, ShopperId};
use input::GiftInput;
use tokio::time::Instant;

pub struct GiftCertificate;

impl Action for GiftCertificate {
    const KIND: ActionKind = ActionKind::GiftCertificate;
    const SPEC: Spec = Spec {
        key: "gift_certificate",
        segment: "gift-certificate",
        function: "create-gift-certificate",
        name: "gift certificate",
        noun: "gift certificate",
    };
    type Target = ShopperId;
    type Input = GiftInput;

    fn offered(_: &ShopperId) -> Option<String> {
        Some("Gift certificate".to_string())
    }

    async fn form<L: Ledger>(
        app: &ActionApp<L>,
        cfg: StoreConfig,
        who: ShopperId,
    ) -> Result<Opened, ApiError> {
        let who = &who;
        let rails = cfg.guardrails.clone();
        let cfg_for_facts = cfg.clone();
        let until = Instant::now() + LOOKUP_DEADLINE;
        // Prefilled with who the shopper is: the account, or a guest's latest order.
        let found = app
            .app
            .with_store(cfg, until, move |store, _| async move {
                Ok::<_, BcError>(match who {
                    ShopperId::Registered(id) => store
                        .customers(&CustomerQuery::Ids(vec![id.0]))
                        .await?
                        .into_iter()
                        .next()
                        .map(|c| (format!("{} {}", c.first_name, c.last_name), c.email)),
                    ShopperId::Guest(email) => {
                        let q = OrderQuery {
                            email: Some(email.clone()),
                            limit: 1,
                            ..OrderQuery::default()
                        };
                        let name = store
                            .orders(&q)
                            .await?
                            .into_iter()
                            .next()
                            .map(|o| {
                                format!(
                                    "{} {}",
                                    o.billing_address.first_name, o.billing_address.last_name
                                )
                            })
                            .unwrap_or_default();
                        Some((name, email.clone()))
                    }
                })
            })
            .await?;
        let Some((name, email)) = found else {
            return Err(ApiError::NotFound("no such customer".into()));
        };
        let facts = app.store_facts(&cfg_for_facts).await;
        let form = form::gift_form(
            who,
            name.trim(),
            &email,
            &rails,
            &facts,
            input::reasons(&rails).as_ref(),
            &fields::new_request_id(),
        );
        Ok(Opened::Form(form))
    }

    async fn input<L: Ledger>(
        _: &ActionApp<L>,
        cfg: &StoreConfig,
        body: &[u8],
    ) -> Result<GiftInput, Outcome> {
        input::parse(body, input::reasons(&cfg.guardrails).as_ref()).map_err(Outcome::invalid)
    }

    async fn submit<S: StoreActions, L: Ledger>(
        job: Job<'_, S, L>,
        shopper: &ShopperId,
        wanted: &GiftInput,
    ) -> Outcome {
        run::create(
            job.store,
            job.ledger,
            shopper,
            wanted,
            job.rails,
            job.request,
            job.codes,
        )
        .await
    }

    async fn look<S: StoreActions>(
        store: &S,
        _: &ShopperId,
        request: &RequestId,
        codes: crate::actions::codes::Codes,
    ) -> Looked {
        run::look(store, request, codes).await
    }
}
