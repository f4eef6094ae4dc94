//! The `add-store-credit` Lambda: everything happens in `shared::handlers::add_store_credit`.

use shared::app::ActionApp;
use std::sync::Arc;

// One event at a time per execution environment: a single-threaded runtime is enough.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::app::serve(|app: Arc<ActionApp>, req| async move {
        shared::handlers::add_store_credit::handle(&app, req).await
    })
    .await
}
