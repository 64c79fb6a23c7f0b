//! A real SMTP server for the tests: Debian's `python3-aiosmtpd` (installed by
//! `scripts/setup.sh --test`), started per test on a free port, writing every message it accepts
//! into a Maildir folder the test reads. The app talks to it over SMTP exactly as it would to a
//! production mail server.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;

use super::helpers::unique_name;

/// The system Python, for which Debian installs `aiosmtpd`.
const PYTHON: &str = "/usr/bin/python3";

/// A running SMTP server and the folder its messages land in.
pub struct MailCatcher {
    pub port: u16,
    folder: PathBuf,
    child: Option<Child>,
}

/// One received message: its headers and its decoded plain-text part.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: String,
    pub subject: String,
    pub text: String,
    /// The whole message as received (for checks on its structure).
    pub raw: String,
}

impl Received {
    /// The first link in the text that contains `part`.
    pub fn link(&self, part: &str) -> String {
        self.text
            .lines()
            .map(str::trim)
            .find(|line| line.starts_with("http") && line.contains(part))
            .unwrap_or_else(|| panic!("no link with {part} in:\n{}", self.text))
            .to_owned()
    }

    /// The `token` of the first link with `part`.
    pub fn token(&self, part: &str) -> String {
        let link = self.link(part);
        link.split("token=")
            .nth(1)
            .expect("a token in the link")
            .to_owned()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

impl MailCatcher {
    /// Starts a catcher on a free port.
    pub async fn start() -> Self {
        Self::start_on(free_port()).await
    }

    /// A port nothing listens on yet, for a server that is "down" until `start_on` it.
    pub fn unused_port() -> u16 {
        free_port()
    }

    /// Starts a catcher on `port` and waits until it accepts connections.
    pub async fn start_on(port: u16) -> Self {
        let folder = std::env::temp_dir().join(unique_name("pc-mail"));
        // A Maildir: aiosmtpd fills in its three folders only when the whole path is new.
        for part in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(folder.join(part)).expect("mail folder");
        }
        let child = Command::new(PYTHON)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&folder)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3-aiosmtpd runs (scripts/setup.sh --test installs it)");
        let catcher = Self {
            port,
            folder,
            child: Some(child),
        };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return catcher;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the SMTP catcher did not start on port {port}");
    }

    /// The `SMTP_URL` that reaches it.
    pub fn url(&self) -> String {
        Self::url_for(self.port)
    }

    /// The `SMTP_URL` for a catcher on `port`.
    pub fn url_for(port: u16) -> String {
        format!("smtp://127.0.0.1:{port}")
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<Received> {
        read_maildir(&self.folder)
    }

    /// The messages to `to`, waiting (up to 10 s) until there are at least `count`.
    pub async fn wait_for(&self, to: &str, count: usize) -> Vec<Received> {
        for _ in 0..200 {
            let found = self.to(to);
            if found.len() >= count {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "expected {count} messages to {to}; the mailbox has: {:?}",
            self.messages()
                .iter()
                .map(|m| (&m.to, &m.subject))
                .collect::<Vec<_>>()
        );
    }

    /// The messages to `to` received so far.
    pub fn to(&self, to: &str) -> Vec<Received> {
        self.messages()
            .into_iter()
            .filter(|message| message.to.contains(to))
            .collect()
    }
}

impl Drop for MailCatcher {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

fn read_maildir(folder: &Path) -> Vec<Received> {
    let mut files: Vec<_> = std::fs::read_dir(folder.join("new"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .collect();
    // Maildir names start with the delivery time: sorted, they are in arrival order.
    files.sort();
    files
        .into_iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .map(|raw| parse(&raw))
        .collect()
}

/// The value of header `name` in a header block (unfolded).
fn header(block: &str, name: &str) -> String {
    let mut value = None::<String>;
    for line in block.lines() {
        match &mut value {
            Some(found) if line.starts_with([' ', '\t']) => found.push_str(line.trim_start()),
            Some(_) => break,
            None => {
                if let Some((key, rest)) = line.split_once(':') {
                    if key.eq_ignore_ascii_case(name) {
                        value = Some(rest.trim().to_owned());
                    }
                }
            }
        }
    }
    value.unwrap_or_default()
}

/// Splits a message or part into its headers and body.
fn split(raw: &str) -> (&str, &str) {
    raw.split_once("\r\n\r\n")
        .or_else(|| raw.split_once("\n\n"))
        .unwrap_or((raw, ""))
}

fn parse(raw: &str) -> Received {
    let (head, body) = split(raw);
    let content_type = header(head, "Content-Type");
    let text = match content_type.split("boundary=").nth(1) {
        Some(boundary) => {
            let boundary = boundary.trim_matches('"');
            body.split(&format!("--{boundary}"))
                .map(split)
                .find(|(part_head, _)| header(part_head, "Content-Type").starts_with("text/plain"))
                .map(|(part_head, part_body)| decode(part_head, part_body))
                .unwrap_or_default()
        }
        None => decode(head, body),
    };
    Received {
        to: header(head, "To"),
        subject: header(head, "Subject"),
        text,
        raw: raw.to_owned(),
    }
}

/// A part's body under its `Content-Transfer-Encoding`.
fn decode(head: &str, body: &str) -> String {
    let encoding = header(head, "Content-Transfer-Encoding").to_ascii_lowercase();
    match encoding.as_str() {
        "base64" => {
            let joined: String = body.split_whitespace().collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(joined)
                .unwrap_or_default();
            String::from_utf8_lossy(&bytes).replace("\r\n", "\n")
        }
        "quoted-printable" => quoted_printable(body),
        _ => body.replace("\r\n", "\n"),
    }
}

fn quoted_printable(body: &str) -> String {
    let body = body.replace("\r\n", "\n").replace("=\n", "");
    let bytes = body.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(byte) = u8::from_str_radix(&body[i + 1..i + 3], 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
