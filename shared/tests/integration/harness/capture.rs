//! The logs of a test, captured in a process that runs every test at once. One subscriber, the
//! production one (`shared::telemetry::subscriber`), is the process's global default from the
//! first capture on; it writes each line to the capture of the thread that logged it, or
//! nowhere. Scoped subscribers (`set_default`) would not do here: tracing caches per call site,
//! process-wide, whether a line is wanted, and a test logging on another thread with no
//! subscriber of its own could cache "never" under a capturing test. A global subscriber that
//! always wants INFO leaves nothing to race. Each `#[tokio::test]` runs on its own thread
//! (a current-thread runtime), so the thread is the test.

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Arc, Mutex, Once};
use tracing_subscriber::filter::LevelFilter;

thread_local! {
    static SINK: RefCell<Option<Captured>> = const { RefCell::new(None) };
}

/// What one test's thread logged, as JSON lines.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).to_string()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The global subscriber's writer: the logging thread's capture, if it has one.
struct ThisThread;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for ThisThread {
    type Writer = Box<dyn Write>;
    fn make_writer(&'a self) -> Self::Writer {
        match SINK.with(|s| s.borrow().clone()) {
            Some(c) => Box::new(c),
            None => Box::new(std::io::sink()),
        }
    }
}

/// Captures this thread's log lines (at INFO, as production logs) until the guard is dropped.
pub fn logs() -> (CaptureGuard, Captured) {
    static GLOBAL: Once = Once::new();
    GLOBAL.call_once(|| {
        let sub = shared::telemetry::subscriber(LevelFilter::INFO, ThisThread);
        if tracing::subscriber::set_global_default(sub).is_err() {
            panic!("another global subscriber was set: captured logs would go astray");
        }
    });
    let c = Captured::default();
    SINK.with(|s| *s.borrow_mut() = Some(c.clone()));
    // Whatever a call site cached before the global subscriber was in place is asked again.
    tracing::callsite::rebuild_interest_cache();
    (CaptureGuard(()), c)
}

pub struct CaptureGuard(());

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        SINK.with(|s| *s.borrow_mut() = None);
    }
}
