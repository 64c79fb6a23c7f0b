//! The shipped proxy examples (`deploy/nginx.conf`, `deploy/Caddyfile`) keep secrets out of the
//! proxy's access logs: Hint's code, the one-time links' tokens and the embedded session keys
//! travel in query strings (and a code in the path form of the redirect URL). Both also run for
//! real, Debian's nginx and Debian's Caddy in front of the app, for a whole journey each.

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
    assert!(
        conf.contains(r#"request>uri regexp "^(/connect/).+$|[?].*$" "$1""#),
        "the query and the path form's code are cut"
    );
    assert!(conf.contains("request>headers>Cookie delete"));
    assert!(conf.contains("request>headers>Referer delete"));
    assert!(conf.contains("resp_headers>Location delete"));
    assert!(conf.contains("resp_headers>Set-Cookie delete"));
}

/// The shipped `nginx.conf`, pointed at this test's ports, files and app.
fn nginx_for_test(app: &str, tls_port: u16, plain_port: u16, scratch: &Path) -> String {
    let at = |name: &str| scratch.join(name).display().to_string();
    let conf = read("nginx.conf")
        .replace(
            "/var/log/nginx/practice-connect.access.log",
            &at("access.log"),
        )
        .replace(
            "/etc/ssl/certs/connect.partner.example.pem",
            &at("cert.pem"),
        )
        .replace(
            "/etc/ssl/private/connect.partner.example.key",
            &at("key.pem"),
        )
        .replace("http://127.0.0.1:3000", app)
        .replace("listen 443 ", &format!("listen 127.0.0.1:{tls_port} "))
        .replace("listen [::]:443 ", &format!("listen [::1]:{tls_port} "))
        .replace("listen 80;", &format!("listen 127.0.0.1:{plain_port};"))
        .replace("listen [::]:80;", &format!("listen [::1]:{plain_port};"));
    format!(
        "daemon off;\nworker_processes 1;\npid {pid};\nerror_log {error};\nevents {{}}\nhttp {{\n\
         client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fcgi;\n\
         uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;\n{conf}\n}}\n",
        pid = at("nginx.pid"),
        error = at("error.log"),
        tmp = scratch.display(),
    )
}

/// A browser for the proxy at `front`: cookies, no redirects followed, the proxy's test
/// certificate accepted, and `host` (when given) resolved to IPv6 loopback.
fn proxy_client(front: &str, host: Option<&str>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .danger_accept_invalid_certs(true)
        .default_headers(crate::helpers::same_origin(front));
    if let Some(host) = host {
        let loopback = std::net::SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, 0));
        builder = builder.resolve(host, loopback);
    }
    builder.build().unwrap()
}

