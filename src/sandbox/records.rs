//! The records the sandbox's Hint keeps and answers with: practices, the product, integrations,
//! their keys and codes, and the ways an exchange or a key can be refused.

use serde::Serialize;

/// A Hint user (the practice admin who clicks Connect).
#[derive(Debug, Clone, Serialize)]
pub struct HintUser {
    pub id: String,
    pub name: String,
    pub email: String,
}

/// A phone number of a practice.
#[derive(Debug, Clone, Serialize)]
pub struct Phone {
    pub number: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// A practice as `/api/provider/practice` shows it.
#[derive(Debug, Clone)]
pub struct Practice {
    pub id: String,
    pub name: String,
    pub email: String,
    pub url: String,
    pub logo_url: Option<String>,
    pub address_line1: String,
    pub address_line2: Option<String>,
    pub address_city: String,
    pub address_state: String,
    pub address_zip: String,
    pub address_country: String,
    pub phones: Vec<Phone>,
    pub admin: HintUser,
}

/// The partner's product listing.
#[derive(Debug, Clone, Serialize)]
pub struct Product {
    pub id: String,
    pub name: String,
    pub slug: String,
}

/// One connection between the partner and a practice.
#[derive(Debug, Clone)]
pub struct Integration {
    pub id: String,
    pub practice_id: String,
    /// `connected`, `pending` (exchanged with `activate: false`) or `inactive`.
    pub status: String,
    pub activated_by: Option<HintUser>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A practice API key.
#[derive(Debug, Clone)]
pub struct ApiKey {
    pub token: String,
    pub integration_id: String,
    pub description: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub deactivated_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub(super) struct CodeGrant {
    pub(super) practice_id: String,
    pub(super) user: HintUser,
    pub(super) expires_at: i64,
    pub(super) used: bool,
}

/// Why a code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeError {
    /// No such code was ever issued.
    Unknown,
    /// The code was exchanged before (codes are single-use).
    Used,
    /// The code outlived its lifetime.
    Expired,
}

/// Why a practice-key call was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    /// Unknown or deactivated key.
    Invalid,
}

/// What a successful exchange hands back.
#[derive(Debug, Clone)]
pub struct Exchanged {
    pub integration: Integration,
    pub practice: Practice,
    pub key: ApiKey,
    /// All keys of the integration (the new one first).
    pub keys: Vec<ApiKey>,
    /// Whether this exchange activated the integration (a webhook follows).
    pub activated: bool,
}

/// A change worth a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Activated(String),
    Deactivated(String),
}
