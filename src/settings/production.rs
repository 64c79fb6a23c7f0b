//! The rules production must meet before the server starts: anything but development fails
//! closed, naming every missing or unsafe setting at once.

use secrecy::ExposeSecret;

use super::mail::transport_is_private;
use super::Settings;

impl Settings {
    /// What production needs that is missing or unsafe, one line per setting (empty when all
    /// is well).
    pub fn production_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut problem = |text: &str| problems.push(text.to_owned());
        match self.hint.api_base_url.as_deref() {
            None => problem("HINT_API_BASE_URL is not set (Hint's API, e.g. https://api.hint.com)"),
            Some(url) if !url.starts_with("https://") => {
                problem("HINT_API_BASE_URL must start with https://")
            }
            Some(_) => {}
        }
        if self.hint.partner_api_key.is_none() {
            problem("HINT_PARTNER_API_KEY is not set");
        }
        if self.hint.webhook_secret.is_none() {
            problem("HINT_WEBHOOK_SECRET is not set");
        }
        if self.security.encryption_keys.is_none() {
            problem(
                "ENCRYPTION_KEYS is not set (`practice-connect keys generate --id k1` makes one)",
            );
        }
        if self.hint.frame_ancestors.is_some() && self.hint.frame_ancestor_origin().is_none() {
            problem("HINT_FRAME_ANCESTORS must be one origin, like https://app.hint.com");
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
}
