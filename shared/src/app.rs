//! What a function keeps between invocations (clients, caches) and the steps every request
//! takes: size limit, store secret, authentication (refetching a possibly rotated secret once).

use crate::actions::engine::{Attempt, Engine, Look, Looked, Outcome, Scope, Target, Timing, Turn};
use crate::actions::ledger::Ledger;
use crate::auth::authenticate;
use crate::bigcommerce::{http_client, BcError, Client, WriteBudget};
use crate::config::{ConfigError, SecretSource, Settings, StoreConfig};
use crate::http::{ApiError, Incoming, MAX_BODY_BYTES};
use crate::ids::RequestId;
use crate::lookup::images::ImageCache;
use crate::lookup::LookupContext;
use crate::storefront::StoreFacts;
use std::time::Duration;
use tokio::time::Instant;

/// A lookup must answer well inside Gladly's 5 s; what is not back by then is left out.
pub const LOOKUP_DEADLINE: Duration = Duration::from_secs(4);

/// Except when the quota share held back a call the lookup cannot answer without (the
/// auto-link's search, the customer, their orders): that call waits for the next window if it
/// can be answered by this long after the request came. Gladly gives up at 15 s, and a failed
/// lookup fails it for every integration of the org: a late answer beats a 503.
pub const LATE_ANSWER: Duration = Duration::from_secs(11);

/// The late bound (`LATE_ANSWER`) of a lookup whose deadline is `deadline`.
pub fn late_for(deadline: Instant) -> Instant {
    deadline + LATE_ANSWER.saturating_sub(LOOKUP_DEADLINE)
}

/// At most one forced refetch of the secret this often: bad signatures from strangers must not
/// turn into a Secrets Manager call each.
pub const FORCED_REFRESH_EVERY: Duration = Duration::from_secs(30);

pub struct App {
    pub settings: Settings,
    pub secrets: SecretSource,
    pub http: reqwest::Client,
    pub images: ImageCache,
    pub store_facts: crate::storefront::StoreFactsCache,
    /// The store's API quota as this container last saw it.
    pub quota: std::sync::Arc<crate::quota::Watch>,
    /// The cache every container shares (`CACHE_TABLE`); `None`: every read goes to BigCommerce.
    pub cache: Option<crate::cache::Table>,
    last_forced_refresh: std::sync::Mutex<Option<Instant>>,
}

impl App {
    pub fn new(settings: Settings, secrets: SecretSource) -> Self {
        Self {
            settings,
            secrets,
            http: http_client(),
            images: ImageCache::default(),
            store_facts: Default::default(),
            quota: Default::default(),
            cache: None,
            last_forced_refresh: std::sync::Mutex::new(None),
        }
    }

    /// With the shared cache.
    pub fn with_cache(mut self, table: crate::cache::Table) -> Self {
        self.cache = Some(table);
        self
    }

    /// From the Lambda environment (`STORE_SECRET_ID`, `ORDER_LIMIT`, AWS SDK variables).
    pub async fn from_env() -> Result<Self, ConfigError> {
        let settings = Settings::from_env()?;
        let secrets = SecretSource::secrets_manager(&settings.secret_id, None).await?;
        let app = Self::new(settings, secrets);
        Ok(match settings_cache_table() {
            Some(t) => app.with_cache(crate::cache::Table::dynamo(&t, None)),
            None => {
                tracing::warn!("CACHE_TABLE is not set: lookups read BigCommerce every time");
                app
            }
        })
    }

    /// Whether a refetch forced by a failed signature is allowed now (and, if so, records it).
    fn may_force_refresh(&self) -> bool {
        let mut last = self
            .last_forced_refresh
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if last.is_some_and(|t| now.duration_since(t) < FORCED_REFRESH_EVERY) {
            return false;
        }
        *last = Some(now);
        true
    }

