//! What every handler and server function can reach.

use std::sync::Arc;

use std::ops::Deref;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::assets::Assets;
use super::crypto::Keyring;
use super::db::Db;
use super::hint::HintClient;
use super::passwords::Hasher;
use crate::domain::status::HintMode;
use crate::settings::Settings;

/// Shared state, handed to axum and provided as Leptos context: one pointer, so the many clones a
/// request makes (each middleware's `State`, each `use_context`) cost a reference count rather
/// than copies of its strings and secrets. Its fields are read through `Deref`.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    /// Wraps the state built at start-up.
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// What `AppState` points at.
pub struct Shared {
    /// Leptos's own settings (site root, output name, address).
    pub leptos_options: LeptosOptions,
    /// The database pool.
    pub db: Db,
    /// Settings as parsed at start-up.
    pub settings: Arc<Settings>,
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
    pub public_base_url: Arc<str>,
    /// The keys that encrypt practice keys and pending codes at rest.
    pub keys: Arc<Keyring>,
    /// The time session and second-factor rules read (tests move it on).
    pub clock: super::clock::Clock,
    /// Who may frame the embedded settings surface: a CSP `frame-ancestors` source (Hint's app
    /// origin, or `'none'`).
    pub frame_ancestors: Arc<str>,
    /// Outgoing email (queued in the database, sent by `mail::worker`).
    pub mail: Arc<super::smtp::Mailer>,
    /// What connection events are delivered with (`events::delivery`).
    pub events: Arc<super::events::delivery::Sender>,
    /// Exchanges past their claim, which a shutdown lets finish before the database closes.
    pub in_flight: Arc<super::in_flight::InFlight>,
}
