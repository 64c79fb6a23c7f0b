//! A request id on every request and answer (`X-Request-Id`), in every log line of the request
//! (its span carries it), and on error pages as the reference a user can quote to support. An id
//! a trusted proxy (`TRUSTED_PROXIES`) sends is kept, so the proxy's log and ours join up; one
//! from anyone else is replaced, so a log cannot be salted with lies. A well-formed W3C
//! `traceparent` is logged with the request (its trace id) and carried to the calls to Hint made
//! for it (`telemetry::trace_context`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use rand::RngCore;

use crate::server::telemetry::trace_context::{self, TraceParent};

/// The header that carries the id.
pub static HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// A new id: 64 random bits as 16 hex digits.
fn new_id() -> String {
    let mut bytes = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The id of `request` (set by `assign`), or `-` before it was assigned.
pub fn of<B>(request: &axum::http::Request<B>) -> &str {
    request
        .headers()
        .get(&HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("-")
}

/// An id a proxy may hand us: 1 to 64 letters, digits, `-`, `_`, `.` or `:` (what nginx's
/// `$request_id`, Caddy's and a load balancer's look like), nothing a log could misread.
fn acceptable(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// The well-formed W3C `traceparent` of `request`, if any.
pub fn trace_parent<B>(request: &axum::http::Request<B>) -> Option<TraceParent> {
    TraceParent::parse(request.headers().get("traceparent")?.to_str().ok()?)
}

/// Middleware: keeps the id a trusted proxy sent (when it is an acceptable one), else gives the
/// request a fresh one, and puts it on the answer; serves the request inside its trace, if any.
pub async fn assign(
    State(trusted): State<Arc<[ipnet::IpNet]>>,
    mut request: Request,
    next: Next,
) -> Response {
    let from_proxy = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|peer| {
            trusted
                .iter()
                .any(|net| net.contains(&peer.0.ip().to_canonical()))
        });
    let kept = from_proxy
        .then(|| request.headers().get(&HEADER))
        .flatten()
        .and_then(|value| value.to_str().ok())
        .filter(|id| acceptable(id))
        .map(str::to_owned);
    let id = HeaderValue::from_str(&kept.unwrap_or_else(new_id))
        .expect("an acceptable id is a valid header value");
    request.headers_mut().insert(HEADER.clone(), id.clone());
    let trace = trace_parent(&request);
    let mut response = trace_context::within(trace, next.run(request)).await;
    response.headers_mut().insert(HEADER.clone(), id);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_s_id_is_kept_only_when_plain_and_a_traceparent_only_when_well_formed() {
        assert!(acceptable("5f2b1c9e0a7d4e3f8b6a1c2d3e4f5a6b"));
        assert!(acceptable("edge:1.2-3_4"));
        assert!(!acceptable("Root=1-67891233"));
        assert!(!acceptable(""));
        assert!(!acceptable(&"a".repeat(65)));
        assert!(!acceptable("id with spaces"));
        assert!(!acceptable("id\"quote"));
        let with = |value: &str| {
            axum::http::Request::builder()
                .header("traceparent", value)
                .body(())
                .unwrap()
        };
        let good = with("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        assert_eq!(
            trace_parent(&good).unwrap().trace_id(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(trace_parent(&with("00-4bf9-00f0-01")), None);
    }

    #[test]
    fn ids_are_sixteen_hex_digits_and_differ() {
        let (a, b) = (new_id(), new_id());
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
