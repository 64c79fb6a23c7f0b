//! A connection's status as a coloured badge with its words (colour is never the only cue).

use leptos::prelude::*;

use crate::domain::connection::ConnectionStatus;

/// The badge.
#[component]
pub fn StatusBadge(status: ConnectionStatus) -> impl IntoView {
    view! { <span class=format!("badge {}", status.as_str())>{status.label()}</span> }
}
