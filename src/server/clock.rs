//! The app's one clock: every lifetime (sessions, codes, links, throttles, webhook windows) is
//! decided on it. It is the system's time; tests move it forward (`advance`) to see a session
//! expire or a code go stale without waiting. A running app has one, shared by its state and its
//! database handle (`Db::now`), so whatever reads the time reads the same one.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// The clock of one running app: system time plus an offset only tests change.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_seconds: Arc<AtomicI64>,
}

impl Clock {
    /// Now, in unix seconds.
    pub fn now(&self) -> i64 {
        system_now() + self.offset_seconds.load(Ordering::Relaxed)
    }

    /// Moves this app's time forward by `seconds` (tests only: the server never calls it).
    pub fn advance(&self, seconds: i64) {
        self.offset_seconds.fetch_add(seconds, Ordering::Relaxed);
    }
}

/// The system's time in unix seconds, for the few places outside a running app (the command
/// line) that have no app clock to read.
pub fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clone_moves_with_the_clock_it_came_from() {
        let clock = Clock::default();
        let seen_by_a_handler = clock.clone();
        let before = seen_by_a_handler.now();
        clock.advance(600);
        let after = seen_by_a_handler.now();
        assert!(
            (600..=601).contains(&(after - before)),
            "{before} → {after}"
        );
    }
}
