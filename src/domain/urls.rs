//! The app's fixed URL paths and the helpers that read URLs, shared by the pages, the server and
//! the sandbox so that each path is written once.

/// Where Hint's headless installs arrive, with the code as the last segment.
pub const HEADLESS_PREFIX: &str = "/hint/connect/";
/// Where Hint's signed webhooks arrive.
pub const WEBHOOKS_PATH: &str = "/hint/webhooks";
/// Where Hint's signed handshake arrives.
pub const HANDSHAKE_PATH: &str = "/hint/handshake";
/// Where an invitation to claim a connection (sent from inside Hint) opens.
pub const CLAIM_PATH: &str = "/claim";
/// The embedded settings surface: the one page Hint may frame.
pub const EMBEDDED_SETTINGS_PATH: &str = "/hint/settings";

/// The origin (`scheme://host[:port]`) of a base URL.
pub fn origin_of(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(slash) => url[..after_scheme + slash].to_owned(),
        None => url.to_owned(),
    }
}

/// `value` percent-encoded for a query string: every byte but the unreserved ones.
pub fn encode_component(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_is_the_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://partner.example/x/y"),
            "https://partner.example"
        );
        assert_eq!(origin_of("http://127.0.0.1:3000"), "http://127.0.0.1:3000");
    }

    #[test]
    fn a_query_value_is_encoded_byte_by_byte() {
        assert_eq!(encode_component("a+b@c.example"), "a%2Bb%40c.example");
        assert_eq!(encode_component("Maple St"), "Maple%20St");
    }
}
