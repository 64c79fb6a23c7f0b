//! Encryption at rest for practice API keys and pending authorization codes.
//!
//! XChaCha20-Poly1305 (random 24-byte nonces are safe at any volume) with a key id stored beside
//! each ciphertext, so keys can rotate: new data uses the first key, old data stays readable
//! while its key is still configured, and `keys rotate` re-encrypts. The row's id and the
//! secret's purpose are the associated data, so a ciphertext copied to another row or column
//! does not decrypt.

use std::collections::HashMap;
use std::path::Path;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

const NONCE_LEN: usize = 24;

/// What a secret is, bound into its ciphertext.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    /// A pending authorization code.
    AuthCode,
    /// A practice API key.
    PracticeKey,
    /// A staff member's authenticator (TOTP) secret.
    StaffFactor,
    /// An outgoing email's body, until it is sent.
    Mail,
    /// What an email's unsubscribe link turns off (sealed so it cannot be forged or altered).
    Unsubscribe,
    /// An event endpoint's signing secret.
    EventSecret,
}

impl Purpose {
    fn label(self) -> &'static str {
        match self {
            Self::AuthCode => "auth_code",
            Self::PracticeKey => "practice_key",
            Self::StaffFactor => "staff_factor",
            Self::Mail => "mail",
            Self::Unsubscribe => "unsubscribe",
            Self::EventSecret => "event_secret",
        }
    }
}

/// Why keys could not be loaded or a secret could not be decrypted.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// `ENCRYPTION_KEYS` is not `id:base64key[,…]` with 32-byte keys.
    #[error("ENCRYPTION_KEYS must be id:base64key[,id:base64key…] with 32-byte keys")]
    BadKeys,
    /// A key in `ENCRYPTION_KEYS` is not random (a run of one byte, or a few repeated).
    #[error("ENCRYPTION_KEYS holds a key that is not random: make one with `practice-connect keys generate`")]
    WeakKey,
    /// No `ENCRYPTION_KEYS` outside development.
    #[error("ENCRYPTION_KEYS is not set (a generated key is for development only)")]
    NotConfigured,
    /// The development key file could not be read or written.
    #[error("development key file: {0}")]
    KeyFile(#[from] std::io::Error),
    /// The ciphertext names a key that is not configured.
    #[error("no encryption key with id {0}")]
    UnknownKey(String),
    /// Tampered data, the wrong row, or the wrong key.
    #[error("could not decrypt")]
    Decrypt,
}

/// The development key in `data_dir`, made on first use: the folder `0700`, the file created
/// exclusively with mode `0600`, and a symlink in its place refused (it could point the key
/// anywhere, or at a file an attacker controls).
fn dev_key(data_dir: &Path) -> Result<SecretString, CryptoError> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};

    let path = data_dir.join("dev-encryption.key");
    let refuse_links = |path: &Path| match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(std::io::Error::other(format!(
            "{} is a symlink; refusing to use it as the development key",
            path.display()
        ))),
        _ => Ok(()),
    };
    refuse_links(data_dir)?;
    refuse_links(&path)?;
    if !path.exists() {
        let mut folder = std::fs::DirBuilder::new();
        folder.recursive(true);
        #[cfg(unix)]
        folder.mode(0o700);
        folder.create(data_dir)?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        options.mode(0o600);
        let mut file = options.open(&path)?;
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        file.write_all(format!("dev:{}\n", BASE64.encode(key)).as_bytes())?;
        tracing::warn!(path = %path.display(), "development mode without ENCRYPTION_KEYS: made a development key");
    }
    Ok(SecretString::from(std::fs::read_to_string(&path)?))
}

/// The configured encryption keys.
pub struct Keyring {
    active: String,
    keys: HashMap<String, XChaCha20Poly1305>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("active", &self.active)
            .field("ids", &self.keys.keys())
            .finish()
    }
}

