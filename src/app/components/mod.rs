//! Pieces of UI shared by several pages.

pub mod account_forms;
pub mod form_error;
pub mod layout;
pub mod local_time;
pub mod progress;
pub mod reference;
pub mod status_badge;
pub mod step_up;
