//! How a Hint call can fail, told apart by whether the request could have reached Hint.

/// Why a Hint call did not give an answer we can use.
#[derive(Debug, thiserror::Error)]
pub enum HintError {
    /// Hint refused the request itself (4xx other than 401/403/428/429): for an exchange, the code
    /// is used, expired or unknown.
    #[error("Hint refused the request ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// Hint refused our credentials (401/403), or the key type (428).
    #[error("Hint refused our credentials ({status}): {message}")]
    Unauthorized { status: u16, message: String },
    /// Still rate limited or unavailable after the retries the deadline allowed.
    #[error("Hint is unavailable ({status}) after {attempts} attempts")]
    Unavailable { status: u16, attempts: u32 },
    /// No connection could be made, after retries.
    #[error("Hint could not be reached after {attempts} attempts: {cause}")]
    Unreachable { attempts: u32, cause: String },
    /// The request may have reached Hint, but no usable answer came back (timeout, dropped
    /// connection, 500/502/504). Not retried: Hint may have acted.
    #[error("no answer from Hint: {cause}")]
    NoAnswer { cause: String },
    /// A 2xx whose body we could not read.
    #[error("unreadable answer from Hint: {0}")]
    BadResponse(String),
    /// Hint answered with an installation of another product than `HINT_PRODUCT_ID`.
    #[error("Hint answered for another product ({got}) than HINT_PRODUCT_ID")]
    WrongProduct { got: String },
}

impl HintError {
    /// The same error with every occurrence of `secret` in Hint's message replaced by `…`.
    pub fn scrubbed(self, secret: &str) -> Self {
        let scrub = |message: String| {
            if secret.is_empty() {
                message
            } else {
                message.replace(secret, "…")
            }
        };
        match self {
            Self::Rejected { status, message } => Self::Rejected {
                status,
                message: scrub(message),
            },
            Self::Unauthorized { status, message } => Self::Unauthorized {
                status,
                message: scrub(message),
            },
            Self::NoAnswer { cause } => Self::NoAnswer {
                cause: scrub(cause),
            },
            Self::Unreachable { attempts, cause } => Self::Unreachable {
                attempts,
                cause: scrub(cause),
            },
            Self::BadResponse(cause) => Self::BadResponse(scrub(cause)),
            other @ (Self::Unavailable { .. } | Self::WrongProduct { .. }) => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_echoed_code_is_scrubbed_from_hints_error_text() {
        let error = HintError::Rejected {
            status: 400,
            message: "invalid code 2jK3jlOOOpejk7xnKEl".into(),
        };
        assert_eq!(
            error.scrubbed("2jK3jlOOOpejk7xnKEl").to_string(),
            "Hint refused the request (400): invalid code …"
        );
    }
}
