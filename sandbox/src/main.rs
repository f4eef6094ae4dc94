//! `bigcommerce-sandbox --port 4010 --seed sandbox/seed.json`

use bigcommerce_sandbox::{parse_seed, start, Settings, DEFAULT_SEED};
use clap::Parser;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

#[derive(Parser)]
#[command(about = "A local BigCommerce store for development, demos and tests")]
struct Cli {
    #[arg(long, default_value_t = 4010)]
    port: u16,
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Seed file; the built-in seed when absent.
    #[arg(long)]
    seed: Option<std::path::PathBuf>,
    /// Latency added to every API request.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Requests allowed per window, as BigCommerce's plans allow.
    #[arg(long, default_value_t = 150)]
    rate_limit: u32,
    #[arg(long, default_value_t = 30_000)]
    rate_window_ms: u64,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let text = match &cli.seed {
        None => DEFAULT_SEED.to_string(),
        Some(p) => match std::fs::read_to_string(p) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("cannot read seed {}: {e}", p.display());
                return std::process::ExitCode::FAILURE;
            }
        },
    };
    let seed = match parse_seed(&text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let settings = Settings {
        latency: Duration::from_millis(cli.latency_ms),
        quota: cli.rate_limit.max(1),
        window: Duration::from_millis(cli.rate_window_ms.max(1)),
    };
    let running = match start(seed, settings, SocketAddr::new(cli.host, cli.port)).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("BigCommerce sandbox listening");
    println!("  api_base_url: {}", running.base_url());
    println!("  store_hash:   {}", running.store_hash);
    println!("  access_token: {}", running.token);
    println!("  controls:     {}/__sandbox", running.base_url());
    let _ = tokio::signal::ctrl_c().await;
    std::process::ExitCode::SUCCESS
}
