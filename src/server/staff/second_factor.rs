//! The staff second factor: one authenticator app per staff member (RFC 6238 TOTP: SHA-1, six
//! digits, 30-second steps, one step of clock skew either way) and ten single-use recovery
//! codes. This module is the only writer of `staff_factors` and `staff_recovery_codes`.
//!
//! - The secret (160 random bits) is encrypted at rest like practice keys, and shown only while
//!   enrolment is unfinished: as a QR code drawn here as SVG, and as text to type.
//! - A code is accepted once: the newest accepted step is stored, and only a later step passes,
//!   so a code seen over a shoulder or in a proxy log is worthless after its use.
//! - Recovery codes carry 120 random bits each, so a SHA-256 of each is safe to store. Using one
//!   resets the factor: the staff member sets up a new authenticator (and gets new codes) at once.

use rand::RngCore;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, TOTP};

use crate::domain::staff::{Enrolment, StaffMember};
use crate::domain::AppError;
use crate::server::crypto::Purpose;
use crate::server::db::Db;
use crate::server::state::AppState;

/// Seconds per code.
const STEP_SECONDS: i64 = 30;
/// Recovery codes made at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// The name authenticator apps show beside the account.
const ISSUER: &str = "practice-connect";

/// How a second factor was proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// A code from the authenticator.
    Code,
    /// A recovery code, now used up; the authenticator was reset with it.
    RecoveryCode,
}

/// Whether `staff_id` has a working authenticator.
pub async fn is_enrolled(db: &Db, staff_id: &str) -> Result<bool, AppError> {
    let confirmed: Option<Option<i64>> =
        sqlx::query_scalar("SELECT confirmed_at FROM staff_factors WHERE staff_id = $1")
            .bind(staff_id)
            .fetch_optional(db.pool())
            .await?;
    Ok(matches!(confirmed, Some(Some(_))))
}

/// What is stored of `staff_id`'s authenticator: the secret, decrypted; whether it is confirmed;
/// the newest step a code was accepted for.
struct Factor {
    secret: Vec<u8>,
    confirmed: bool,
    last_step: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct FactorRow {
    secret_ciphertext: Vec<u8>,
    secret_key_id: String,
    confirmed_at: Option<i64>,
    last_step: Option<i64>,
}

/// The stored authenticator of `staff_id`, if any.
async fn factor(state: &AppState, staff_id: &str) -> Result<Option<Factor>, AppError> {
    let row: Option<FactorRow> = sqlx::query_as(
        "SELECT secret_ciphertext, secret_key_id, confirmed_at, last_step FROM staff_factors WHERE staff_id = $1",
    )
    .bind(staff_id)
    .fetch_optional(state.db.pool())
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let encoded = state
        .keys
        .decrypt(
            Purpose::StaffFactor,
            staff_id,
            &row.secret_key_id,
            &row.secret_ciphertext,
        )
        .map_err(|error| {
            tracing::error!(%error, "a staff authenticator secret could not be decrypted");
            AppError::Internal
        })?;
    let secret = base32_decode(encoded.expose_secret()).ok_or(AppError::Internal)?;
    Ok(Some(Factor {
        secret,
        confirmed: row.confirmed_at.is_some(),
        last_step: row.last_step,
    }))
}

fn base32_decode(text: &str) -> Option<Vec<u8>> {
    totp_rs::Secret::Encoded(text.to_owned()).to_bytes().ok()
}

fn totp(secret: Vec<u8>, account: &str) -> Result<TOTP, AppError> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECONDS as u64,
        secret,
        Some(ISSUER.to_owned()),
        account.to_owned(),
    )
    .map_err(|error| {
        tracing::error!(%error, "a staff authenticator could not be set up");
        AppError::Internal
    })
}

