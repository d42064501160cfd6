//! Failure injection for the crash tests: `LOGWACHT_FAIL_AFTER=N` aborts the process right
//! after the N-th step that changes the disk (a publish, a removal, a rewrite), as a
//! power cut would. Unset, it costs one comparison per step.
use std::sync::atomic::{AtomicU64, Ordering};

static DONE: AtomicU64 = AtomicU64::new(0);

/// Marks one disk-changing step done, and aborts if the environment asks for it here.
pub fn step() {
    let done = DONE.fetch_add(1, Ordering::SeqCst) + 1;
    if let Some(n) = std::env::var("LOGWACHT_FAIL_AFTER").ok().and_then(|v| v.parse::<u64>().ok())
        && n == done
    {
        eprintln!("logwacht: failure injected after step {done} (LOGWACHT_FAIL_AFTER)");
        std::process::abort();
    }
}
