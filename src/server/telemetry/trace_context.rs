//! W3C trace context (`traceparent`) carried from an incoming request to the calls made for it.
//! The request's trace id is logged with it (`request_id`), and each call to Hint made while
//! serving it, or by the exchange it started, carries the same trace with our own parent id, so
//! a tracing system joins the caller, us and Hint into one trace.

use std::future::Future;

use rand::RngCore;

/// A well-formed `traceparent`: `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceParent {
    trace_id: String,
    flags: String,
}

impl TraceParent {
    /// Reads a header value; `None` unless it is well formed (version 00, a trace id not all
    /// zeros).
    pub fn parse(value: &str) -> Option<Self> {
        let mut parts = value.trim().split('-');
        let (version, trace, parent, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let hex = |text: &str, len: usize| {
            text.len() == len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        };
        let valid = version == "00"
            && hex(trace, 32)
            && hex(parent, 16)
            && hex(flags, 2)
            && parts.next().is_none()
            && trace.bytes().any(|b| b != b'0')
            && parent.bytes().any(|b| b != b'0');
        valid.then(|| Self {
            trace_id: trace.to_owned(),
            flags: flags.to_owned(),
        })
    }

    /// The trace's id.
    pub fn trace_id(&self) -> &str {
        &self.trace_id
    }

    /// The header for a call we make: the same trace and flags, a fresh parent id (the call).
    pub fn for_outgoing_call(&self) -> String {
        let mut parent = [0u8; 8];
        rand::thread_rng().fill_bytes(&mut parent);
        parent[0] |= 1; // never all zeros
        format!(
            "00-{}-{}-{}",
            self.trace_id,
            hex::encode(parent),
            self.flags
        )
    }
}

tokio::task_local! {
    static CURRENT: Option<TraceParent>;
}

/// The trace of the request (or exchange) being served on this task, if it came with one.
pub fn current() -> Option<TraceParent> {
    CURRENT.try_with(Clone::clone).ok().flatten()
}

/// Runs `work` with `trace` as the current trace (a spawned task takes its caller's along).
pub async fn within<F: Future>(trace: Option<TraceParent>, work: F) -> F::Output {
    CURRENT.scope(trace, work).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_well_formed_traceparent_is_kept_and_a_call_gets_its_own_parent() {
        let parent =
            TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
        assert_eq!(parent.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        let outgoing = parent.for_outgoing_call();
        let again = TraceParent::parse(&outgoing).expect("what we send is well formed");
        assert_eq!(again, parent, "same trace and flags");
        assert!(!outgoing.contains("00f067aa0ba902b7"), "a new parent id");
        assert_ne!(outgoing, parent.for_outgoing_call());
        for bad in [
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473Z-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        ] {
            assert_eq!(TraceParent::parse(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn the_trace_is_current_only_inside_its_scope() {
        assert_eq!(current(), None);
        let parent = TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        let seen = within(parent.clone(), async { current() }).await;
        assert_eq!(seen, parent);
        assert_eq!(current(), None);
    }
}
