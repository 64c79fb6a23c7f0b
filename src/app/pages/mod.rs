//! One file per page.

pub mod account;
pub mod account_settings;
pub mod admin;
pub mod embedded;
pub mod home;
pub mod not_found;
pub mod onboarding;
pub mod practices;
