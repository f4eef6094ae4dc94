//! Logs: JSON lines for CloudWatch, at the level `RUST_LOG` names (`error`, `warn`, `info`,
//! `debug`; default info).

use tracing_subscriber::filter::LevelFilter;

pub fn init() {
    let level = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.trim().parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let _ = tracing_subscriber::fmt()
        .json()
        .with_max_level(level)
        .with_target(false)
        .with_current_span(false)
        .without_time()
        .try_init();
}
