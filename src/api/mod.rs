//! Server functions: public HTTP endpoints, kept thin. Each checks who is calling, calls a
//! service, and maps failures to `AppError`.

pub mod status;
