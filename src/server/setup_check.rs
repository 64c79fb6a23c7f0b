//! "Check that redirect": what to register with Hint, and whether this setup can work with it.
//! `practice-connect check` prints it, `serve` logs it at start, and staff see it on the
//! dashboard. Nothing here calls out: each check reads the settings and runs the app's own
//! landing rule on a code appended the way Hint appends it.

use axum::http::Uri;

use super::http::onboarding::landing_code;
use crate::domain::status::{CheckLine, Verdict};
use crate::domain::urls::{EMBEDDED_SETTINGS_PATH, HANDSHAKE_PATH, WEBHOOKS_PATH};
use crate::settings::Settings;

/// A made-up code of the shape Hint sends.
const SAMPLE_CODE: &str = "2jK3jlOOOpejk7xnKEl";

fn line(verdict: Verdict, text: impl Into<String>) -> CheckLine {
    CheckLine {
        verdict,
        text: text.into(),
    }
}

/// What `practice-connect check` prints: every check, and outside development each setting
/// production still lacks.
pub fn for_command(settings: &Settings) -> Vec<CheckLine> {
    let base = settings.http.public_base_url();
    if settings.is_development() {
        return run(settings, &base, settings.hint.api_base_url.is_none());
    }
    // Production's own list covers HTTPS and the secrets, and more.
    let mut lines = urls_and_landing(settings, &base);
    lines.extend(database_tls(&settings.database_url()));
    let problems = settings.production_problems();
    if problems.is_empty() {
        lines.push(line(Verdict::Ok, "every production setting is there"));
    }
    lines.extend(
        problems
            .into_iter()
            .map(|problem| line(Verdict::Fail, problem)),
    );
    lines
}

/// Logs every check (`serve` does at start): failures as warnings.
pub fn log(lines: &[CheckLine]) {
    for line in lines {
        match line.verdict {
            Verdict::Fail => tracing::warn!(check = "FAIL", "{}", line.text),
            verdict => tracing::info!(check = verdict.as_str(), "{}", line.text),
        }
    }
}

/// Every check, in order, for the app reached at `base`. `on_sandbox`: the built-in sandbox
/// plays Hint.
pub fn run(settings: &Settings, base: &str, on_sandbox: bool) -> Vec<CheckLine> {
    let mut lines = urls_and_landing(settings, base);
    lines.push(
        match (base.starts_with("https://"), settings.is_development()) {
            (true, _) => line(Verdict::Ok, "the public base URL is HTTPS"),
            (false, true) => line(
                Verdict::Note,
                format!("the public base URL {base} is plain HTTP: fine for development only"),
            ),
            (false, false) => line(
                Verdict::Fail,
                format!("the public base URL {base} is not HTTPS: set PUBLIC_BASE_URL=https://…"),
            ),
        },
    );
    lines.extend(secrets_check(settings, on_sandbox));
    lines
}

/// The URLs to register with Hint, and whether a code appended to the redirect URL lands.
fn urls_and_landing(settings: &Settings, base: &str) -> Vec<CheckLine> {
    let mut lines = vec![
        line(
            Verdict::Note,
            format!("redirect URL to register with Hint: {base}{}", settings.connect.redirect_path),
        ),
        line(
            Verdict::Note,
            format!("webhook URL to register with Hint: {base}{WEBHOOKS_PATH}"),
        ),
        line(
            Verdict::Note,
            format!("handshake URL: {base}{HANDSHAKE_PATH}; settings anchor: {base}{EMBEDDED_SETTINGS_PATH}"),
        ),
    ];
    lines.push(landing_check(base, &settings.connect.redirect_path));
    lines.push(audit_redirect(&settings.connect.redirect_path));
    lines.push(line(
        Verdict::Note,
        format!(
            "register the settings anchor as {base}{EMBEDDED_SETTINGS_PATH} with a settings_label \
             (Hint's audit 3.8: without one the tab shows the app's generic name)"
        ),
    ));
    lines.push(client_addresses(settings));
    lines
}

/// A warning when a PostgreSQL `DATABASE_URL` leaves the machine without `sslmode=verify-full`
/// (the only mode that checks both the certificate and the host name: `require` encrypts but
/// lets anyone on the way answer with any certificate).
fn database_tls(url: &str) -> Option<CheckLine> {
    let parsed = reqwest::Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "postgres" | "postgresql") {
        return None;
    }
    let host = parsed.host_str().unwrap_or_default();
    let local = host.is_empty() || matches!(host, "localhost" | "127.0.0.1" | "[::1]" | "::1");
    let mode = parsed
        .query_pairs()
        .find(|(key, _)| key == "sslmode")
        .map(|(_, value)| value.into_owned());
    if local || mode.as_deref() == Some("verify-full") {
        return None;
    }
    Some(line(
        Verdict::Note,
        format!(
            "warning: DATABASE_URL reaches {host} without sslmode=verify-full (it has {}): add \
             ?sslmode=verify-full&sslrootcert=/path/to/the/ca.pem so the connection is encrypted \
             and the server proven (docs/operating.md)",
            mode.as_deref().unwrap_or("none")
        ),
    ))
}