/// A whole journey through the proxy at `front` once it answers: a fresh code lands (303), the
/// provider signs up, confirms and connects. Answers the code and the landing's request id.
async fn journey_through(
    app: &crate::helpers::TestApp,
    front: &str,
    client: &reqwest::Client,
) -> (String, String) {
    let mut ready = false;
    for _ in 0..200 {
        if client.get(format!("{front}/healthz")).send().await.is_ok() {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(ready, "the proxy answered over TLS at {front}");
    let through = app.through(front, client.clone());
    let code = through.mint_code(crate::helpers::RIVERBEND).await;
    let landed = through.land(&code).await;
    assert_eq!(landed.status(), 303);
    let landing_id = landed.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    through.sign_up().await;
    through.confirm().await;
    through.fill_wizard().await;
    assert_eq!(through.connect().await["status"], "connected");
    (code, landing_id)
}

/// The client address the app wrote down for the first code it received.
async fn landing_address(app: &crate::helpers::TestApp) -> Option<String> {
    sqlx::query_scalar(
        "SELECT ip FROM audit_log WHERE action = 'code_received' ORDER BY id LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
#[ignore = "needs Debian's nginx (scripts/setup.sh --test installs it); make test runs it"]
async fn a_journey_through_the_shipped_nginx_keeps_codes_out_of_its_log_and_ids_joined() {
    use crate::helpers::{unique_name, TestApp, TestDb};

    assert!(
        Path::new("/usr/sbin/nginx").exists(),
        "Debian's nginx is missing: run scripts/setup.sh --test"
    );
    let app = TestApp::spawn_with(TestDb::Sqlite, &["--trusted-proxies", "127.0.0.1/32"]).await;
    let scratch = std::env::temp_dir().join(unique_name("pc-nginx"));
    std::fs::create_dir_all(&scratch).unwrap();
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
        ])
        .arg("/CN=connect.partner.example")
        .arg("-keyout")
        .arg(scratch.join("key.pem"))
        .arg("-out")
        .arg(scratch.join("cert.pem"))
        .output()
        .expect("openssl runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let (tls, plain) = (free_port(), free_port());
    std::fs::write(
        scratch.join("nginx.conf"),
        nginx_for_test(&app.address, tls, plain, &scratch),
    )
    .unwrap();
    let checked = std::process::Command::new("/usr/sbin/nginx")
        .args(["-t", "-p"])
        .arg(&scratch)
        .arg("-c")
        .arg(scratch.join("nginx.conf"))
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "nginx -t: {}",
        String::from_utf8_lossy(&checked.stderr)
    );
    let mut nginx = std::process::Command::new("/usr/sbin/nginx")
        .arg("-p")
        .arg(&scratch)
        .arg("-c")
        .arg(scratch.join("nginx.conf"))
        .spawn()
        .unwrap();

    // The client comes over IPv6, so the app can tell it from nginx (127.0.0.1).
    let front = format!("https://[::1]:{tls}");
    let client = proxy_client(&front, None);
    let (code, landing_id) = journey_through(&app, &front, &client).await;
    // Plain HTTP is sent to HTTPS, over IPv6 too.
    let redirected = client
        .get(format!("http://[::1]:{plain}/x?code=abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(redirected.status(), 301);
    // Stopped the way an operator does (its workers go with it; a killed master leaves them).
    let stopped = std::process::Command::new("/usr/sbin/nginx")
        .args(["-s", "stop", "-p"])
        .arg(&scratch)
        .arg("-c")
        .arg(scratch.join("nginx.conf"))
        .status();
    if !stopped.is_ok_and(|status| status.success()) {
        let _ = nginx.kill();
    }
    let _ = nginx.wait();

    // The app saw the client, not the proxy.
    assert_eq!(landing_address(&app).await.as_deref(), Some("::1"));
    // nginx's log: every request, no code, and the landing's id, the one the app answered with.
    let log = std::fs::read_to_string(scratch.join("access.log")).unwrap();
    assert!(log.lines().count() >= 8, "{log}");
    assert!(!log.contains(&code) && !log.contains("code="), "{log}");
    let landing_line = log
        .lines()
        .find(|line| line.contains("\"GET /signup\""))
        .expect("the landing is logged");
    assert!(
        landing_line.ends_with(&landing_id),
        "{landing_line} vs {landing_id}"
    );
    assert!(landing_line.starts_with("::1 "), "{landing_line}");
    let _ = std::fs::remove_dir_all(&scratch);
}

/// The shipped `Caddyfile`, pointed at this test's ports, folders and app, with certificates from
/// Caddy's own local authority (there is no ACME here) and no admin endpoint.
fn caddy_for_test(app: &str, tls_port: u16, plain_port: u16, scratch: &Path) -> String {
    let site = read("Caddyfile")
        .replace(
            "/var/log/caddy/practice-connect.access.log",
            &scratch.join("access.log").display().to_string(),
        )
        .replace(
            "reverse_proxy 127.0.0.1:3000",
            &format!("reverse_proxy {}", app.trim_start_matches("http://")),
        );
    format!(
        "{{\n\tadmin off\n\thttp_port {plain_port}\n\thttps_port {tls_port}\n\tskip_install_trust\n\
         \tlocal_certs\n\tstorage file_system {}\n}}\n{site}",
        scratch.join("data").display()
    )
}

#[tokio::test]
#[ignore = "needs Debian's caddy (scripts/setup.sh --test installs it); make test runs it"]
async fn a_journey_through_the_shipped_caddy_keeps_codes_out_of_its_log_and_ids_joined() {
    use crate::helpers::{unique_name, TestApp, TestDb};

    assert!(
        Path::new("/usr/bin/caddy").exists(),
        "Debian's caddy is missing: run scripts/setup.sh --test"
    );
    let app = TestApp::spawn_with(TestDb::Sqlite, &["--trusted-proxies", "127.0.0.1/32"]).await;
    let scratch = std::env::temp_dir().join(unique_name("pc-caddy"));
    std::fs::create_dir_all(&scratch).unwrap();
    let (tls, plain) = (free_port(), free_port());
    let config = scratch.join("Caddyfile");
    std::fs::write(&config, caddy_for_test(&app.address, tls, plain, &scratch)).unwrap();
    let caddy = |args: &[&str]| {
        let mut command = std::process::Command::new("/usr/bin/caddy");
        command
            .args(args)
            .arg("--config")
            .arg(&config)
            .args(["--adapter", "caddyfile"])
            .env("HOME", &scratch)
            .env("XDG_DATA_HOME", scratch.join("data"))
            .env("XDG_CONFIG_HOME", scratch.join("config"));
        command
    };
    let validated = caddy(&["validate"]).output().unwrap();
    assert!(
        validated.status.success(),
        "caddy validate: {}",
        String::from_utf8_lossy(&validated.stderr)
    );
    let mut server = caddy(&["run"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();

    // The site's name resolves to IPv6 loopback, so the app can tell the client from Caddy.
    let site = "connect.partner.example";
    let front = format!("https://{site}:{tls}");
    let client = proxy_client(&front, Some(site));
    let (code, landing_id) = journey_through(&app, &front, &client).await;
    assert_eq!(
        landing_id.len(),
        36,
        "Caddy's id, kept by the app: {landing_id}"
    );
    // Plain HTTP is sent to HTTPS.
    let redirected = client
        .get(format!("http://{site}:{plain}/x?code=abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(redirected.status(), 308);
    let _ = server.kill();
    let _ = server.wait();

    // The app saw the client, not the proxy.
    assert_eq!(landing_address(&app).await.as_deref(), Some("::1"));
    // Caddy's log: every request, no code, no cookie, no email address (a redirect's Location
    // names it), and the landing's id on its line.
    let log = std::fs::read_to_string(scratch.join("access.log")).unwrap();
    assert!(log.lines().count() >= 8, "{log}");
    assert!(!log.contains(&code) && !log.contains("code="), "{log}");
    for kept_out in ["Cookie", "Location", "practice.example", "Referer"] {
        assert!(!log.contains(kept_out), "{kept_out} in {log}");
    }
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let landing = lines
        .iter()
        .find(|line| line["request"]["uri"] == "/signup")
        .expect("the landing is logged");
    assert_eq!(
        landing["resp_headers"]["X-Request-Id"][0],
        landing_id.as_str()
    );
    assert_eq!(landing["request"]["remote_ip"], "::1");
    let _ = std::fs::remove_dir_all(&scratch);
}
