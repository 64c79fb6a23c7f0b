//! The provider's home: their practices, each with its status. Never a key.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::practices::my_connections;
use crate::domain::connection::{ConnectionStatus, ConnectionSummary};
use crate::domain::dates::iso_date;
use crate::domain::AppError;

/// `/practices`
#[component]
pub fn PracticesPage() -> impl IntoView {
    let connections = Resource::new(|| (), |_| my_connections());
    view! {
        <Title text="Your practices" />
        <div class="page-head">
            <h1>"Your practices"</h1>
        </div>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match connections.await {
                    Ok(list) if list.is_empty() => view! {
                        <p class="notice">"No practices yet. To connect one, open our integration in Hint and click Connect."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="practice-list">
                            {list.into_iter().map(|c| view! { <PracticeItem connection=c /> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(AppError::Unauthenticated) => view! {
                        <p class="notice">"Log in to see your practices. " <a href="/login">"Log in"</a></p>
                    }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn PracticeItem(connection: ConnectionSummary) -> impl IntoView {
    let name = connection
        .practice_name
        .clone()
        .unwrap_or_else(|| "Practice not connected yet".into());
    let badge = format!("badge {}", connection.status.as_str());
    let next_step = match connection.status {
        ConnectionStatus::Failed | ConnectionStatus::NeedsReconnect | ConnectionStatus::Disconnected => Some(
            "To connect again, open our integration in Hint and click Connect: Hint gives us a new one-time code.",
        ),
        ConnectionStatus::Pending => Some("Finish connecting on the onboarding page."),
        _ => None,
    };
    let resume = (connection.status == ConnectionStatus::Pending)
        .then(|| view! { <a href="/onboarding">"Continue connecting"</a> });
    view! {
        <li class="card practice-item">
            <div>
                <h2>{name}</h2>
                {connection.practice_id.map(|id| view! { <p class="muted">"Hint practice " <code>{id}</code></p> })}
                {connection.connected_at.map(|at| view! { <p class="muted">"Connected on " {iso_date(at)}</p> })}
                {connection.problem.map(|p| view! { <p class="muted">{p.message()}</p> })}
                {next_step.map(|text| view! { <p>{text}</p> })}
                {resume}
            </div>
            <span class=badge>{connection.status.label()}</span>
        </li>
    }
}
