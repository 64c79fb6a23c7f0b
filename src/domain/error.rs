//! The one error type that crosses from the server to the browser.
//!
//! Every variant's message is safe to show and tells the user what to do next. Internal causes
//! are logged on the server where they happen and never travel with the error.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// An error a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The input was wrong; the message says which field and how to fix it.
    #[error("{0}")]
    Invalid(String),
    /// The caller must log in first.
    #[error("Please log in to continue.")]
    Unauthenticated,
    /// The caller is logged in but may not do this.
    #[error("You do not have access to this page or action.")]
    Forbidden,
    /// A staff login is waiting for its second factor (or for one to be set up).
    #[error("Finish logging in with your authenticator first.")]
    SecondFactorNeeded,
    /// This action needs the password and an authenticator code confirmed again, recently.
    #[error("For this action, confirm your password and a code from your authenticator again.")]
    StepUpNeeded,
    /// The thing asked for does not exist (or is not the caller's to see).
    #[error("We could not find that. It may have been removed.")]
    NotFound,
    /// Too many attempts in a short time; says how long to wait.
    #[error("Too many attempts. Please wait {} and try again.", wait_in_words(*retry_after_seconds))]
    RateLimited {
        /// Seconds until a new attempt can succeed.
        retry_after_seconds: u64,
    },
    /// The browser could not reach our server.
    #[error("We could not reach the server. Check your connection and try again.")]
    Network,
    /// Something failed on our side; the cause is in the server's logs.
    #[error("Something went wrong on our side. Please try again; if it keeps happening, contact support.")]
    Internal,
    /// `Internal` as a browser receives it: with the request's id, which every log line of the
    /// failed request carries. Made only by the server's error middleware, never by a service.
    #[error("Something went wrong on our side. Please try again; if it keeps happening, contact support and quote this reference: {reference}.")]
    Failed {
        /// The request id (`X-Request-Id`).
        reference: String,
    },
}

/// "45 seconds", "1 minute", "15 minutes": a wait as a person reads it (rounded up).
pub fn wait_in_words(seconds: u64) -> String {
    match seconds {
        0..=1 => "a second".to_owned(),
        2..=59 => format!("{seconds} seconds"),
        _ => {
            let minutes = seconds.div_ceil(60);
            if minutes == 1 {
                "1 minute".to_owned()
            } else {
                format!("{minutes} minutes")
            }
        }
    }
}

impl AppError {
    /// An input error with a message for the user.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }
}

impl AppError {
    /// The HTTP status a server function answers with when it fails this way.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::Invalid(_) => 400,
            Self::Unauthenticated => 401,
            Self::Forbidden => 403,
            Self::SecondFactorNeeded => 401,
            Self::StepUpNeeded => 403,
            Self::NotFound => 404,
            Self::RateLimited { .. } => 429,
            Self::Network => 502,
            Self::Internal | Self::Failed { .. } => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(_) => Self::Network,
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                Self::invalid("The form was incomplete. Please check every field and try again.")
            }
            _ => Self::Internal,
        }
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::AppError;

    impl From<sqlx::Error> for AppError {
        #[track_caller]
        fn from(error: sqlx::Error) -> Self {
            let at = std::panic::Location::caller();
            tracing::error!(%error, %at, "database error");
            AppError::Internal
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_request_becomes_a_network_error() {
        let error = AppError::from_server_fn_error(ServerFnErrorErr::Request("refused".into()));
        assert_eq!(error, AppError::Network);
    }

    #[test]
    fn server_side_failures_never_carry_their_cause_to_the_browser() {
        let error = AppError::from_server_fn_error(ServerFnErrorErr::ServerError(
            "relation users does not exist".into(),
        ));
        assert_eq!(error, AppError::Internal);
        assert!(!error.to_string().contains("relation"));
    }

    #[test]
    fn a_rate_limit_says_how_long_to_wait() {
        let wait = |seconds| {
            AppError::RateLimited {
                retry_after_seconds: seconds,
            }
            .to_string()
        };
        assert!(wait(30).contains("wait 30 seconds"));
        assert!(wait(60).contains("wait 1 minute "));
        assert!(wait(900).contains("wait 15 minutes"));
        assert!(wait(61).contains("wait 2 minutes"));
    }

    #[test]
    fn errors_round_trip_through_json() {
        let error = AppError::invalid("Email is not valid.");
        let json = serde_json::to_string(&error).unwrap();
        assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), error);
    }
}