impl Keyring {
    /// Parses `id:base64key[,id:base64key…]`; the first key encrypts.
    pub fn parse(spec: &SecretString) -> Result<Self, CryptoError> {
        let mut active = None;
        let mut keys = HashMap::new();
        for entry in spec
            .expose_secret()
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let (id, encoded) = entry.split_once(':').ok_or(CryptoError::BadKeys)?;
            let bytes = BASE64
                .decode(encoded.trim())
                .map_err(|_| CryptoError::BadKeys)?;
            if !looks_random(&bytes) {
                return Err(CryptoError::WeakKey);
            }
            let cipher =
                XChaCha20Poly1305::new_from_slice(&bytes).map_err(|_| CryptoError::BadKeys)?;
            let id = id.trim();
            if id.is_empty() || keys.insert(id.to_owned(), cipher).is_some() {
                return Err(CryptoError::BadKeys);
            }
            active.get_or_insert_with(|| id.to_owned());
        }
        let active = active.ok_or(CryptoError::BadKeys)?;
        Ok(Self { active, keys })
    }

    /// The keys from `ENCRYPTION_KEYS`; in development (`allow_dev_key`) without it, a
    /// development key kept in `data_dir`.
    pub fn load(
        configured: Option<&SecretString>,
        data_dir: &Path,
        allow_dev_key: bool,
    ) -> Result<Self, CryptoError> {
        match configured {
            Some(spec) => Self::parse(spec),
            None if allow_dev_key => Self::parse(&dev_key(data_dir)?),
            None => Err(CryptoError::NotConfigured),
        }
    }

    /// A fresh random key spec, for `keys generate`.
    pub fn generate_spec(id: &str) -> String {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        format!("{id}:{}", BASE64.encode(key))
    }

    /// The id of the key new data is encrypted with.
    pub fn active_id(&self) -> &str {
        &self.active
    }

    /// Encrypts `plaintext` for row `row_id`; returns the ciphertext (nonce first) and the key id.
    pub fn encrypt(&self, purpose: Purpose, row_id: &str, plaintext: &str) -> (Vec<u8>, String) {
        let cipher = &self.keys[&self.active];
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let aad = associated_data(purpose, row_id);
        // Encryption only fails for inputs beyond 256 GiB.
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: &aad,
                },
            )
            .expect("a secret fits the cipher's size limit");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        (out, self.active.clone())
    }

    /// Decrypts what `encrypt` made for the same purpose and row.
    pub fn decrypt(
        &self,
        purpose: Purpose,
        row_id: &str,
        key_id: &str,
        data: &[u8],
    ) -> Result<SecretString, CryptoError> {
        let cipher = self
            .keys
            .get(key_id)
            .ok_or_else(|| CryptoError::UnknownKey(key_id.to_owned()))?;
        if data.len() < NONCE_LEN {
            return Err(CryptoError::Decrypt);
        }
        let (nonce, sealed) = data.split_at(NONCE_LEN);
        let aad = associated_data(purpose, row_id);
        let plain = cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::Decrypt)?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| CryptoError::Decrypt)
    }
}

/// Whether 32 key bytes could have come from a random source: such a key has about 30 distinct
/// byte values, and fewer than 16 happens with odds below 2^-100. A typed pattern (all zeros,
/// "0123…" repeated) has far fewer.
fn looks_random(bytes: &[u8]) -> bool {
    let distinct: std::collections::HashSet<u8> = bytes.iter().copied().collect();
    distinct.len() >= 16
}

