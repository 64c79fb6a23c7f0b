//! The `event_endpoints` table: where events go, each with its signing secret (encrypted at
//! rest, shown once when made), and what the dashboard shows of them and their deliveries.

use secrecy::SecretString;

use crate::domain::audit::AuditAction;
use crate::domain::partner::{DeliveryStatus, DeliveryView, EndpointView, SIGNING_SECRET_PREFIX};
use crate::server::audit::{self, Operator};
use crate::server::crypto::{Keyring, Purpose};
use crate::server::db::{new_id, Db};

/// How long the previous secret keeps signing after a rotation, so receivers can switch.
pub const PREVIOUS_SECRET_SECONDS: i64 = 24 * 60 * 60;
/// How many deliveries the dashboard lists per endpoint.
const RECENT: i64 = 10;

/// Why an endpoint could not be added or changed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EndpointError {
    #[error("not a URL: {0}")]
    NotUrl(String),
    #[error("an event endpoint must be an https:// URL in production")]
    NotHttps,
    #[error("the URL must not hold a user name or password: the signature proves who sends")]
    Credentials,
    #[error("{0} is already an endpoint")]
    Exists(String),
    #[error("no endpoint at {0}")]
    Unknown(String),
    #[error("no such delivery")]
    UnknownDelivery,
    #[error("database: {0}")]
    Db(String),
}

impl From<sqlx::Error> for EndpointError {
    fn from(error: sqlx::Error) -> Self {
        Self::Db(error.to_string())
    }
}

/// Checks an endpoint's URL: http or https with a host, no credentials; https only outside
/// development. Returns it as written (trimmed).
pub fn check_url(url: &str, development: bool) -> Result<String, EndpointError> {
    let url = url.trim();
    let parsed =
        reqwest::Url::parse(url).map_err(|error| EndpointError::NotUrl(error.to_string()))?;
    match parsed.scheme() {
        "https" => {}
        "http" if development => {}
        _ => return Err(EndpointError::NotHttps),
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(EndpointError::NotUrl("no host".into()));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(EndpointError::Credentials);
    }
    Ok(url.to_owned())
}

/// A new signing secret: the prefix and 256 random bits.
fn new_secret() -> String {
    use base64::Engine as _;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    format!("{SIGNING_SECRET_PREFIX}{encoded}")
}

/// Adds an endpoint; answers its signing secret (the only time it is shown).
pub async fn add(
    db: &Db,
    keys: &Keyring,
    url: &str,
    development: bool,
    by: Operator<'_>,
) -> Result<SecretString, EndpointError> {
    let url = check_url(url, development)?;
    let id = new_id("end");
    let secret = new_secret();
    let (sealed, key_id) = keys.encrypt(Purpose::EventSecret, &id, &secret);
    let added = sqlx::query(
        "INSERT INTO event_endpoints (id, url, secret_ciphertext, secret_key_id, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(&url)
    .bind(sealed)
    .bind(&key_id)
    .bind(db.now())
    .execute(db.pool())
    .await;
    match added {
        Ok(_) => {}
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            return Err(EndpointError::Exists(url))
        }
        Err(error) => return Err(error.into()),
    }
    audit::record(db, by.entry(AuditAction::EventEndpointAdded, &url)).await;
    Ok(secret.into())
}

/// Removes the endpoint at `url`: it gets no new events, and what it had pending is cancelled.
pub async fn remove(db: &Db, url: &str, by: Operator<'_>) -> Result<(), EndpointError> {
    let mut tx = db.begin_write().await?;
    let id: Option<String> = sqlx::query_scalar(
        "UPDATE event_endpoints SET removed_at = $1 WHERE url = $2 AND removed_at IS NULL RETURNING id",
    )
    .bind(db.now())
    .bind(url.trim())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else {
        return Err(EndpointError::Unknown(url.trim().to_owned()));
    };
    sqlx::query(
        "UPDATE event_deliveries SET status = 'cancelled' WHERE endpoint_id = $1 AND status = 'pending'",
    )
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    audit::record(db, by.entry(AuditAction::EventEndpointRemoved, url.trim())).await;
    Ok(())
}

/// Gives the endpoint at `url` a new signing secret (answered once); the old one signs beside
/// it for [`PREVIOUS_SECRET_SECONDS`], so the receiver can switch without losing an event.
pub async fn rotate_secret(
    db: &Db,
    keys: &Keyring,
    url: &str,
    by: Operator<'_>,
) -> Result<SecretString, EndpointError> {
    let url = url.trim();
    let row: Option<(String, Vec<u8>, String)> = sqlx::query_as(
        "SELECT id, secret_ciphertext, secret_key_id FROM event_endpoints \
         WHERE url = $1 AND removed_at IS NULL",
    )
    .bind(url)
    .fetch_optional(db.pool())
    .await?;
    let Some((id, old_sealed, old_key_id)) = row else {
        return Err(EndpointError::Unknown(url.to_owned()));
    };
    let secret = new_secret();
    let (sealed, key_id) = keys.encrypt(Purpose::EventSecret, &id, &secret);
    sqlx::query(
        "UPDATE event_endpoints SET secret_ciphertext = $1, secret_key_id = $2, \
         previous_secret_ciphertext = $3, previous_secret_key_id = $4, previous_until = $5 \
         WHERE id = $6 AND secret_key_id = $7",
    )
    .bind(sealed)
    .bind(&key_id)
    .bind(old_sealed)
    .bind(&old_key_id)
    .bind(db.now() + PREVIOUS_SECRET_SECONDS)
    .bind(&id)
    .bind(&old_key_id)
    .execute(db.pool())
    .await?;
    audit::record(db, by.entry(AuditAction::EventSecretRotated, url)).await;
    Ok(secret.into())
}

