//! Work that must finish once begun. An exchange that has sent its code to Hint cannot be asked
//! again (codes are single-use), so a shutdown that closed the database under it would lose the
//! practice's key. Each such task holds a `Guard`; a shutdown waits, bounded, until none is left.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

/// How long a shutdown waits for exchanges once the requests have drained: with the listener's
/// 20 s drain, inside the shipped unit's 30 s stop timeout.
pub const GRACE: Duration = Duration::from_secs(8);

/// How many tasks are in flight, and a signal when the last one ends.
#[derive(Debug, Default)]
pub struct InFlight {
    count: AtomicUsize,
    idle: Notify,
}

/// Held by a task in flight; dropping it (however the task ends) counts the task out.
#[derive(Debug)]
pub struct Guard(Arc<InFlight>);

impl InFlight {
    /// Counts a task in until the guard is dropped.
    pub fn enter(self: &Arc<Self>) -> Guard {
        self.count.fetch_add(1, Ordering::SeqCst);
        Guard(self.clone())
    }

    /// Tasks in flight now.
    pub fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// Waits until no task is in flight, for at most `within`; answers how many are left.
    pub async fn settle(&self, within: Duration) -> usize {
        let drained = async {
            loop {
                // Registered before the count is read, so a task ending in between still wakes us.
                let ended = self.idle.notified();
                if self.count() == 0 {
                    return;
                }
                ended.await;
            }
        };
        let _ = tokio::time::timeout(within, drained).await;
        self.count()
    }
}

impl InFlight {
    /// At shutdown: lets the tasks in flight finish (up to `GRACE`), saying so in the log.
    pub async fn let_finish(&self) {
        let waiting = self.count();
        if waiting == 0 {
            return;
        }
        tracing::info!(
            waiting,
            "waiting for exchanges in flight to store their keys"
        );
        let left = self.settle(GRACE).await;
        if left > 0 {
            tracing::error!(
                left,
                "stopped with exchanges in flight; the chores release them as stranded"
            );
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn settling_waits_for_the_last_guard_and_no_longer_than_asked() {
        let in_flight = Arc::new(InFlight::default());
        assert_eq!(in_flight.settle(Duration::from_secs(5)).await, 0);
        let (first, second) = (in_flight.enter(), in_flight.enter());
        let holder = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            drop(first);
            tokio::time::sleep(Duration::from_millis(50)).await;
            drop(second);
        });
        assert_eq!(in_flight.settle(Duration::from_secs(10)).await, 0);
        holder.await.unwrap();
        let _stuck = in_flight.enter();
        assert_eq!(in_flight.settle(Duration::from_millis(20)).await, 1);
    }
}
