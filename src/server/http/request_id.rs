//! A request id on every request and answer (`X-Request-Id`), in every log line of the request
//! (its span carries it), and on error pages as the reference a user can quote to support. The
//! id is always ours: one a client sends is replaced, so a log cannot be salted with lies.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use rand::RngCore;

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

/// Middleware: gives the request a fresh id and puts it on the answer.
pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = HeaderValue::from_str(&new_id()).expect("hex is a valid header value");
    request.headers_mut().insert(HEADER.clone(), id.clone());
    let mut response = next.run(request).await;
    response.headers_mut().insert(HEADER.clone(), id);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sixteen_hex_digits_and_differ() {
        let (a, b) = (new_id(), new_id());
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
