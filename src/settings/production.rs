//! The rules production must meet before the server starts: anything but development fails
//! closed, naming every missing or unsafe setting at once.

use secrecy::ExposeSecret;

use super::mail::transport_is_private;
use super::Settings;

/// The shortest webhook signing key production accepts: 128 bits if random.
const WEBHOOK_SECRET_MIN: usize = 16;

impl Settings {
    /// What production needs that is missing or unsafe, one line per setting (empty when all
    /// is well).
    pub fn production_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut problem = |text: &str| problems.push(text.to_owned());
        for conflict in &self.hint.alias_conflicts {
            problem(conflict);
        }
        match self.hint.api_base_url.as_deref() {
            None => problem("HINT_API_BASE_URL is not set (Hint's API, e.g. https://api.hint.com)"),
            Some(url) if !url.starts_with("https://") => {
                problem("HINT_API_BASE_URL must start with https://")
            }
            Some(_) => {}
        }
        let blank = |secret: &Option<secrecy::SecretString>| {
            secret
                .as_ref()
                .is_none_or(|value| value.expose_secret().trim().is_empty())
        };
        if blank(&self.hint.partner_api_key) {
            problem("HINT_PARTNER_API_KEY is not set");
        }
        match &self.hint.webhook_secret {
            secret if blank(secret) => problem("HINT_WEBHOOK_SECRET is not set"),
            Some(secret)
                if secret
                    .expose_secret()
                    .split(',')
                    .any(|part| part.trim().chars().count() < WEBHOOK_SECRET_MIN) =>
            {
                problem(&format!(
                    "HINT_WEBHOOK_SECRET is too short: a signing key needs at least \
                     {WEBHOOK_SECRET_MIN} characters (use the one Hint issued)"
                ))
            }
            _ => {}
        }
        if blank(&self.security.encryption_keys) {
            problem(
                "ENCRYPTION_KEYS is not set (`practice-connect keys generate --id k1` makes one)",
            );
        }
        // The handshake route is always served, so Hint's pages frame the settings surface.
        match (
            &self.hint.frame_ancestors,
            self.hint.frame_ancestor_origins(),
        ) {
            (None, _) => problem(
                "HINT_FRAME_ANCESTORS is not set (the origins of Hint's pages that frame \
                 /hint/settings, e.g. https://app.hint.com https://app.staging.hint.com)",
            ),
            (Some(_), None) => problem(
                "HINT_FRAME_ANCESTORS must be up to 4 bare origins, like https://app.hint.com",
            ),
            _ => {}
        }
        match self.mail.smtp_url.as_ref().map(ExposeSecret::expose_secret) {
            None => {
                problem("SMTP_URL is not set (password resets and verification links go by email)")
            }
            Some(url) if !transport_is_private(url) => problem(
                "SMTP_URL must use TLS off this machine: smtps://… or smtp://…?tls=required",
            ),
            Some(_) => {}
        }
        if self.mail.from.contains("@localhost") {
            problem("MAIL_FROM is not set (the sender of outgoing email)");
        }
        if self.http.trusted_proxies.is_none() {
            problem(
                "TRUSTED_PROXIES is not set (the reverse proxy's CIDR, e.g. 127.0.0.1/32, or `none` \
                 when clients reach the app directly)",
            );
        }
        match self.http.public_base_url.as_deref() {
            None => problem("PUBLIC_BASE_URL is not set (the https:// address users reach)"),
            Some(url) if !url.starts_with("https://") => {
                problem("PUBLIC_BASE_URL must start with https://")
            }
            Some(_) => {}
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::parse;

    #[test]
    fn defaults_name_every_production_setting_that_is_missing() {
        let problems = parse(&[]).production_problems().join("\n");
        for name in [
            "HINT_API_BASE_URL",
            "HINT_PARTNER_API_KEY",
            "HINT_WEBHOOK_SECRET",
            "ENCRYPTION_KEYS",
            "SMTP_URL",
            "MAIL_FROM",
            "PUBLIC_BASE_URL",
            "TRUSTED_PROXIES",
            "HINT_FRAME_ANCESTORS",
        ] {
            assert!(problems.contains(name), "{name} missing from: {problems}");
        }
    }

    #[test]
    fn plain_http_and_an_open_mail_relay_are_refused() {
        let settings = parse(&[
            "--hint-api-base-url",
            "http://api.hint.com",
            "--public-base-url",
            "http://partner.example",
            "--smtp-url",
            "smtp://mail.example.com:587",
        ]);
        let problems = settings.production_problems().join("\n");
        assert!(problems.contains("HINT_API_BASE_URL must start with https://"));
        assert!(problems.contains("PUBLIC_BASE_URL must start with https://"));
        assert!(problems.contains("SMTP_URL must use TLS"));
    }

    #[test]
    fn trusted_proxies_may_be_none_but_must_be_said() {
        let none = parse(&["--trusted-proxies", "none"])
            .production_problems()
            .join("\n");
        assert!(!none.contains("TRUSTED_PROXIES"), "{none}");
        let proxy = parse(&["--trusted-proxies", "127.0.0.1/32,10.0.0.0/8"]);
        assert_eq!(proxy.http.trusted_proxies().len(), 2);
        assert!(!proxy
            .production_problems()
            .join("\n")
            .contains("TRUSTED_PROXIES"));
    }

    #[test]
    fn empty_and_short_secrets_are_refused() {
        let problems = parse(&[
            "--hint-partner-api-key",
            " ",
            "--hint-webhook-secret",
            "short",
            "--encryption-keys",
            "",
        ])
        .production_problems()
        .join("\n");
        assert!(
            problems.contains("HINT_PARTNER_API_KEY is not set"),
            "{problems}"
        );
        assert!(
            problems.contains("HINT_WEBHOOK_SECRET is too short"),
            "{problems}"
        );
        assert!(
            problems.contains("ENCRYPTION_KEYS is not set"),
            "{problems}"
        );
    }
}