    /// The store's config; `refresh` asks Secrets Manager again. It is the request's first step
    /// and shares the request's deadline: a slow Secrets Manager is a 503 in time, never a
    /// Lambda timeout.
    pub async fn store_config(
        &self,
        refresh: bool,
        until: Instant,
    ) -> Result<StoreConfig, ApiError> {
        let text = match tokio::time::timeout_at(until, self.secrets.get(refresh)).await {
            Ok(r) => r.map_err(|e| {
                tracing::error!(error = %e, "store secret");
                ApiError::from(e)
            })?,
            Err(_) => {
                tracing::error!("store secret: no answer before the request's deadline");
                return Err(ApiError::Unavailable(
                    "the store secret did not arrive before the request's deadline".into(),
                ));
            }
        };
        StoreConfig::from_secret_in(&text, self.settings.under_sam_local).map_err(|e| {
            tracing::error!(error = %e, "store secret");
            ApiError::from(e)
        })
    }

    /// Authentication first, before any routing or parsing (default deny: an unsigned request
    /// learns nothing but 401), then the size limit. A signature or password that fails
    /// against the cached secret is tried once more against a fresh copy, so a rotated key
    /// works at once. `until` is the request's deadline, which the secret fetch shares.
    pub async fn admit(&self, req: &Incoming, until: Instant) -> Result<StoreConfig, ApiError> {
        let cfg = self.store_config(false, until).await?;
        let cfg = match authenticate(&cfg.auth, &req.parts(), chrono::Utc::now()) {
            Ok(()) => cfg,
            // Anyone can send a bad signature: refetch for it at most every 30 s.
            Err(e) if e.may_be_stale_key() && self.may_force_refresh() => {
                let fresh = self.store_config(true, until).await?;
                authenticate(&fresh.auth, &req.parts(), chrono::Utc::now())
                    .map_err(|e| self.refused(e))?;
                fresh
            }
            Err(e) => return Err(self.refused(e)),
        };
        if req.body.len() > MAX_BODY_BYTES {
            return Err(ApiError::PayloadTooLarge);
        }
        Ok(cfg)
    }

    /// The reason goes to the log; the caller's 401 says only "unauthorized".
    fn refused(&self, e: crate::auth::AuthError) -> ApiError {
        if e.is_setup() {
            tracing::error!("request refused: {e}");
        } else {
            tracing::warn!(reason = %e, "request refused");
        }
        ApiError::from(e)
    }

    pub fn client(&self, cfg: &StoreConfig, deadline: Instant) -> Result<Client, ApiError> {
        Client::new(
            self.http.clone(),
            &cfg.api_base_url,
            &cfg.store_hash,
            cfg.access_token.clone(),
            deadline,
        )
        .map_err(ApiError::from)
    }