fn associated_data(purpose: Purpose, row_id: &str) -> Vec<u8> {
    format!("practice-connect:{}:{row_id}", purpose.label()).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("pc-crypto-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_rolling_rotation_reads_everything_at_every_step() {
        let (old, new) = (Keyring::generate_spec("k1"), Keyring::generate_spec("k2"));
        let ring = |spec: String| Keyring::parse(&SecretString::from(spec)).unwrap();
        // The order docs/operating.md gives, as instances restart one by one: the new key added
        // after the old (it decrypts only), then first (it encrypts), then the old one removed
        // once `keys rotate` re-encrypted everything.
        let steps = [
            ring(old.clone()),
            ring(format!("{old},{new}")),
            ring(format!("{new},{old}")),
        ];
        assert_eq!(
            steps[1].active_id(),
            "k1",
            "a key added after the first only decrypts"
        );
        assert_eq!(steps[2].active_id(), "k2");
        // Instances one step apart read what the other wrote.
        for pair in steps.windows(2) {
            for (writer, reader) in [(&pair[0], &pair[1]), (&pair[1], &pair[0])] {
                let (sealed, key_id) = writer.encrypt(Purpose::PracticeKey, "row", "secret");
                let opened = reader.decrypt(Purpose::PracticeKey, "row", &key_id, &sealed);
                assert_eq!(opened.unwrap().expose_secret(), "secret");
            }
        }
    }

    #[cfg(unix)]
    #[test]
    fn the_development_key_is_made_private_and_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("mode").join("data");
        let first = Keyring::load(None, &dir, true).unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.join("dev-encryption.key")), 0o600);
        assert_eq!(mode(&dir), 0o700);
        let (sealed, key_id) = first.encrypt(Purpose::PracticeKey, "row", "secret");
        let again = Keyring::load(None, &dir, true).unwrap();
        assert!(again
            .decrypt(Purpose::PracticeKey, "row", &key_id, &sealed)
            .is_ok());
        std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_symlink_is_refused_as_the_development_key() {
        let dir = scratch("link");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("attacker.key"),
            "dev:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        )
        .unwrap();
        std::os::unix::fs::symlink(dir.join("attacker.key"), dir.join("dev-encryption.key"))
            .unwrap();
        assert!(Keyring::load(None, &dir, true).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn outside_development_a_generated_key_is_refused() {
        let dir = scratch("prod");
        assert!(matches!(
            Keyring::load(None, &dir, false),
            Err(CryptoError::NotConfigured)
        ));
        assert!(!dir.exists(), "nothing was written");
    }

    fn keyring(spec: &str) -> Keyring {
        Keyring::parse(&SecretString::from(spec.to_owned())).unwrap()
    }

    #[test]
    fn a_typed_key_is_refused_as_not_random() {
        let zeros = "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        let pattern = format!("k1:{}", BASE64.encode(b"passwordpasswordpasswordpassword"));
        for spec in [zeros, pattern.as_str()] {
            assert!(matches!(
                Keyring::parse(&SecretString::from(spec.to_owned())),
                Err(CryptoError::WeakKey)
            ));
        }
        for _ in 0..100 {
            assert!(Keyring::parse(&SecretString::from(Keyring::generate_spec("k1"))).is_ok());
        }
    }

    #[test]
    fn a_secret_round_trips_for_its_row() {
        let keys = keyring(&Keyring::generate_spec("k1"));
        let (sealed, key_id) = keys.encrypt(Purpose::PracticeKey, "row-1", "IpT6ucPNhRhDEeZ");
        assert_eq!(key_id, "k1");
        assert!(!String::from_utf8_lossy(&sealed).contains("IpT6ucPNhRhDEeZ"));
        let opened = keys
            .decrypt(Purpose::PracticeKey, "row-1", &key_id, &sealed)
            .unwrap();
        assert_eq!(opened.expose_secret(), "IpT6ucPNhRhDEeZ");
    }

    #[test]
    fn a_ciphertext_moved_to_another_row_or_purpose_does_not_open() {
        let keys = keyring(&Keyring::generate_spec("k1"));
        let (sealed, key_id) = keys.encrypt(Purpose::PracticeKey, "row-1", "secret");
        assert!(keys
            .decrypt(Purpose::PracticeKey, "row-2", &key_id, &sealed)
            .is_err());
        assert!(keys
            .decrypt(Purpose::AuthCode, "row-1", &key_id, &sealed)
            .is_err());
    }

    #[test]
    fn old_keys_still_decrypt_after_a_new_key_is_put_first() {
        let old = Keyring::generate_spec("old");
        let (sealed, key_id) = keyring(&old).encrypt(Purpose::AuthCode, "r", "code");
        let rotated = keyring(&format!("{},{old}", Keyring::generate_spec("new")));
        assert_eq!(rotated.active_id(), "new");
        assert_eq!(
            rotated
                .decrypt(Purpose::AuthCode, "r", &key_id, &sealed)
                .unwrap()
                .expose_secret(),
            "code"
        );
    }

    #[test]
    fn malformed_key_specs_are_refused() {
        for bad in [
            "",
            "nokey",
            "k1:not-base64!",
            "k1:c2hvcnQ=",
            "a:AAAA,a:AAAA",
        ] {
            assert!(
                Keyring::parse(&SecretString::from(bad.to_owned())).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn tampering_is_detected() {
        let keys = keyring(&Keyring::generate_spec("k1"));
        let (mut sealed, key_id) = keys.encrypt(Purpose::PracticeKey, "row", "secret");
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(keys
            .decrypt(Purpose::PracticeKey, "row", &key_id, &sealed)
            .is_err());
    }
}
