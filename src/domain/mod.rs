//! Types shared by the server and the browser: what crosses the wire, and the rules it carries.

pub mod error;
pub mod status;

pub use error::AppError;
pub use status::SystemStatus;
