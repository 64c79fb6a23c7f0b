//! Black-box tests: the real server on a random port, spoken to over HTTP.
//!
//! Tests that touch the database run twice: on a fresh SQLite file, and on a fresh PostgreSQL
//! database when `TEST_DATABASE_URL` is set. The PostgreSQL copies are `#[ignore]`d with a reason,
//! so a run without PostgreSQL reports them as ignored rather than passing them silently;
//! `cargo test -- --include-ignored` with `TEST_DATABASE_URL` set runs them.

mod helpers;
mod mailbox;

mod accounts;
mod admin;
mod assets;
mod attacks;
mod binding;
mod embedded;
mod floods;
mod health;
mod instances;
mod journey;
mod key_health;
mod migrations;
mod observability;
mod pages;
mod production;
mod query_plans;
mod sandbox;
mod staff_security;
mod tallies;
mod webhooks;
