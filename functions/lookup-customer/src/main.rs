//! The `lookup-customer` Lambda: everything happens in `shared::handlers::lookup_customer`.

use shared::app::App;
use std::sync::Arc;

// One event at a time per execution environment: a single-threaded runtime is enough.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::app::serve(|app: Arc<App>, req| async move {
        shared::handlers::lookup_customer::handle(&app, req).await
    })
    .await
}
