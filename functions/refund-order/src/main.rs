//! The `refund-order` Lambda: everything happens in `shared::handlers::refund_order`.

use shared::app::ActionApp;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::app::serve(|app: Arc<ActionApp>, req| async move {
        shared::handlers::refund_order::handle(&app, req).await
    })
    .await
}