/// Hint's audit (3.1) wants the registered redirect URL to end in `/` or `/hint/connect/`: the
/// path form passes it, the query form works but the audit marks it.
fn audit_redirect(redirect_path: &str) -> CheckLine {
    if redirect_path.ends_with('/') {
        line(
            Verdict::Ok,
            format!("REDIRECT_PATH {redirect_path} ends in / as Hint's audit (3.1) asks"),
        )
    } else {
        line(
            Verdict::Note,
            format!(
                "REDIRECT_PATH {redirect_path} works, but Hint's audit (3.1) wants the redirect URL \
                 to end in / or /hint/connect/: REDIRECT_PATH=/connect/ passes it"
            ),
        )
    }
}

/// Where the client's address comes from, which every limit and audit line keys on.
fn client_addresses(settings: &Settings) -> CheckLine {
    match &settings.http.trusted_proxies {
        Some(proxies) if !proxies.0.is_empty() => {
            let nets: Vec<String> = proxies.0.iter().map(ToString::to_string).collect();
            line(
                Verdict::Ok,
                format!(
                    "client addresses: from X-Forwarded-For on requests from {}",
                    nets.join(", ")
                ),
            )
        }
        Some(_) => line(
            Verdict::Ok,
            "client addresses: the TCP peer (TRUSTED_PROXIES=none: no proxy in front)",
        ),
        None => line(
            Verdict::Note,
            "client addresses: the TCP peer (TRUSTED_PROXIES is not set; production requires it)",
        ),
    }
}

/// Appends a code to the redirect URL exactly as Hint does (to the end of the string, nothing
/// added) and runs the app's own landing rule on the result.
fn landing_check(base: &str, redirect_path: &str) -> CheckLine {
    if !redirect_path.starts_with('/') {
        return line(
            Verdict::Fail,
            format!("REDIRECT_PATH {redirect_path:?} must start with /"),
        );
    }
    if !redirect_path.contains('?') && !redirect_path.ends_with('/') {
        return line(
            Verdict::Fail,
            format!(
                "REDIRECT_PATH {redirect_path:?} would run Hint's code into its last word (\"{redirect_path}{SAMPLE_CODE}\"): end a path form with /, like /connect/"
            ),
        );
    }
    let arrived = format!("{base}{redirect_path}{SAMPLE_CODE}");
    let Ok(uri) = arrived.parse::<Uri>() else {
        return line(
            Verdict::Fail,
            format!("{arrived} is not a URL a browser could follow"),
        );
    };
    match landing_code(redirect_path, &uri) {
        Some(code) if code == SAMPLE_CODE => line(
            Verdict::Ok,
            format!("a code appended the way Hint does ({arrived}) reaches the landing"),
        ),
        _ => line(
            Verdict::Fail,
            format!(
                "a code appended to {base}{redirect_path} would not reach the landing: use /signup?code= or a path ending in /, like /connect/"
            ),
        ),
    }
}

fn secrets_check(settings: &Settings, on_sandbox: bool) -> Vec<CheckLine> {
    if on_sandbox || (settings.is_development() && settings.hint.api_base_url.is_none()) {
        return vec![line(
            Verdict::Note,
            "the built-in Hint sandbox plays Hint (development mode)",
        )];
    }
    let set = |name: &str, present: bool| {
        if present {
            line(Verdict::Ok, format!("{name} is set"))
        } else {
            line(
                Verdict::Fail,
                format!("{name} is not set: Hint's calls to us cannot be checked without it"),
            )
        }
    };
    vec![
        set(
            "HINT_PARTNER_API_KEY",
            settings.hint.partner_api_key.is_some(),
        ),
        set(
            "HINT_WEBHOOK_SECRET",
            settings.hint.webhook_secret.is_some(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remote_database_without_verify_full_is_warned_about() {
        let warned = |url: &str| database_tls(url).is_some();
        assert!(warned("postgres://app:pw@db.internal:5432/pc"));
        assert!(warned("postgres://app:pw@db.internal/pc?sslmode=require"));
        assert!(!warned(
            "postgres://app:pw@db.internal/pc?sslmode=verify-full&sslrootcert=/etc/ca.pem"
        ));
        assert!(!warned("postgres://app@127.0.0.1:5432/pc"));
        assert!(!warned("postgres://app@localhost/pc"));
        assert!(!warned("sqlite://data/app.db"));
    }

    #[test]
    fn both_redirect_forms_land_and_broken_ones_are_named() {
        let base = "https://connect.partner.example";
        for good in ["/signup?code=", "/connect/", "/a/b?x=1&code="] {
            assert_eq!(landing_check(base, good).verdict, Verdict::Ok, "{good}");
        }
        for bad in ["/signup?code", "signup?code=", "/signup"] {
            assert_eq!(landing_check(base, bad).verdict, Verdict::Fail, "{bad}");
        }
    }

    #[test]
    fn the_path_form_passes_hints_audit_and_the_query_form_is_told_so() {
        assert_eq!(audit_redirect("/connect/").verdict, Verdict::Ok);
        assert_eq!(audit_redirect("/hint/connect/").verdict, Verdict::Ok);
        let query = audit_redirect("/signup?code=");
        assert_eq!(query.verdict, Verdict::Note);
        assert!(
            query.text.contains("REDIRECT_PATH=/connect/"),
            "{}",
            query.text
        );
    }
}
