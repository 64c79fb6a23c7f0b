//! What every handler and server function can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::assets::Assets;
use super::config::Config;
use super::crypto::Keyring;
use super::db::Db;
use super::hint::HintClient;
use super::passwords::Hasher;
use crate::domain::status::HintMode;

/// Shared state: cheap to clone, handed to axum and provided as Leptos context.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// Leptos's own settings (site root, output name, address).
    pub leptos_options: LeptosOptions,
    /// The database pool.
    pub db: Db,
    /// Settings as parsed at start-up.
    pub config: Arc<Config>,
    /// Built assets held in memory.
    pub assets: Arc<Assets>,
    /// Where Hint calls go (for display; the Hint client holds the credentials).
    pub hint_mode: HintMode,
    /// The client for Hint's API (or the built-in sandbox).
    pub hint: HintClient,
    /// The key Hint signs webhooks with (the sandbox's when it plays Hint).
    pub webhook_secret: Option<secrecy::SecretString>,
    /// Per-client request limits.
    pub limits: Arc<super::rate_limits::Limits>,
    /// The password hashing pool.
    pub passwords: Arc<Hasher>,
    /// Our own origin (`scheme://host[:port]`), the only one state-changing requests may come from.
    pub public_origin: Arc<str>,
    /// The base URL users and Hint reach us at (`PUBLIC_BASE_URL`, or the bound address).
    #[from_ref(skip)]
    pub public_base_url: Arc<str>,
    /// The keys that encrypt practice keys and pending codes at rest.
    pub keys: Arc<Keyring>,
    /// The time session and second-factor rules read (tests move it on).
    pub clock: super::clock::Clock,
    /// Who may frame the embedded settings surface: a CSP `frame-ancestors` source (Hint's app
    /// origin, or `'none'`).
    #[from_ref(skip)]
    pub frame_ancestors: Arc<str>,
    /// Outgoing email (queued in the database, sent by `mail::run`).
    #[from_ref(skip)]
    pub mail: Arc<super::mail::Mailer>,
}
