//! Black-box tests: the real server on a random port, spoken to over HTTP. Each file is named
//! after the feature it tests, as the code names it (`account`, `onboarding`, `dashboard`,
//! `staff`, `webhooks`, `embedded`…); `attacks` and `floods` are the attacks that cut across.
//!
//! Tests that touch the database run twice: on a fresh SQLite file, and on a fresh PostgreSQL
//! database when `TEST_DATABASE_URL` is set. The PostgreSQL copies are `#[ignore]`d with a reason,
//! so a run without PostgreSQL reports them as ignored rather than passing them silently (one
//! way to write such a test: `on_both_databases!` in `helpers`);
//! `cargo test -- --include-ignored` with `TEST_DATABASE_URL` set runs them.

mod helpers;
mod mailbox;

mod account;
mod assets;
mod attacks;
mod audit;
mod bench_report;
mod binding;
mod dashboard;
mod deploy;
mod embedded;
mod events;
mod floods;
mod health;
mod instances;
mod key_health;
mod migrations;
mod observability;
mod onboarding;
mod openapi;
mod operations;
mod pages;
mod partner_api;
mod production;
mod query_plans;
mod sandbox;
mod staff;
mod tallies;
mod webhooks;
