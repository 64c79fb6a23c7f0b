//! Production mode fails closed: the real binary refuses to start without each setting
//! production needs, and says which.

use std::process::Command;

use crate::helpers::unique_name;

pub const REQUIRED: [(&str, &str); 9] = [
    ("HINT_API_BASE_URL", "https://api.hint.example"),
    ("HINT_PARTNER_API_KEY", "pk_test_something"),
    ("HINT_WEBHOOK_SECRET", "whsec_something_long_enough"),
    (
        "ENCRYPTION_KEYS",
        "k1:doGR/hJ7wsQhnSj3TNcqJwWMT2fwZSL7QwyqvgCHUL0=",
    ),
    ("PUBLIC_BASE_URL", "https://partner.example"),
    ("SMTP_URL", "smtps://mailer:secret@mail.partner.example:465"),
    ("MAIL_FROM", "Partner <connect@partner.example>"),
    ("TRUSTED_PROXIES", "127.0.0.1/32"),
    (
        "HINT_FRAME_ANCESTORS",
        "https://app.hint.example https://app.staging.hint.example",
    ),
];

/// Runs the binary with `args` and only the environment `settings` (nothing inherited); returns
/// whether it succeeded and everything it printed.
pub fn run(settings: &[(&str, &str)], args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_practice-connect"))
        .env_clear()
        .current_dir(std::env::temp_dir())
        .envs(settings.iter().copied())
        .args(args)
        .output()
        .expect("the binary runs");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), printed)
}

/// Runs `practice-connect serve` in production mode with `settings` only; returns whether it
/// failed and what it printed.
fn serve_with(settings: &[(&str, &str)]) -> (bool, String) {
    let scratch = std::env::temp_dir().join(unique_name("pc-prod"));
    let database = format!("sqlite://{}/app.db", scratch.display());
    let data_dir = scratch.join("data").display().to_string();
    let mut all = vec![
        ("APP_ENV", "production"),
        ("DATABASE_URL", database.as_str()),
        ("DATA_DIR", data_dir.as_str()),
        ("LEPTOS_SITE_ADDR", "127.0.0.1:0"),
    ];
    all.extend_from_slice(settings);
    let (succeeded, printed) = run(&all, &["serve"]);
    let _ = std::fs::remove_dir_all(&scratch);
    (!succeeded, printed)
}

#[test]
fn serve_in_production_without_any_setting_refuses_and_names_them_all() {
    let (failed, printed) = serve_with(&[]);
    assert!(failed, "{printed}");
    for (name, _) in REQUIRED {
        assert!(printed.contains(name), "{name} missing from: {printed}");
    }
    assert!(!printed.contains("listening"), "{printed}");
}

#[test]
fn serve_in_production_without_each_setting_refuses_and_names_it() {
    for (missing, _) in REQUIRED {
        let settings: Vec<(&str, &str)> = REQUIRED
            .iter()
            .copied()
            .filter(|(name, _)| *name != missing)
            .collect();
        let (failed, printed) = serve_with(&settings);
        assert!(failed, "started without {missing}: {printed}");
        assert!(printed.contains(missing), "{missing} not named: {printed}");
        for (present, _) in settings {
            assert!(
                !printed.contains(&format!("{present} is not set")),
                "{present} wrongly named: {printed}"
            );
        }
    }
}

#[test]
fn plain_http_addresses_are_refused_in_production() {
    let mut settings = REQUIRED.to_vec();
    settings.retain(|(name, _)| *name != "PUBLIC_BASE_URL");
    settings.push(("PUBLIC_BASE_URL", "http://partner.example"));
    let (failed, printed) = serve_with(&settings);
    assert!(failed);
    assert!(
        printed.contains("PUBLIC_BASE_URL must start with https://"),
        "{printed}"
    );
}

#[test]
fn mail_in_the_clear_to_another_machine_is_refused_in_production() {
    let mut settings = REQUIRED.to_vec();
    settings.retain(|(name, _)| *name != "SMTP_URL");
    settings.push(("SMTP_URL", "smtp://mailer:secret@mail.partner.example:587"));
    let (failed, printed) = serve_with(&settings);
    assert!(failed);
    assert!(printed.contains("SMTP_URL must use TLS"), "{printed}");
    assert!(
        !printed.contains("mailer:secret"),
        "the URL's password is never printed: {printed}"
    );
}

