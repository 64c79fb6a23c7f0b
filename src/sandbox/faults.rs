//! Fault injection: the sandbox misbehaves on purpose, the way a real upstream sometimes does.
//!
//! Faults touch only Hint's API (`/api/…`), never the marketplace or the admin endpoints. They are
//! set at start-up (flags) or at run time (`PUT /sandbox/admin/faults`). `times` makes a fault
//! deterministic ("the next 2 requests"); `share` makes it random ("30 % of requests").

use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer 500 without doing anything.
    ServerError,
    /// Answer 503 without doing anything.
    Unavailable,
    /// Answer 429 with `Retry-After` without doing anything.
    RateLimited,
    /// Close the connection without answering, without doing anything.
    Drop,
    /// Do the work, then wait `slow_seconds` before answering 200 (a caller may give up first).
    SlowOk,
}

/// The fault settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Added before every API answer, in milliseconds.
    pub latency_ms: u64,
    /// The fault to inject, if any.
    pub kind: Option<FaultKind>,
    /// Share of API requests that get the fault, 0.0 to 1.0.
    pub share: f64,
    /// When set, only this many more requests get the fault; then it clears itself.
    pub times: Option<u32>,
    /// `Retry-After` seconds sent with a 429.
    pub retry_after_secs: u64,
    /// Delay of a `slow_ok` answer, in seconds.
    pub slow_seconds: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            kind: None,
            share: 1.0,
            times: None,
            retry_after_secs: 1,
            slow_seconds: 15,
        }
    }
}

/// What to do with one API request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Handle it normally.
    Pass,
    /// Answer with this status without handling it.
    Fail {
        status: u16,
        retry_after_secs: Option<u64>,
    },
    /// Close the connection without handling it.
    Drop,
    /// Handle it, then hold the answer this long.
    Delay(Duration),
}

impl Faults {
    /// Decides the fate of the next API request, counting down `times`.
    pub fn decide(&mut self) -> Decision {
        let Some(kind) = self.kind else {
            return Decision::Pass;
        };
        let hit = self.share >= 1.0 || rand::thread_rng().gen_bool(self.share.clamp(0.0, 1.0));
        if !hit {
            return Decision::Pass;
        }
        if let Some(times) = self.times.as_mut() {
            *times = times.saturating_sub(1);
            if *times == 0 {
                self.kind = None;
                self.times = None;
            }
        }
        match kind {
            FaultKind::ServerError => Decision::Fail {
                status: 500,
                retry_after_secs: None,
            },
            FaultKind::Unavailable => Decision::Fail {
                status: 503,
                retry_after_secs: None,
            },
            FaultKind::RateLimited => Decision::Fail {
                status: 429,
                retry_after_secs: Some(self.retry_after_secs),
            },
            FaultKind::Drop => Decision::Drop,
            FaultKind::SlowOk => Decision::Delay(Duration::from_secs(self.slow_seconds)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_fault_passes_everything() {
        assert_eq!(Faults::default().decide(), Decision::Pass);
    }

    #[test]
    fn a_counted_fault_clears_itself() {
        let mut faults = Faults {
            kind: Some(FaultKind::Unavailable),
            times: Some(2),
            ..Faults::default()
        };
        assert_eq!(
            faults.decide(),
            Decision::Fail {
                status: 503,
                retry_after_secs: None
            }
        );
        assert_eq!(
            faults.decide(),
            Decision::Fail {
                status: 503,
                retry_after_secs: None
            }
        );
        assert_eq!(faults.decide(), Decision::Pass);
    }

    #[test]
    fn rate_limiting_says_when_to_retry() {
        let mut faults = Faults {
            kind: Some(FaultKind::RateLimited),
            retry_after_secs: 7,
            ..Faults::default()
        };
        assert_eq!(
            faults.decide(),
            Decision::Fail {
                status: 429,
                retry_after_secs: Some(7)
            }
        );
    }

    #[test]
    fn a_zero_share_never_fires() {
        let mut faults = Faults {
            kind: Some(FaultKind::Drop),
            share: 0.0,
            ..Faults::default()
        };
        assert!((0..100).all(|_| faults.decide() == Decision::Pass));
    }
}