    pub fn lookup_context<'a>(
        &'a self,
        cfg: &'a StoreConfig,
        deadline: Instant,
    ) -> LookupContext<'a> {
        LookupContext {
            store_hash: &cfg.store_hash,
            storefront_url: cfg.storefront_url.as_ref(),
            order_limit: self.settings.order_limit,
            deadline,
            late: late_for(deadline),
            images: &self.images,
            guardrails: &cfg.guardrails,
            facts: &self.store_facts,
            phone_region: cfg.default_phone_region,
            asked_phones: &[],
        }
    }

    /// A lookup's BigCommerce work: every call counted against the adaptor's share of the
    /// store's quota, reads through the shared cache (opened for `what` in one round trip, and
    /// written back in one at the end). If BigCommerce refuses the token, the secret is fetched
    /// again and `op` runs once more.
    pub async fn with_lookup_store<T, E, F, Fut>(
        &self,
        cfg: StoreConfig,
        deadline: Instant,
        what: crate::cache::Prefetch,
        op: F,
    ) -> Result<T, ApiError>
    where
        F: Fn(Client, StoreConfig) -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
        E: Into<ApiError> + IsUnauthorized,
    {
        use std::sync::Arc;
        let (what, op) = (&what, &op);
        // Each attempt opens the cache for its own config: a secret fetched again after a 401
        // may name another store, whose cache is another.
        self.with_store(cfg, deadline, move |client, cfg| async move {
            let session = match &self.cache {
                Some(t) => Some(Arc::new(
                    crate::cache::Session::open(
                        t.clone(),
                        &cfg.store_hash,
                        what,
                        self.quota
                            .window(Instant::now())
                            .map(|w| (w.id, w.length.as_secs() as i64)),
                        chrono::Utc::now().timestamp_millis(),
                    )
                    .await,
                )),
                None => None,
            };
            let spend = Arc::new(
                crate::quota::Spend::new(
                    cfg.quota_share,
                    session.as_ref().and_then(|s| s.spend_at_start()),
                )
                .with_before(session.as_ref().and_then(|s| s.spend_before())),
            );
            if let Some(s) = &session {
                s.directory_mode(
                    cfg.customer_directory,
                    spend.busy(&self.quota, Instant::now()),
                );
            }
            let client = client.with_quota(self.quota.clone(), spend.clone());
            let client = match &session {
                Some(s) => client.with_cache(s.clone()),
                None => client,
            };
            let out = op(client, cfg).await;
            let window = self.quota.window(Instant::now());
            if let Some(used) = window.map(|w| spend.share_used(&self.quota, &w)) {
                crate::telemetry::share_used(used);
            }
            if let Some(s) = &session {
                s.close(&spend.mine(window.map(|w| w.id))).await;
            }
            out
        })
        .await
    }

    /// Runs `op` against BigCommerce; if BigCommerce refuses the token, refetches the secret
    /// (it may have been rotated) and runs it once more.
    pub async fn with_store<T, E, F, Fut>(
        &self,
        cfg: StoreConfig,
        deadline: Instant,
        op: F,
    ) -> Result<T, ApiError>
    where
        F: Fn(Client, StoreConfig) -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
        E: Into<ApiError> + IsUnauthorized,
    {
        self.with_fresh_token(cfg, deadline, |client, cfg, _| op(client, cfg))
            .await?
            .map_err(Into::into)
    }

    /// The one "token refused: fetch the secret again, try once more": runs `op` with a client
    /// for `cfg`; if its answer says BigCommerce refused the token (401, so the refused call did
    /// nothing), the store secret is fetched again (the token may have been rotated) and `op`
    /// runs once more with a fresh client, told whether the first run wrote before the refusal.
    /// `Err`: no client could be made, or (for answers that cannot stand) no fresh secret came.
    pub async fn with_fresh_token<T, F, Fut>(
        &self,
        cfg: StoreConfig,
        deadline: Instant,
        op: F,
    ) -> Result<T, ApiError>
    where
        T: TokenAnswer,
        F: Fn(Client, StoreConfig, Token) -> Fut,
        Fut: std::future::Future<Output = T>,
    {
        let client = self.client(&cfg, deadline)?;
        // Boxed: an action's future is large, and tests run many side by side on one stack.
        let first = Box::pin(op(client.clone(), cfg, Token::AsCached)).await;
        if !first.token_refused(&client) {
            return Ok(first);
        }
        tracing::warn!(
            "BigCommerce refused the token; refetching the store secret and trying once more"
        );
        let fresh = match self.store_config(true, deadline).await {
            Ok(c) => c,
            Err(e) => return first.refetch_failed(e),
        };
        let again = self.client(&fresh, deadline)?;
        let wrote = client.wrote();
        Ok(Box::pin(op(again, fresh, Token::Refetched { wrote })).await)
    }
}

/// Which secret a run under [`App::with_fresh_token`] has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// As cached.
    AsCached,
    /// Fetched again after BigCommerce refused the cached token; `wrote`: the refused run may
    /// have written before the refusal.
    Refetched { wrote: bool },
}

