//! The `lookup-orders` Lambda: everything happens in `shared::handlers::lookup_orders`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::app::serve(|app, req| async move {
        shared::handlers::lookup_orders::handle(&app, req).await
    })
    .await
}
