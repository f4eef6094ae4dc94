#![recursion_limit = "256"]
//! A local BigCommerce store: the REST paths this project uses, served from a seed file with
//! BigCommerce's formats, errors and rate limits, plus controls for tests under `/__sandbox/`.

pub mod api;
pub mod crowd;
pub mod errors;
pub mod formats;
pub mod gift_certificates;
pub mod inventory;
pub mod model;
pub mod order_creation;
pub mod request;
pub mod server;
pub mod shipping_addresses;
pub mod state;
pub mod store_credit;
pub mod views;

use std::net::SocketAddr;
use std::sync::Arc;

pub use model::Seed;
pub use state::{AppState, Settings};

/// The seed committed with the sandbox, built in so tests and the demo need no path.
pub const DEFAULT_SEED: &str = include_str!("../seed.json");

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("seed is not valid: {0}")]
    Seed(#[from] serde_json::Error),
    #[error("cannot serve: {0}")]
    Io(#[from] std::io::Error),
}

pub fn parse_seed(text: &str) -> Result<Seed, SandboxError> {
    Ok(serde_json::from_str(text)?)
}

/// A sandbox running on a background task, for tests and tools in this workspace.
pub struct Running {
    pub addr: SocketAddr,
    pub state: Arc<AppState>,
    pub store_hash: String,
    pub token: String,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// `http://127.0.0.1:PORT`, the `api_base_url` the toolkit takes.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/stores/HASH`
    pub fn store_url(&self) -> String {
        format!("{}/stores/{}", self.base_url(), self.store_hash)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds `addr` (port 0 for any) and serves until dropped.
pub async fn start(
    seed: Seed,
    settings: Settings,
    addr: SocketAddr,
) -> Result<Running, SandboxError> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (store_hash, token) = (seed.store.hash.clone(), seed.store.token.clone());
    let state = Arc::new(AppState::new(seed, settings));
    let app = server::router(state.clone());
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("sandbox stopped: {e}");
        }
    });
    Ok(Running {
        addr,
        state,
        store_hash,
        token,
        task,
    })
}
