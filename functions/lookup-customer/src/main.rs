//! The `lookup-customer` Lambda: everything happens in `shared::handlers::lookup_customer`.

use shared::app::App;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::app::serve(|app: Arc<App>, req| async move {
        shared::handlers::lookup_customer::handle(&app, req).await
    })
    .await
}