#[test]
fn hint_s_own_setting_names_count_as_ours() {
    let settings = [
        ("HINT_API_URL", "https://api.hint.example"),
        ("HINT_API_KEY", "pk_test_something"),
        ("HINT_WEBHOOK_SECRET", "whsec_something_long_enough"),
        ("PUBLIC_BASE_URL", "https://partner.example"),
        (
            "HINT_FRAME_ANCESTORS",
            "https://app.hint.example; script-src *",
        ),
    ];
    let (failed, printed) = serve_with(&settings);
    assert!(failed, "{printed}");
    assert!(printed.contains("ENCRYPTION_KEYS is not set"), "{printed}");
    assert!(
        !printed.contains("HINT_API_BASE_URL is not set"),
        "{printed}"
    );
    assert!(
        !printed.contains("HINT_PARTNER_API_KEY is not set"),
        "{printed}"
    );
    assert!(
        printed.contains("HINT_FRAME_ANCESTORS must be up to 4 bare origins"),
        "{printed}"
    );
}

#[test]
fn hint_s_name_and_ours_set_to_two_values_refuse_to_start_in_any_mode() {
    for app_env in ["production", "development"] {
        let settings = [
            ("APP_ENV", app_env),
            ("HINT_API_URL", "https://api.hint.example"),
            ("HINT_API_BASE_URL", "https://api.elsewhere.example"),
            ("HINT_API_KEY", "pk_test_something"),
            ("HINT_PARTNER_API_KEY", "pk_test_something"),
        ];
        let (failed, printed) = serve_with(&settings);
        assert!(failed, "{app_env}: {printed}");
        assert!(
            printed.contains("HINT_API_BASE_URL and HINT_API_URL are both set"),
            "{app_env}: {printed}"
        );
        assert!(
            !printed.contains("HINT_PARTNER_API_KEY and HINT_API_KEY"),
            "the same key twice is fine"
        );
    }
}

#[test]
fn seed_refuses_to_write_made_up_rows_outside_development() {
    let seed = |scratch: &std::path::Path, app_env: &str, extra: &[&str]| {
        let database = format!("sqlite://{}/app.db", scratch.display());
        let data_dir = scratch.join("data").display().to_string();
        let settings = [
            ("APP_ENV", app_env),
            ("DATABASE_URL", database.as_str()),
            ("DATA_DIR", data_dir.as_str()),
        ];
        let mut args = vec!["seed", "--connections", "3"];
        args.extend_from_slice(extra);
        run(&settings, &args)
    };
    let (first, second) = (
        std::env::temp_dir().join(unique_name("pc-seed")),
        std::env::temp_dir().join(unique_name("pc-seed")),
    );
    let (ok, printed) = seed(&first, "production", &[]);
    assert!(!ok && printed.contains("APP_ENV=development"), "{printed}");
    let (ok, printed) = seed(&first, "development", &[]);
    assert!(ok && printed.contains("added 3"), "{printed}");
    let (ok, printed) = seed(&first, "development", &[]);
    assert!(
        !ok && printed.contains("has 3 connections already"),
        "{printed}"
    );
    // In production no command migrates by itself: `migrate` first, as an operator does.
    let (ok, printed) = seed(&second, "production", &["--force"]);
    assert!(
        !ok && printed.contains("practice-connect migrate"),
        "{printed}"
    );
    let database = format!("sqlite://{}/app.db", second.display());
    let (migrated, printed) = run(
        &[
            ("APP_ENV", "production"),
            ("DATABASE_URL", database.as_str()),
        ],
        &["migrate"],
    );
    assert!(migrated, "{printed}");
    let (ok, printed) = seed(&second, "production", &["--force"]);
    assert!(ok && printed.contains("added 3"), "{printed}");
    for scratch in [first, second] {
        let _ = std::fs::remove_dir_all(scratch);
    }
}

/// Runs `practice-connect check` with `settings` only; whether it passed, and what it printed.
fn check_with(settings: &[(&str, &str)]) -> (bool, String) {
    run(settings, &["check"])
}

#[test]
fn check_names_what_to_register_and_fails_on_a_plain_http_public_url() {
    let mut settings = REQUIRED.to_vec();
    settings.retain(|(name, _)| *name != "PUBLIC_BASE_URL");
    settings.push(("PUBLIC_BASE_URL", "http://partner.example"));
    let (passed, printed) = check_with(&settings);
    assert!(!passed, "{printed}");
    assert!(
        printed.contains("FAIL PUBLIC_BASE_URL must start with https://"),
        "{printed}"
    );

    let (passed, printed) = check_with(&REQUIRED);
    assert!(passed, "{printed}");
    for expected in [
        "note redirect URL to register with Hint: https://partner.example/signup?code=",
        "note webhook URL to register with Hint: https://partner.example/hint/webhooks",
        "ok   a code appended the way Hint does",
        "ok   every production setting is there",
    ] {
        assert!(printed.contains(expected), "{expected} in {printed}");
    }

    let mut broken = REQUIRED.to_vec();
    broken.push(("REDIRECT_PATH", "/connect"));
    let (passed, printed) = check_with(&broken);
    assert!(!passed);
    assert!(printed.contains("end a path form with /"), "{printed}");
}
