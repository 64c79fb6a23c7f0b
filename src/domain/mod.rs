//! Types shared by the server and the browser: what crosses the wire, and the rules it carries.

/// Declares a fieldless enum stored as a snake_case word, with its list of values, the word
/// each one is stored as, and the way back from a stored word. Used for every enum the database
/// or a form carries as text, so the word is written once.
macro_rules! stored_words {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $word:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant,)* }

        impl $name {
            /// Every value.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)*];

            /// The word stored in the database.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $word,)* }
            }

            /// Reads a stored word.
            pub fn parse(word: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|value| value.as_str() == word)
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(word: String) -> Result<Self, Self::Error> {
                Self::parse(&word).ok_or_else(|| format!(concat!("unknown ", stringify!($name), " {:?}"), word))
            }
        }
    };
}

pub mod account;
pub mod audit;
pub mod audit_log;
pub mod connection;
pub mod dashboard;
pub mod dates;
pub mod embedded;
pub mod error;
pub mod onboarding;
pub mod partner;
pub mod staff;
pub mod status;
pub mod urls;

pub use error::AppError;
pub use status::SystemStatus;
