//! Who the client is, network-wise: the TCP peer, or behind trusted reverse proxies the
//! right-most `X-Forwarded-For` address that is not one of them (addresses to its left were
//! written by the client and prove nothing). Every limit, log line and audit row uses this.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

use crate::server::state::AppState;

/// The client's address as the app believes it, put on every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// The client behind `peer`, given the `X-Forwarded-For` values and the trusted proxies.
///
/// Hops are read from the right. A hop with a port (`192.0.2.1:4711`, `[2001:db8::1]:4711`) is
/// read without it; one that still does not parse ends the walk, and the trusted hop to its
/// right is taken as the client: nothing left of a hop we cannot read is believed. IPv4
/// addresses written as IPv6 (`::ffff:192.0.2.1`) count as the IPv4 address they are.
pub fn resolve(peer: IpAddr, forwarded_for: &[&str], trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let peer = peer.to_canonical();
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded_for
        .iter()
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(hop) = parse_hop(hop) else {
            return client;
        };
        client = hop;
        if !is_trusted(&hop) {
            return hop;
        }
    }
    client
}

/// One `X-Forwarded-For` hop: an address, maybe with a port, canonical.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let address = if let Ok(ip) = hop.parse::<IpAddr>() {
        ip
    } else if let Ok(socket) = hop.parse::<SocketAddr>() {
        socket.ip()
    } else {
        hop.strip_prefix('[')?.strip_suffix(']')?.parse().ok()?
    };
    Some(address.to_canonical())
}

/// Middleware: resolves the client's address once and puts it on the request.
pub async fn client_ip(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |info| info.0.ip());
    let forwarded: Vec<&str> = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    let ip = resolve(peer, &forwarded, state.settings.http.trusted_proxies());
    request.extensions_mut().insert(ClientIp(ip));
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_headers_say() {
        assert_eq!(
            resolve(ip("203.0.113.7"), &["1.2.3.4"], &[]),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        // The client forged the first entry; the proxy appended the real address.
        let forwarded = ["6.6.6.6, 198.51.100.9", "10.0.0.5"];
        assert_eq!(
            resolve(ip("10.0.0.2"), &forwarded, &trusted),
            ip("198.51.100.9")
        );
        assert_eq!(resolve(ip("10.0.0.2"), &[], &trusted), ip("10.0.0.2"));
        // The old walk skipped the hop the proxy wrote with a port and believed the forged one.
        assert_eq!(
            resolve(ip("10.0.0.2"), &["6.6.6.6, 198.51.100.9:51234"], &trusted),
            ip("198.51.100.9")
        );
        assert_eq!(
            resolve(ip("10.0.0.2"), &["6.6.6.6, [2001:db8::9]:51234"], &trusted),
            ip("2001:db8::9")
        );
        assert_eq!(
            resolve(ip("10.0.0.2"), &["6.6.6.6, unknown"], &trusted),
            ip("10.0.0.2"),
            "a hop that cannot be read stops the walk at the proxy"
        );
        assert_eq!(
            resolve(ip("192.0.2.1"), &forwarded, &trusted),
            ip("192.0.2.1"),
            "an untrusted peer's header is ignored"
        );
    }

    #[test]
    fn an_ipv4_mapped_peer_matches_an_ipv4_range() {
        let trusted: Vec<IpNet> = vec!["127.0.0.1/32".parse().unwrap()];
        assert_eq!(
            resolve(ip("::ffff:127.0.0.1"), &["198.51.100.9"], &trusted),
            ip("198.51.100.9")
        );
        assert_eq!(
            resolve(ip("::ffff:203.0.113.7"), &[], &[]),
            ip("203.0.113.7")
        );
    }
}
