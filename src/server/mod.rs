//! Everything that runs only on the server. One home per feature, and each table has one module
//! that writes it:
//!
//! - `http`: axum only (router, landing, Hint's inbound calls, CSV export, security headers);
//!   no business rules;
//! - `auth`: sessions, the one login flow, login throttling; `passwords`: Argon2id hashing;
//! - `account` (`users`), `staff` (`staff`), `audit` (`audit_log`): one table each;
//! - `connections`: the `connections` table — onboarding, the exchange, keys, key health,
//!   Hint's webhooks;
//! - `admin`: the staff dashboard's queries and actions;
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
pub mod hint;
pub mod hint_sessions;
pub mod housekeeping;
pub mod http;
pub mod mail;
pub mod metrics;
pub mod notifications;
pub mod passwords;
pub mod rate_limits;
pub mod seed;
pub mod setup_check;
pub mod smtp;
pub mod staff;
pub mod state;
pub mod telemetry;
pub mod throttle;
