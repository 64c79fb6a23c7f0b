//! Types shared by the server and the browser: what crosses the wire, and the rules it carries.

pub mod account;
pub mod admin;
pub mod connection;
pub mod dates;
pub mod error;
pub mod status;

pub use error::AppError;
pub use status::SystemStatus;