/// What the enrolment page shows: the secret as a QR code and as text, and ten new recovery
/// codes (each showing replaces the codes shown before, so only the last page's codes work).
/// Starts enrolment (a new secret) when none is pending; refuses once an authenticator is
/// confirmed.
pub async fn enrolment(state: &AppState, member: &StaffMember) -> Result<Enrolment, AppError> {
    let secret = match factor(state, &member.id).await? {
        Some(Factor {
            confirmed: true, ..
        }) => {
            return Err(AppError::invalid(
                "Your authenticator is set up already. Log in with a code from it.",
            ))
        }
        Some(Factor { secret, .. }) => secret,
        None => {
            let mut secret = vec![0u8; 20];
            rand::thread_rng().fill_bytes(&mut secret);
            let encoded = totp_rs::Secret::Raw(secret.clone())
                .to_encoded()
                .to_string();
            let (sealed, key_id) = state
                .keys
                .encrypt(Purpose::StaffFactor, &member.id, &encoded);
            sqlx::query(
                "INSERT INTO staff_factors (staff_id, secret_ciphertext, secret_key_id) VALUES ($1, $2, $3)",
            )
            .bind(&member.id)
            .bind(sealed)
            .bind(key_id)
            .execute(state.db.pool())
            .await?;
            secret
        }
    };
    let totp = totp(secret, &member.email)?;
    let qr_svg = qrcode::QrCode::new(totp.get_url().as_bytes())
        .map_err(|error| {
            tracing::error!(%error, "the enrolment QR code could not be drawn");
            AppError::Internal
        })?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(Enrolment {
        secret: grouped(&totp.get_secret_base32()),
        qr_svg,
        recovery_codes: new_recovery_codes(&state.db, &member.id).await?,
    })
}

/// `ABCDEFGH…` as `ABCD EFGH …`, easier to type.
fn grouped(text: &str) -> String {
    text.as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The step a six-digit `code` belongs to, if it is right for `now` (one step of skew either
/// way) and later than `after`.
fn matching_step(totp: &TOTP, code: &str, now: i64, after: Option<i64>) -> Option<i64> {
    let current = now / STEP_SECONDS;
    (current - 1..=current + 1)
        .filter(|step| after.is_none_or(|last| *step > last))
        .find(|step| {
            let expected = totp.generate((*step * STEP_SECONDS) as u64);
            subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), code.as_bytes()).into()
        })
}

/// Checks an authenticator code for `member` and uses it up. `confirmed` says which secret may
/// be used: the working one (login, step-up) or the pending one (finishing enrolment).
async fn use_code(
    state: &AppState,
    member: &StaffMember,
    code: &str,
    confirmed: bool,
) -> Result<bool, AppError> {
    let Some(factor) = factor(state, &member.id).await? else {
        return Ok(false);
    };
    if factor.confirmed != confirmed {
        return Ok(false);
    }
    let totp = totp(factor.secret, &member.email)?;
    let Some(step) = matching_step(&totp, code, state.clock.now(), factor.last_step) else {
        return Ok(false);
    };
    // Only one request can move the step on: a code raced twice works once.
    let used = sqlx::query(
        "UPDATE staff_factors SET last_step = $1 WHERE staff_id = $2 AND (last_step IS NULL OR last_step < $1)",
    )
    .bind(step)
    .bind(&member.id)
    .execute(state.db.pool())
    .await?;
    Ok(used.rows_affected() == 1)
}

/// Finishes enrolment with a first code from the new authenticator.
pub async fn confirm_enrolment(
    state: &AppState,
    member: &StaffMember,
    code: &str,
) -> Result<(), AppError> {
    let code = digits(code).ok_or_else(wrong_code)?;
    if !use_code(state, member, &code, false).await? {
        return Err(wrong_code());
    }
    sqlx::query(
        "UPDATE staff_factors SET confirmed_at = $1 WHERE staff_id = $2 AND confirmed_at IS NULL",
    )
    .bind(state.clock.now())
    .bind(&member.id)
    .execute(state.db.pool())
    .await?;
    Ok(())
}

