//! The `create-replacement` Lambda: everything happens in `shared::handlers::create_replacement`.

use shared::app::ActionApp;
use std::sync::Arc;

// One event at a time per execution environment: a single-threaded runtime is enough.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::app::serve(|app: Arc<ActionApp>, req| async move {
        shared::handlers::create_replacement::handle(&app, req).await
    })
    .await
}