/// An answer that may be BigCommerce refusing the token.
pub trait TokenAnswer: Sized {
    fn token_refused(&self, client: &Client) -> bool;
    /// The answer when the secret cannot be fetched again after a refusal.
    fn refetch_failed(self, e: ApiError) -> Result<Self, ApiError>;
}

/// A lookup's answer: refused when its error is a 401; without a fresh secret it fails.
impl<T, E: IsUnauthorized> TokenAnswer for Result<T, E> {
    fn token_refused(&self, _: &Client) -> bool {
        matches!(self, Err(e) if e.is_unauthorized())
    }
    fn refetch_failed(self, e: ApiError) -> Result<Self, ApiError> {
        Err(e)
    }
}

/// An action's outcome: refused when any of its calls got a 401; without a fresh secret it
/// stands as it is (money may have moved before the refusal).
impl TokenAnswer for crate::actions::engine::Outcome {
    fn token_refused(&self, client: &Client) -> bool {
        client.token_refused()
    }
    fn refetch_failed(self, _: ApiError) -> Result<Self, ApiError> {
        Ok(self)
    }
}

/// `CACHE_TABLE`: the shared cache's DynamoDB table, when set.
fn settings_cache_table() -> Option<String> {
    std::env::var("CACHE_TABLE")
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

pub fn deadline() -> Instant {
    Instant::now() + LOOKUP_DEADLINE
}

/// Errors that may mean "the token was rotated".
pub trait IsUnauthorized {
    fn is_unauthorized(&self) -> bool;
}

impl IsUnauthorized for BcError {
    fn is_unauthorized(&self) -> bool {
        *self == BcError::Unauthorized
    }
}

impl IsUnauthorized for crate::lookup::LookupError {
    fn is_unauthorized(&self) -> bool {
        matches!(
            self,
            crate::lookup::LookupError::Unavailable(BcError::Unauthorized)
                | crate::lookup::LookupError::Store(BcError::Unauthorized)
        )
    }
}

/// What a function builds once per container from its environment.
pub trait FromEnv: Sized + Send + Sync + 'static {
    fn from_env() -> impl std::future::Future<Output = Result<Self, ConfigError>> + Send;
}

impl FromEnv for App {
    async fn from_env() -> Result<Self, ConfigError> {
        App::from_env().await
    }
}

/// The action functions also keep the idempotency ledger (`IDEMPOTENCY_TABLE`) and the
/// exactly-once engine's clock.
pub struct ActionApp<L = crate::actions::ledger::DynamoLedger> {
    pub app: App,
    pub ledger: L,
    pub timing: Timing,
}

impl FromEnv for ActionApp {
    async fn from_env() -> Result<Self, ConfigError> {
        let table = std::env::var("IDEMPOTENCY_TABLE")
            .ok()
            .filter(|t| !t.trim().is_empty())
            .ok_or(ConfigError::MissingEnv("IDEMPOTENCY_TABLE"))?;
        let app = App::from_env().await?;
        let ledger = crate::actions::ledger::DynamoLedger::connect(table.trim(), None).await;
        Ok(ActionApp {
            app,
            ledger,
            timing: Timing::default(),
        })
    }
}

/// The engine's marker search, against this store.
pub struct StoreLook<'a> {
    pub app: &'a App,
    pub cfg: &'a StoreConfig,
}

impl Look for StoreLook<'_> {
    async fn look(
        &self,
        scope: &Scope,
        id: &RequestId,
        codes: crate::actions::codes::Codes,
        deadline: Instant,
    ) -> Looked {
        match self.app.client(self.cfg, deadline) {
            Ok(c) => crate::actions::look(&c, scope, id, codes).await,
            Err(e) => Looked::Unknown(e.to_string()),
        }
    }
}

