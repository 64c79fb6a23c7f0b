//! The emails the wizard promises: "email me if the connection needs attention" (when its key
//! stops working, or the practice deactivates it in Hint) and the weekly summary. Each carries a
//! link that turns it off. A connection's fall is told once (`connections::notices::claim_fall`),
//! and each summary is claimed once (`account::users::claim_summary`), so instances that notice the
//! same thing at once send one email between them. This module writes no table itself.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use secrecy::ExposeSecret;

use super::account::users;
use super::audit::{self, Entry};
use super::connections::notices::{self, Preference, Scope};
use super::crypto::Purpose;
use super::mail;
use super::mail::templates::{self, Attention, SummaryLine};
use super::state::AppState;
use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::domain::connection::ConnectionStatus;
use crate::domain::AppError;

/// How often a weekly summary goes out.
pub const SUMMARY_EVERY_SECONDS: i64 = 7 * 24 * 60 * 60;
/// The ciphertext's row id for every unsubscribe link (each link's contents are its own).
const UNSUBSCRIBE_ROW: &str = "unsubscribe-link";

/// What an unsubscribe link turns off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topic {
    /// Attention emails about one connection.
    Alerts { connection_id: String },
    /// Every weekly summary to one provider.
    Weekly { user_id: String },
}

impl Topic {
    fn encode(&self) -> String {
        match self {
            Self::Alerts { connection_id } => format!("alerts:{connection_id}"),
            Self::Weekly { user_id } => format!("weekly:{user_id}"),
        }
    }

    fn decode(text: &str) -> Option<Self> {
        match text.split_once(':')? {
            ("alerts", id) => Some(Self::Alerts {
                connection_id: id.to_owned(),
            }),
            ("weekly", id) => Some(Self::Weekly {
                user_id: id.to_owned(),
            }),
            _ => None,
        }
    }
}

/// The unsubscribe link for `topic`: sealed with the encryption key, so it names exactly what it
/// turns off and cannot be altered to turn off anything else.
pub fn unsubscribe_link(state: &AppState, topic: &Topic) -> String {
    let (sealed, key_id) =
        state
            .keys
            .encrypt(Purpose::Unsubscribe, UNSUBSCRIBE_ROW, &topic.encode());
    format!(
        "{}/unsubscribe?k={key_id}&t={}",
        state.public_base_url,
        URL_SAFE_NO_PAD.encode(sealed)
    )
}

/// What a link's `k` and `t` name, if it is one of ours.
pub fn topic_of(state: &AppState, key_id: &str, sealed: &str) -> Option<Topic> {
    let sealed = URL_SAFE_NO_PAD.decode(sealed).ok()?;
    let text = state
        .keys
        .decrypt(Purpose::Unsubscribe, UNSUBSCRIBE_ROW, key_id, &sealed)
        .ok()?;
    Topic::decode(text.expose_secret())
}

/// Turns off what `topic` names; audited.
pub async fn unsubscribe(
    state: &AppState,
    topic: &Topic,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let (scope, preference, user_id, connection_id) = match topic {
        Topic::Alerts { connection_id } => (
            Scope::Connection(connection_id),
            Preference::Alerts,
            None,
            Some(connection_id.as_str()),
        ),
        Topic::Weekly { user_id } => (
            Scope::User(user_id),
            Preference::Weekly,
            Some(user_id.as_str()),
            None,
        ),
    };
    notices::turn_off(&state.db, scope, preference).await?;
    let detail = match topic {
        Topic::Alerts { .. } => "attention emails",
        Topic::Weekly { .. } => "weekly summary",
    };
    let entry = Entry {
        actor_id: user_id,
        connection_id,
        ip,
        detail: Some(detail),
        ..Entry::new(ActorKind::Anonymous, AuditAction::Unsubscribed, Outcome::Ok)
    };
    audit::record(&state.db, entry).await;
    Ok(())
}

/// Tells connection `id`'s provider, if they asked for it, that the connection fell into
/// `what`'s status; at most once per fall.
pub async fn connection_needs_attention(
    state: &AppState,
    id: &str,
    what: Attention,
) -> Result<(), AppError> {
    let status = match what {
        Attention::KeyRejected => ConnectionStatus::NeedsReconnect,
        Attention::Deactivated => ConnectionStatus::Disconnected,
    };
    let Some(fall) = notices::claim_fall(&state.db, id, status).await? else {
        return Ok(());
    };
    if !fall.wants_alerts {
        return Ok(());
    }
    let (user_id, practice) = (fall.user_id, fall.practice_name);
    let Some(user) = users::find(&state.db, &user_id).await? else {
        return Ok(());
    };
    let topic = Topic::Alerts {
        connection_id: id.to_owned(),
    };
    let practice = practice.unwrap_or_else(|| "Your practice".into());
    let email = templates::connection_attention(
        &user.name,
        &practice,
        what,
        &unsubscribe_link(state, &topic),
    );
    mail::queue(state, &user.email, email).await?;
    let entry = Entry {
        connection_id: Some(id),
        detail: Some(status.as_str()),
        ..Entry::new(
            ActorKind::System,
            AuditAction::NotificationQueued,
            Outcome::Ok,
        )
    };
    audit::record(&state.db, entry).await;
    Ok(())
}

/// Queues the weekly summary for every provider who asked for one and is due (a week after
/// their last, or after their account was made); returns how many were queued.
pub async fn send_weekly_summaries(state: &AppState) -> Result<u64, AppError> {
    let now = state.clock.now();
    let due_before = now - SUMMARY_EVERY_SECONDS;
    let due: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT u.id FROM users u JOIN connections c ON c.user_id = u.id \
         WHERE c.weekly_summary = 1 AND c.merged_into IS NULL \
         AND COALESCE(u.summary_sent_at, u.created_at) <= $1",
    )
    .bind(due_before)
    .fetch_all(state.db.pool())
    .await?;
    let mut queued = 0;
    for (user_id,) in due {
        // One instance claims each provider's summary.
        if !users::claim_summary(&state.db, &user_id, now, due_before).await? {
            continue;
        }
        let Some(user) = users::find(&state.db, &user_id).await? else {
            continue;
        };
        let rows: Vec<(Option<String>, String)> = sqlx::query_as(
            "SELECT practice_name, status FROM connections \
             WHERE user_id = $1 AND weekly_summary = 1 AND merged_into IS NULL ORDER BY practice_name",
        )
        .bind(&user_id)
        .fetch_all(state.db.pool())
        .await?;
        let lines: Vec<SummaryLine> = rows
            .into_iter()
            .map(|(practice, status)| SummaryLine {
                practice: practice.unwrap_or_else(|| "A practice".into()),
                status: ConnectionStatus::parse(&status)
                    .map_or(status.clone(), |s| s.label().to_owned()),
            })
            .collect();
        if lines.is_empty() {
            continue;
        }
        let topic = Topic::Weekly {
            user_id: user_id.clone(),
        };
        let email = templates::weekly_summary(
            &user.name,
            &lines,
            &format!("{}/practices", state.public_base_url),
            &unsubscribe_link(state, &topic),
        );
        mail::queue(state, &user.email, email).await?;
        queued += 1;
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_round_trip() {
        for topic in [
            Topic::Alerts {
                connection_id: "con_1".into(),
            },
            Topic::Weekly {
                user_id: "usr_1".into(),
            },
        ] {
            assert_eq!(Topic::decode(&topic.encode()), Some(topic));
        }
        assert_eq!(Topic::decode("other:x"), None);
    }
}
