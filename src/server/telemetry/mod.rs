//! Structured logs with `tracing`: readable by default, JSON on request (`json_lines`: flat
//! objects with the request's id at the top level); `trace_context` carries a caller's W3C
//! trace to the calls made for it.

mod json_lines;
pub mod trace_context;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

use crate::settings::LogFormat;

/// Installs the global log subscriber. `RUST_LOG` picks what is shown (default: `info`).
/// Calling it twice (as tests do) keeps the first subscriber.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,hyper=warn,tower_sessions=warn"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        // Colours only on a terminal: journald and files get plain text.
        LogFormat::Human => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_target(false)
                    .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout())),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .fmt_fields(tracing_subscriber::fmt::format::JsonFields::new())
                    .event_format(json_lines::JsonLines),
            )
            .try_init(),
    };
    // Already installed (a second test in one process): the first one stays.
    drop(result);
}
