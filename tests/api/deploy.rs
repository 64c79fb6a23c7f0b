//! The shipped proxy examples (`deploy/nginx.conf`, `deploy/Caddyfile`) keep secrets out of the
//! proxy's access logs: Hint's code, the one-time links' tokens and the embedded session keys
//! travel in query strings (and a code in the path form of the redirect URL).

use std::path::Path;

fn read(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("deploy")
            .join(name),
    )
    .unwrap()
}

/// The text of nginx's directives, comments dropped.
fn nginx_directives() -> String {
    read("nginx.conf")
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn nginx_logs_every_request_without_its_query_or_a_code_in_the_path() {
    let conf = nginx_directives();
    let format = conf
        .split("log_format practice_connect")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .expect("a log format of our own");
    for leaky in [
        "$request ",
        "$request\"",
        "$request_uri",
        "$args",
        "$query_string",
        "$arg_",
        "$uri",
        "$http_referer",
    ] {
        assert!(!format.contains(leaky), "the format logs {leaky}: {format}");
    }
    assert!(format.contains("$practice_connect_path"));
    let servers = conf.matches("server {").count();
    let logs = conf
        .matches("access_log /var/log/nginx/practice-connect.access.log practice_connect;")
        .count();
    assert!(
        servers >= 2 && logs == servers,
        "each server block logs with it ({logs} of {servers})"
    );
    assert!(conf.contains("~^/connect/"), "the path form's code is cut");
}

#[test]
fn caddy_logs_requests_without_their_query_cookies_or_referer() {
    let conf = read("Caddyfile");
    assert!(conf.contains("log {"), "an access log is configured");
    assert!(conf.contains("request>uri multi_regexp"));
    assert!(conf.contains(r#"regexp "[?].*$" """#), "the query is cut");
    assert!(
        conf.contains(r#"regexp "^/connect/.+$""#),
        "the path form's code is cut"
    );
    assert!(conf.contains("request>headers>Cookie delete"));
    assert!(conf.contains("request>headers>Referer delete"));
}
