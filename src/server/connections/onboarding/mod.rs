//! The onboarding journey's service, from a code landing to the wizard's end:
//!
//! - `landing`: codes arriving (browser, staff, headless), kept for the session that landed
//!   them and forgotten when their lifetime runs out;
//! - `binding`: which connection a session may see; the preview exchange that names the
//!   practice; binding it to an account on the provider's explicit yes;
//! - `wizard`: the steps after binding, kept on the row, and finishing (activation at Hint).
//!
//! `view` turns where a session stands into the page's state.

pub mod binding;
pub mod landing;
pub mod wizard;

pub use binding::SessionConnection;

use crate::domain::account::CurrentUser;
use crate::domain::connection::ConnectionStatus;
use crate::domain::onboarding::{Onboarding, WizardStep};
use crate::domain::AppError;
use crate::server::connections::ConnectionRow;

/// What the wizard page shows. Someone not signed in sees that a practice is waiting, never the
/// answers; the step follows the binding and the wizard's stored step.
pub fn view(user: Option<CurrentUser>, connection: SessionConnection) -> Onboarding {
    let (step, row, landed_id) = match (&user, connection) {
        (None, SessionConnection::Unbound { row, .. }) => (WizardStep::Account, Some(row), None),
        (None, _) => (WizardStep::Account, None, None),
        (Some(_), SessionConnection::None) => (WizardStep::Practice, None, None),
        (Some(_), SessionConnection::Unbound { row, landed_id }) => {
            (WizardStep::Confirm, Some(row), Some(landed_id))
        }
        (Some(_), SessionConnection::Bound(row)) => {
            let step = if row.step == WizardStep::Done {
                WizardStep::Done
            } else {
                row.step.clamp(WizardStep::Practice, WizardStep::Review)
            };
            (step, Some(row), None)
        }
    };
    let answers = match &row {
        Some(row) if step > WizardStep::Confirm => row.answers.clone(),
        _ => Default::default(),
    };
    Onboarding {
        user,
        landed_id,
        connection: row.map(|r| r.summary),
        step,
        answers,
    }
}

/// The signed-in provider's own connection in progress, or the message that says how to start
/// one.
pub fn in_progress(connection: SessionConnection) -> Result<ConnectionRow, AppError> {
    match connection {
        SessionConnection::Bound(row) => Ok(row),
        SessionConnection::Unbound { .. } => Err(AppError::invalid(
            "Confirm the practice first: reload this page to see which practice Hint sent.",
        )),
        SessionConnection::None => Err(AppError::invalid(
            "There is no connection in progress. Start from Hint: open our integration there and click Connect.",
        )),
    }
}

/// Whether nothing is left to do for this session's connection, so a new code may take its
/// place: none, a code Hint refused, or a finished wizard.
pub fn is_finished(connection: &SessionConnection) -> bool {
    match connection {
        SessionConnection::None => true,
        SessionConnection::Unbound { row, .. } => row.summary.status == ConnectionStatus::Failed,
        SessionConnection::Bound(row) => row.step == WizardStep::Done,
    }
}