impl<L: Ledger> ActionApp<L> {
    /// The exactly-once engine for a request to `cfg`'s store.
    pub fn engine<'a>(&'a self, cfg: &'a StoreConfig) -> Engine<'a, L, StoreLook<'a>> {
        Engine::new(
            &self.ledger,
            &self.timing,
            StoreLook {
                app: &self.app,
                cfg,
            },
        )
    }

    /// Runs an action's BigCommerce work within the engine's `turn`, with the write budget of
    /// the timing, under [`App::with_fresh_token`]: a run after a refused token looks for an
    /// earlier attempt's marker first when the refused run may have written.
    pub async fn act<F, Fut>(&self, cfg: &StoreConfig, turn: Turn, op: F) -> Outcome
    where
        F: Fn(Client, Attempt) -> Fut,
        Fut: std::future::Future<Output = Outcome>,
    {
        let t = &self.timing;
        let writes = WriteBudget {
            timeout: t.write_timeout,
            min_left: t.min_write_budget,
        };
        let run = self
            .app
            .with_fresh_token(cfg.clone(), turn.deadline, |client, _, token| {
                let attempt = match token {
                    Token::Refetched { wrote: true } => Attempt::Settling,
                    _ => turn.attempt,
                };
                op(client.with_writes(writes), attempt)
            })
            .await;
        run.unwrap_or_else(|e| {
            tracing::error!(error = %e, "BigCommerce client");
            Outcome::misconfigured(
                "The integration is misconfigured; nothing was changed.",
                "Ask the store admin to check the store secret.",
            )
        })
    }

    /// Before a form opens on a leased target (an order, a customer's store credit), what was
    /// unsettled on it is settled, and `Ok` has the notes the form shows about it; `Err` is the
    /// answer when it cannot be yet (the form would show amounts an earlier attempt may still
    /// change).
    pub async fn settle_before_form(
        &self,
        cfg: &StoreConfig,
        on: &Target,
    ) -> Result<Vec<String>, Outcome> {
        self.engine(cfg)
            .settle_open(on, deadline())
            .await
            .map(|settled| crate::actions::fields::settled_notes(&settled))
    }

    /// The store's facts (cached per container); defaults if BigCommerce cannot be asked.
    pub async fn store_facts(&self, cfg: &StoreConfig) -> std::sync::Arc<StoreFacts> {
        let until = deadline();
        match self.app.client(cfg, until) {
            Ok(client) => {
                self.app
                    .store_facts
                    .get(&client, cfg.default_phone_region, until)
                    .await
            }
            Err(_) => std::sync::Arc::new(StoreFacts::default()),
        }
    }
}

/// The Lambda entry point every function shares: JSON logs, clients built once per container,
/// then each request handed to `handler`. A bad configuration stops the container at start with
/// the reason in the log.
pub async fn serve<T, F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    T: FromEnv,
    F: Fn(std::sync::Arc<T>, lambda_http::Request) -> Fut + Send + Sync,
    Fut: std::future::Future<Output = lambda_http::Response<lambda_http::Body>> + Send + 'static,
{
    crate::telemetry::init();
    let app = match T::from_env().await {
        Ok(app) => std::sync::Arc::new(app),
        Err(e) => {
            tracing::error!(error = %e, "cannot start: fix the function's configuration");
            return Err(e.into());
        }
    };
    let handler = &handler;
    // Events are read by `edge`, not lambda_http's adapter, which panics on some query strings.
    lambda_http::lambda_runtime::run(lambda_http::service_fn(
        move |event: lambda_http::LambdaEvent<serde_json::Value>| {
            let app = app.clone();
            async move {
                // Boxed: the handler's future is deep, and each function's main need not know it.
                let answer = crate::edge::answer_event(event.payload, event.context, |req| {
                    let fut: std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send>> =
                        Box::pin(handler(app, req));
                    fut
                })
                .await;
                Ok::<_, lambda_http::Error>(answer)
            }
        },
    ))
    .await
}
