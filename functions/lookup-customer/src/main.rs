//! The `lookup-customer` Lambda: everything happens in `shared::handlers::lookup_customer`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::app::serve(|app, req| async move {
        shared::handlers::lookup_customer::handle(&app, req).await
    })
    .await
}
