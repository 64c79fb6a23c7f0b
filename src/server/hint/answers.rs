//! The bodies of Hint's answers, as far as we read them. Unknown fields are ignored and optional
//! ones tolerated, since Hint's examples differ in what they include.

use secrecy::SecretString;
use serde::Deserialize;

/// `POST /api/oauth/tokens`'s answer. Unknown fields are ignored, optional ones tolerated.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    /// The integration id (`int-…`).
    pub id: String,
    #[serde(default)]
    pub status: Option<String>,
    pub access_token: SecretString,
    pub practice: NamedRef,
    #[serde(default)]
    pub product: Option<NamedRef>,
    #[serde(default)]
    pub activated_by: Option<HintPerson>,
}

/// `{ "id": …, "name": … }`.
#[derive(Debug, Clone, Deserialize)]
pub struct NamedRef {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// A Hint user.
#[derive(Debug, Clone, Deserialize)]
pub struct HintPerson {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// The practice profile from `/api/provider/practice` (the parts we show).
#[derive(Debug, Clone, Deserialize)]
pub struct PracticeProfile {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub address_city: Option<String>,
    #[serde(default)]
    pub address_state: Option<String>,
}

/// An integration as `GET /api/integrations/{id}` shows it.
#[derive(Debug, Clone, Deserialize)]
pub struct IntegrationInfo {
    pub id: String,
    #[serde(default)]
    pub status: Option<String>,
}

/// Hint's error body, `{"status": …, "message": …}`.
#[derive(Deserialize)]
pub(super) struct ErrorBody {
    #[serde(default)]
    pub message: Option<String>,
}