/// Replaces `staff_id`'s recovery codes with ten new ones.
async fn new_recovery_codes(db: &Db, staff_id: &str) -> Result<Vec<String>, AppError> {
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM staff_recovery_codes WHERE staff_id = $1")
        .bind(staff_id)
        .execute(&mut *tx)
        .await?;
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let mut bytes = [0u8; 15];
        rand::thread_rng().fill_bytes(&mut bytes);
        let code = grouped(
            &totp_rs::Secret::Raw(bytes.to_vec())
                .to_encoded()
                .to_string(),
        )
        .to_lowercase()
        .replace(' ', "-");
        sqlx::query("INSERT INTO staff_recovery_codes (staff_id, code_hash) VALUES ($1, $2)")
            .bind(staff_id)
            .bind(recovery_hash(&code))
            .execute(&mut *tx)
            .await?;
        codes.push(code);
    }
    tx.commit().await?;
    Ok(codes)
}

/// The stored form of a recovery code, however it was typed (case, spaces and dashes aside).
fn recovery_hash(code: &str) -> String {
    let normalised: String = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(Sha256::digest(normalised.as_bytes()))
}

/// The six digits of a typed code ("123 456" and "123-456" too), if that is what it is.
fn digits(code: &str) -> Option<String> {
    let digits: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

fn wrong_code() -> AppError {
    AppError::invalid(
        "That code is not right. Type the six digits your authenticator shows now (each code works once).",
    )
}

/// Checks the second factor at login or step-up: a code from the authenticator, or (at login
/// only) a recovery code, which is used up and resets the authenticator.
pub async fn verify(
    state: &AppState,
    member: &StaffMember,
    code: &str,
    recovery_allowed: bool,
) -> Result<Proof, AppError> {
    if let Some(code) = digits(code) {
        return if use_code(state, member, &code, true).await? {
            Ok(Proof::Code)
        } else {
            Err(wrong_code())
        };
    }
    if !recovery_allowed {
        return Err(wrong_code());
    }
    let used = sqlx::query(
        "UPDATE staff_recovery_codes SET used_at = $1 WHERE staff_id = $2 AND code_hash = $3 AND used_at IS NULL",
    )
    .bind(state.clock.now())
    .bind(&member.id)
    .bind(recovery_hash(code))
    .execute(state.db.pool())
    .await?;
    if used.rows_affected() != 1 {
        return Err(AppError::invalid(
            "That is neither a current authenticator code nor an unused recovery code.",
        ));
    }
    reset(&state.db, &member.id).await?;
    Ok(Proof::RecoveryCode)
}

/// Forgets `staff_id`'s authenticator and recovery codes: they set up a new one at next login.
/// True when there was one.
pub async fn reset(db: &Db, staff_id: &str) -> Result<bool, AppError> {
    let mut tx = db.begin_write().await?;
    let removed = sqlx::query("DELETE FROM staff_factors WHERE staff_id = $1")
        .bind(staff_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM staff_recovery_codes WHERE staff_id = $1")
        .bind(staff_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(removed.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 secret "12345678901234567890" at 59 s gives 94287082
    /// (eight digits); its last six are what a six-digit authenticator shows.
    #[test]
    fn codes_follow_rfc_6238() {
        let totp = totp(b"12345678901234567890".to_vec(), "a@b.example").unwrap();
        assert_eq!(totp.generate(59), "287082");
        assert_eq!(totp.generate(1_111_111_109), "081804");
    }

    #[test]
    fn a_code_matches_its_own_step_and_one_either_side_once_each() {
        let totp = totp(b"12345678901234567890".to_vec(), "a@b.example").unwrap();
        let now = 1_111_111_109;
        let current = now / STEP_SECONDS;
        let code = totp.generate((current * STEP_SECONDS) as u64);
        assert_eq!(matching_step(&totp, &code, now, None), Some(current));
        assert_eq!(matching_step(&totp, &code, now + 30, None), Some(current));
        assert_eq!(matching_step(&totp, &code, now + 90, None), None, "too old");
        assert_eq!(
            matching_step(&totp, &code, now, Some(current)),
            None,
            "used once"
        );
    }

    #[test]
    fn typed_codes_are_read_leniently() {
        assert_eq!(digits("123 456").as_deref(), Some("123456"));
        assert_eq!(digits("123-456").as_deref(), Some("123456"));
        assert_eq!(digits("12345"), None);
        assert_eq!(digits("abcdef"), None);
        assert_eq!(
            recovery_hash("ABCD-efgh ijkl"),
            recovery_hash("abcdefghijkl")
        );
    }
}