/// The secrets that sign for endpoint `id` now: the current one, and the previous one while it
/// still signs.
pub(super) async fn signing_secrets(
    db: &Db,
    keys: &Keyring,
    id: &str,
) -> Result<Vec<SecretString>, EndpointError> {
    type Row = (
        Vec<u8>,
        String,
        Option<Vec<u8>>,
        Option<String>,
        Option<i64>,
    );
    let (sealed, key_id, old_sealed, old_key_id, until): Row = sqlx::query_as(
        "SELECT secret_ciphertext, secret_key_id, previous_secret_ciphertext, \
         previous_secret_key_id, previous_until FROM event_endpoints WHERE id = $1",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await?;
    let open = |sealed: &[u8], key_id: &str| {
        keys.decrypt(Purpose::EventSecret, id, key_id, sealed)
            .map_err(|error| EndpointError::Db(format!("signing secret: {error}")))
    };
    let mut secrets = vec![open(&sealed, &key_id)?];
    if let (Some(sealed), Some(key_id), Some(until)) = (old_sealed, old_key_id, until) {
        if until > db.now() {
            secrets.push(open(&sealed, &key_id)?);
        }
    }
    Ok(secrets)
}

/// The live endpoints' URLs and when each was added.
pub async fn list(db: &Db) -> Result<Vec<(String, i64)>, EndpointError> {
    Ok(sqlx::query_as(
        "SELECT url, created_at FROM event_endpoints WHERE removed_at IS NULL ORDER BY created_at",
    )
    .fetch_all(db.pool())
    .await?)
}

/// Every live endpoint with its pending count and latest deliveries, for the dashboard.
pub async fn overview(db: &Db) -> Result<Vec<EndpointView>, EndpointError> {
    let endpoints: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT id, url, created_at FROM event_endpoints WHERE removed_at IS NULL ORDER BY created_at",
    )
    .fetch_all(db.pool())
    .await?;
    let mut views = Vec::with_capacity(endpoints.len());
    for (id, url, created_at) in endpoints {
        let pending: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM event_deliveries WHERE endpoint_id = $1 AND status = 'pending'",
        )
        .bind(&id)
        .fetch_one(db.pool())
        .await?;
        type Row = (
            String,
            String,
            String,
            i64,
            String,
            i64,
            i64,
            Option<i64>,
            Option<String>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT e.id, e.kind, e.connection_id, e.created_at, d.status, d.attempts, \
             d.next_attempt_at, d.last_status, d.last_error \
             FROM event_deliveries d JOIN connection_events e ON e.seq = d.event_seq \
             WHERE d.endpoint_id = $1 ORDER BY d.event_seq DESC LIMIT $2",
        )
        .bind(&id)
        .bind(RECENT)
        .fetch_all(db.pool())
        .await?;
        let recent = rows
            .into_iter()
            .map(|row| DeliveryView {
                event_id: row.0,
                kind: row.1,
                connection_id: row.2,
                created_at: row.3,
                status: DeliveryStatus::parse(&row.4).unwrap_or(DeliveryStatus::Pending),
                attempts: row.5,
                next_attempt_at: row.6,
                last_status: row.7,
                last_error: row.8,
            })
            .collect();
        views.push(EndpointView {
            url,
            created_at,
            pending,
            recent,
        });
    }
    Ok(views)
}

/// Queues event `event_id` for the endpoint at `url` again, due now and with a fresh retry
/// window, whatever became of it before ("send again").
pub async fn resend(
    db: &Db,
    url: &str,
    event_id: &str,
    by: Operator<'_>,
) -> Result<(), EndpointError> {
    let now = db.now();
    let queued = sqlx::query(
        "UPDATE event_deliveries SET status = 'pending', next_attempt_at = $1, retry_until = $2 \
         WHERE endpoint_id = (SELECT id FROM event_endpoints WHERE url = $3 AND removed_at IS NULL) \
         AND event_seq = (SELECT seq FROM connection_events WHERE id = $4)",
    )
    .bind(now)
    .bind(now + super::delivery::RETRY_WINDOW_SECONDS)
    .bind(url.trim())
    .bind(event_id)
    .execute(db.pool())
    .await?;
    if queued.rows_affected() == 0 {
        return Err(EndpointError::UnknownDelivery);
    }
    audit::record(db, by.entry(AuditAction::EventResent, event_id)).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_takes_only_https_endpoints_without_credentials() {
        assert_eq!(
            check_url(" https://hooks.example.com/pc ", false).unwrap(),
            "https://hooks.example.com/pc"
        );
        assert_eq!(
            check_url("http://hooks.example.com/pc", false),
            Err(EndpointError::NotHttps)
        );
        assert!(check_url("http://127.0.0.1:4700/events", true).is_ok());
        assert_eq!(
            check_url("https://user:pw@hooks.example.com/", false),
            Err(EndpointError::Credentials)
        );
        assert!(check_url("ftp://hooks.example.com/", true).is_err());
        assert!(check_url("not a url", true).is_err());
    }

    #[test]
    fn a_signing_secret_has_its_prefix_and_256_random_bits() {
        let (a, b) = (new_secret(), new_secret());
        assert!(a.starts_with(SIGNING_SECRET_PREFIX));
        assert_eq!(a.len(), SIGNING_SECRET_PREFIX.len() + 43);
        assert_ne!(a, b);
    }
}
