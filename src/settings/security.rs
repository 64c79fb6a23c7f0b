//! Settings of secrets at rest and of staff authentication.

use clap::{Args, ValueEnum};
use secrecy::SecretString;

use crate::domain::staff::StaffRole;

/// Which staff need a second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SecondFactorFor {
    /// Every staff member.
    Everyone,
    /// Admins only; support staff may log in with a password alone.
    Admins,
}

/// Encryption keys and the staff's second factor.
#[derive(Debug, Clone, Args)]
pub struct SecuritySettings {
    /// Keys that encrypt practice API keys at rest: `id:base64key[,id:base64key…]`, 32-byte keys,
    /// the first one encrypts new data. Unset: a development key is kept in `data/`.
    #[arg(long, env = "ENCRYPTION_KEYS", hide_env_values = true)]
    pub encryption_keys: Option<SecretString>,

    /// Which staff must log in with an authenticator code: `everyone`, or only `admins` (support
    /// staff, who can only read, then may skip it). Admins always need one.
    #[arg(long, env = "STAFF_SECOND_FACTOR", value_enum, default_value_t = SecondFactorFor::Everyone)]
    pub staff_second_factor: SecondFactorFor,

    /// How long a password + code confirmation stays good for revealing a key, deactivating at
    /// Hint and a manual connect, in minutes.
    #[arg(long, env = "STEP_UP_MINUTES", default_value_t = 5)]
    pub step_up_minutes: u64,
}

impl SecuritySettings {
    /// Whether a staff member of `role` must set up and use an authenticator.
    pub fn second_factor_required(&self, role: StaffRole) -> bool {
        role == StaffRole::Admin || self.staff_second_factor == SecondFactorFor::Everyone
    }
}
