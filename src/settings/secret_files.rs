//! Secrets read from files rather than the environment or the command line: for each secret
//! setting `NAME`, the file `NAME_FILE` names, or systemd's credential `NAME` (the file of that
//! name in `$CREDENTIALS_DIRECTORY`, from `LoadCredential=NAME:/path`). Read once at start-up,
//! before the settings are parsed, so every command takes them the same way; `NAME` set directly
//! and from a file at once is refused rather than one silently winning.

use std::path::{Path, PathBuf};

/// The settings that may come from a file.
pub const SECRETS: [&str; 5] = [
    "DATABASE_URL",
    "ENCRYPTION_KEYS",
    "HINT_PARTNER_API_KEY",
    "HINT_WEBHOOK_SECRET",
    "SMTP_URL",
];

/// The secrets found in files: `(NAME, value)` for each one not set directly. `env` reads a
/// variable; `read` reads a file.
pub fn found(
    env: impl Fn(&str) -> Option<String>,
    read: impl Fn(&Path) -> std::io::Result<String>,
) -> Result<Vec<(&'static str, String)>, String> {
    let credentials = env("CREDENTIALS_DIRECTORY").map(PathBuf::from);
    let mut values = Vec::new();
    for name in SECRETS {
        let named = env(&format!("{name}_FILE")).map(PathBuf::from);
        let credential = credentials
            .as_ref()
            .map(|folder| folder.join(name))
            .filter(|path| path.is_file());
        let file = match (named, credential) {
            (Some(_), Some(_)) => {
                return Err(format!(
                    "{name} is given as {name}_FILE and as a systemd credential: keep one"
                ))
            }
            (Some(path), None) | (None, Some(path)) => path,
            (None, None) => continue,
        };
        if env(name).is_some_and(|value| !value.is_empty()) {
            return Err(format!("{name} is set, and given as a file too: keep one"));
        }
        let text = read(&file)
            .map_err(|error| format!("{name}: cannot read {}: {error}", file.display()))?;
        let value = text.strip_suffix('\n').unwrap_or(&text);
        let value = value.strip_suffix('\r').unwrap_or(value);
        values.push((name, value.to_owned()));
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn with(
        vars: &[(&str, &str)],
        files: &[(&str, &str)],
    ) -> Result<Vec<(&'static str, String)>, String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let files: HashMap<PathBuf, String> = files
            .iter()
            .map(|(k, v)| (PathBuf::from(k), v.to_string()))
            .collect();
        found(
            |name| vars.get(name).cloned(),
            |path| {
                files
                    .get(path)
                    .cloned()
                    .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
            },
        )
    }

    #[test]
    fn a_file_gives_the_secret_without_its_last_newline() {
        let found = with(
            &[("ENCRYPTION_KEYS_FILE", "/run/keys")],
            &[("/run/keys", "k1:abc\n")],
        )
        .unwrap();
        assert_eq!(found, vec![("ENCRYPTION_KEYS", "k1:abc".to_owned())]);
        assert_eq!(with(&[], &[]).unwrap(), vec![]);
    }

    #[test]
    fn a_secret_given_twice_or_an_unreadable_file_is_refused() {
        let twice = with(
            &[("SMTP_URL", "smtps://a"), ("SMTP_URL_FILE", "/run/smtp")],
            &[("/run/smtp", "smtps://b")],
        );
        assert!(twice.unwrap_err().contains("SMTP_URL is set"));
        let missing = with(&[("HINT_WEBHOOK_SECRET_FILE", "/nowhere")], &[]);
        assert!(missing.unwrap_err().contains("/nowhere"));
    }
}
