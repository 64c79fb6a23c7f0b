//! Provider accounts: validated newtypes and the forms' data.
//!
//! The same parsers run in the browser (instant feedback) and on the server (the real check), so
//! a value of these types is always valid.

use serde::{Deserialize, Serialize};

/// Shortest password accepted (NIST SP 800-63B).
pub const PASSWORD_MIN: usize = 8;
/// Longest password accepted; long enough for passphrases, short enough to bound hashing work.
pub const PASSWORD_MAX: usize = 128;

/// An email address, trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    /// Accepts `local@domain.tld` shapes; the mailbox itself is not verified.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if valid {
            Ok(Self(email))
        } else {
            Err("Enter an email address like name@practice.com.".into())
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's name as they want it shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName(String);

impl PersonName {
    /// A plain name, as it opens every email we send: 1 to 100 characters after trimming, of
    /// letters (any script), spaces and `. , ' - ’`, with no dot between a letter and two more
    /// (a domain, not an initial). So no
    /// line breaks, digits, links or addresses: a name cannot turn our mail into someone
    /// else's message.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        let count = name.chars().count();
        if count == 0 {
            return Err("Enter your name.".into());
        }
        if count > 100 {
            return Err("Your name must be at most 100 characters.".into());
        }
        let chars: Vec<char> = name.chars().collect();
        let plain = chars.iter().enumerate().all(|(i, &c)| match c {
            // `M.D.` is a name; `evil.example` is an address.
            '.' => {
                !(i > 0
                    && chars[i - 1].is_alphabetic()
                    && chars[i + 1..]
                        .iter()
                        .take(2)
                        .filter(|c| c.is_alphabetic())
                        .count()
                        == 2)
            }
            ' ' | ',' | '\'' | '-' | '’' => true,
            c => c.is_alphabetic(),
        });
        if !plain {
            return Err(
                "Use letters for your name (spaces and . , ' - are fine too; no links or numbers)."
                    .into(),
            );
        }
        Ok(Self(name))
    }

    /// A name made from an email address's local part (`ana.ruiz@…` is "ana ruiz"), for staff
    /// added without one.
    pub fn from_email(email: &Email) -> Self {
        let local = email.as_str().split('@').next().unwrap_or_default();
        let words: Vec<&str> = local
            .split(|c: char| !c.is_alphabetic())
            .filter(|word| !word.is_empty())
            .collect();
        Self::parse(&words.join(" ")).unwrap_or_else(|_| Self("Staff member".into()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: length rules only, no composition rules.
pub struct NewPassword(String);

impl NewPassword {
    /// 8 to 128 characters, any characters.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let length = raw.chars().count();
        if length < PASSWORD_MIN {
            Err(format!(
                "Use at least {PASSWORD_MIN} characters for your password."
            ))
        } else if length > PASSWORD_MAX {
            Err(format!(
                "Use at most {PASSWORD_MAX} characters for your password."
            ))
        } else {
            Ok(Self(raw.to_owned()))
        }
    }

    /// The password, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

/// The logged-in provider, as the browser sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: String,
    pub name: String,
    pub email: String,
    /// Whether the owner of `email` proved it by opening a link we sent there.
    #[serde(default)]
    pub email_verified: bool,
}

/// One signed-in browser of the provider's account, for their sessions list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSession {
    /// A handle for ending it (a hash of the session's stored key, never the cookie).
    pub handle: String,
    /// The browser and system, as its user agent names them.
    pub device: String,
    pub ip: Option<String>,
    pub signed_in_at: Option<i64>,
    pub last_seen_at: Option<i64>,
    /// The browser asking.
    pub current: bool,
}

/// The account page: who, and where they are signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountOverview {
    pub user: CurrentUser,
    pub sessions: Vec<AccountSession>,
    /// Now, by the server's clock (for "5 minutes ago").
    pub now: i64,
}

/// Who a browser is signed in as, for the page header: a provider, a staff member, both, or
/// nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub provider: Option<CurrentUser>,
    pub staff: Option<super::staff::StaffMember>,
    /// The server runs in development mode (the built-in sandbox may play Hint): every page
    /// says so.
    pub development: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Ana.Ruiz@Example.COM ").unwrap().as_str(),
            "ana.ruiz@example.com"
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a b@example.com",
            "a@b@c.com",
            "ana@.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn passwords_need_8_to_128_characters_and_nothing_else() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("lowercaseonly").is_ok());
        assert!(NewPassword::parse(&"x".repeat(128)).is_ok());
        assert!(NewPassword::parse(&"x".repeat(129)).is_err());
        assert!(
            NewPassword::parse("ünïcødé!").is_ok(),
            "8 characters, more bytes"
        );
    }

    #[test]
    fn passwords_never_show_in_debug_output() {
        let password = NewPassword::parse("correct-horse").unwrap();
        assert!(!format!("{password:?}").contains("horse"));
    }

    #[test]
    fn names_are_required() {
        assert!(PersonName::parse("   ").is_err());
        assert_eq!(
            PersonName::parse(" Dr. Ana Ruiz ").unwrap().as_str(),
            "Dr. Ana Ruiz"
        );
    }

    #[test]
    fn a_name_is_a_plain_name_and_nothing_a_spammer_can_use() {
        for name in [
            "Zoë O'Brien-Núñez",
            "José María",
            "李小龙",
            "Ana Ruiz, M.D.",
            "Ana Ruiz MD.",
        ] {
            assert!(PersonName::parse(name).is_ok(), "{name}");
        }
        for name in [
            "Win a prize at https://evil.example",
            "visit evil.example",
            "Ana\nYour account is locked, call 555 0100",
            "Ana\r\nBcc: victim@example.com",
            "<b>Ana</b>",
            "Ana 555-0100",
            "ana@evil.example",
        ] {
            assert!(PersonName::parse(name).is_err(), "{name:?}");
        }
        assert_eq!(
            PersonName::parse("Ana   \t Ruiz").unwrap().as_str(),
            "Ana Ruiz",
            "white space folds to one space"
        );
    }

    #[test]
    fn a_staff_name_from_an_email() {
        let email = Email::parse("ana.ruiz2@partner.example").unwrap();
        assert_eq!(PersonName::from_email(&email).as_str(), "ana ruiz");
    }
}
