//! Partner staff: their roles, what they may do, how far a login has got, and how they are listed.

use serde::{Deserialize, Serialize};

/// What a staff member may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// Sees everything; cannot reveal keys or change connections.
    Support,
    /// Everything support can, plus actions.
    Admin,
}

impl StaffRole {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Support => "support",
            Self::Admin => "admin",
        }
    }

    /// Reads a stored word.
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "support" => Some(Self::Support),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

stored_words! {
    /// What an admin can do to one connection from its detail page.
    pub enum StaffAction {
        /// Prove the stored key against Hint's practice endpoint.
        Verify => "verify",
        /// Read the integration's status from Hint.
        Refresh => "refresh",
        /// Activate an integration that waits for activation.
        Activate => "activate",
        /// Deactivate the integration at Hint (disconnect).
        Deactivate => "deactivate",
        /// Show the full practice key.
        Reveal => "reveal",
    }
}

impl StaffAction {
    /// Whether the action needs a fresh password and authenticator confirmation (step-up):
    /// the ones that expose a key or cannot be undone from here.
    pub fn needs_step_up(self) -> bool {
        matches!(self, Self::Reveal | Self::Deactivate)
    }
}

stored_words! {
    /// How far a staff login has got. Only `SignedIn` reaches the dashboard.
    pub enum StaffStage {
        /// The password was right; a code from the authenticator (or a recovery code) is next.
        SecondFactor => "second_factor",
        /// The password was right and no authenticator is set up yet: enrolment is next.
        Enrol => "enrol",
        /// Fully logged in.
        SignedIn => "signed_in",
    }
}

impl StaffStage {
    /// The page that finishes a login at this stage.
    pub fn page(self) -> &'static str {
        match self {
            Self::SecondFactor => "/admin/login/code",
            Self::Enrol => "/admin/login/enrol",
            Self::SignedIn => "/admin",
        }
    }
}

/// What the enrolment page shows: the authenticator secret as a QR code and as text to type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    /// The base32 secret in groups of four.
    pub secret: String,
    /// The `otpauth://` URL as a QR code, an SVG document drawn on the server.
    pub qr_svg: String,
    /// Single-use codes for when the authenticator is lost (stored only as hashes).
    pub recovery_codes: Vec<String>,
}

impl TryFrom<String> for StaffRole {
    type Error = String;

    /// Reads a stored word (database rows decode through this).
    fn try_from(word: String) -> Result<Self, Self::Error> {
        Self::parse(&word).ok_or_else(|| format!("unknown staff role {word:?}"))
    }
}

/// The logged-in staff member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: StaffRole,
}

/// One staff member as the admins' staff list shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffListing {
    pub member: StaffMember,
    pub disabled: bool,
    /// They have not chosen a password yet (invited, or reset by an operator).
    pub password_pending: bool,
    /// An authenticator is set up.
    pub second_factor: bool,
}
