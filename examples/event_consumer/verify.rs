//! How a receiver checks a connection event: the `Practice-Connect-Signature` header is
//! `t=<unix seconds>,v1=<hex>` with one or more `v1` (two while the sender rotates its secret).
//! Each `v1` is HMAC-SHA256, keyed with the whole signing secret (`whsec_…`), of `<t>.<raw
//! body>`. The event is accepted when one `v1` matches and `t` is recent. Written only against
//! that description, as a partner would write it, and used by the app's tests as it is.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How old a signature may be (and how far ahead of our clock).
pub const TOLERANCE_SECONDS: i64 = 5 * 60;

/// Why an event was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    /// No `t=` or no `v1=` in the header.
    Malformed,
    /// `t` is further from now than the tolerance: a replay, or a badly wrong clock.
    Stale,
    /// No `v1` matches the body under our secret.
    BadSignature,
}

/// Checks `header` for `body` under `secret` at `now` (unix seconds).
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64) -> Result<(), Rejected> {
    let mut at = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => at = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.extend(hex::decode(value).ok()),
            _ => {}
        }
    }
    let at = at.ok_or(Rejected::Malformed)?;
    if signatures.is_empty() {
        return Err(Rejected::Malformed);
    }
    if (now - at).abs() > TOLERANCE_SECONDS {
        return Err(Rejected::Stale);
    }
    let matches = |signature: &[u8]| {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
        mac.update(format!("{at}.").as_bytes());
        mac.update(body);
        // Constant time: the comparison does not say how much of a guess was right.
        mac.verify_slice(signature).is_ok()
    };
    if signatures.iter().any(|signature| matches(signature)) {
        Ok(())
    } else {
        Err(Rejected::BadSignature)
    }
}
