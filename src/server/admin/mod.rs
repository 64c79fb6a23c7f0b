//! The staff dashboard's service: `queries` reads the list, summary and detail; `actions` does
//! what staff ask of a connection. Staff roles are enforced by the callers through
//! `auth::require_staff` before either runs.

pub mod actions;
pub mod queries;
