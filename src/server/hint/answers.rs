//! The bodies of Hint's answers, as far as we read them. Unknown fields are ignored and optional
//! ones tolerated, since Hint's examples differ in what they include.

use secrecy::SecretString;

use super::HintError;
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

/// An installation, as Hint's newer marketplace endpoints answer
/// (`POST /api/partner/installations/connect`).
#[derive(Debug, Clone, Deserialize)]
pub(super) struct Installation {
    /// `inst-…`.
    pub id: String,
    /// `onboarding`, `pending`, `active` or `deactivated`.
    #[serde(default)]
    pub status: Option<String>,
    pub practice: NamedRef,
    #[serde(default)]
    pub product: Option<NamedRef>,
    #[serde(default)]
    pub api_keys: Vec<InstallationKey>,
}

/// One of an installation's keys.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct InstallationKey {
    pub token: SecretString,
}

impl Installation {
    /// The exchange's answer in the shape the rest of the app reads: the key is `api_keys[0]`.
    /// Refused (nothing to store) without a key, or when it is another product's installation.
    pub(super) fn into_token(self, product_id: Option<&str>) -> Result<TokenResponse, HintError> {
        if let Some(expected) = product_id {
            let got = self.product.as_ref().map(|product| product.id.as_str());
            if got != Some(expected) {
                return Err(HintError::WrongProduct {
                    got: got.unwrap_or("none").to_owned(),
                });
            }
        }
        let Some(key) = self.api_keys.into_iter().next() else {
            return Err(HintError::BadResponse(
                "an installation without api_keys".into(),
            ));
        };
        Ok(TokenResponse {
            id: self.id,
            status: self.status,
            access_token: key.token,
            practice: self.practice,
            product: self.product,
            activated_by: None,
        })
    }
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
