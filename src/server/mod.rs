//! Everything that runs only on the server. One home per feature, and each table has one module
//! that writes it:
//!
//! - `http`: axum only (router, the landing, webhooks, the handshake, CSV export, security
//!   headers); no business rules;
//! - `auth`: sessions, the one login flow, access checks; `throttle`: login attempts;
//!   `passwords`: Argon2id hashing;
//! - `account`: a provider's account (sign-up, email proof, resets, the sessions list) and the
//!   `users` table (`account::users`); `staff`: partner staff and their tables; `audit`
//!   (`audit_log`); `embedded_sessions` (`hint_sessions`);
//! - `connections`: the `connections` table — onboarding, the exchange, keys, key health,
//!   Hint's webhooks;
//! - `admin`: the staff dashboard's queries and actions;
//! - `service_tokens` (`service_tokens`) and `events` (`event_endpoints`, `connection_events`,
//!   `event_deliveries`): the partner's own product, through `/v1` and signed events;
//! - `hint`: the client for Hint's API; `assets`: the built site held in memory; `settings`,
//!   `state`, `db`, `crypto`, `telemetry`, `seed`, `housekeeping` (the timed chores).

pub mod account;
pub mod account_tokens;
pub mod admin;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod connections;
pub mod crypto;
pub mod db;
pub mod embedded_sessions;
pub mod events;
pub mod hint;
pub mod housekeeping;
pub mod http;
pub mod in_flight;
pub mod mail;
pub mod metrics;
pub mod notifications;
pub mod passwords;
pub mod rate_limits;
pub mod seed;
pub mod service_tokens;
pub mod setup_check;
pub mod smtp;
pub mod staff;
pub mod state;
pub mod telemetry;
pub mod throttle;
