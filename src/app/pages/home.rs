//! The home page: what the app does, how connecting works, and a live status check.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::status::GetSystemStatus;
use crate::domain::status::{HintMode, SystemStatus};

/// The landing page for anyone who opens the app directly.
#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="Connect your Hint practice" />
        <section class="hero">
            <h1>"Connect your Hint practice"</h1>
            <p class="lead">
                "practice-connect links a direct primary care practice on Hint Health to our app in a few steps. "
                "Start from Hint: open our integration in Hint's marketplace and click Connect."
            </p>
        </section>
        <section class="card" aria-labelledby="how-heading">
            <h2 id="how-heading">"How connecting works"</h2>
            <ol class="steps">
                <li><strong>"Click Connect in Hint."</strong>" Hint sends you here with a one-time code."</li>
                <li><strong>"Sign up or log in."</strong>" Your practice's code is kept safe while you do."</li>
                <li><strong>"Confirm your practice and preferences."</strong>" Come back any time: your progress is saved."</li>
                <li><strong>"Connect."</strong>" We finish the link with Hint and show your practice as connected."</li>
            </ol>
        </section>
        <StatusCheck />
    }
}

/// A button that asks the server how it is doing: proves the page is hydrated and that server
/// functions reach the database.
#[component]
fn StatusCheck() -> impl IntoView {
    let check = ServerAction::<GetSystemStatus>::new();
    let pending = check.pending();
    let result = check.value();
    view! {
        <section class="card" aria-labelledby="status-heading">
            <h2 id="status-heading">"System status"</h2>
            <p>"Check that this app can reach its database and which Hint it talks to."</p>
            <button
                type="button"
                class="button"
                disabled=move || pending.get()
                on:click=move |_| {
                    check.dispatch(GetSystemStatus {});
                }
            >
                {move || if pending.get() { "Checking…" } else { "Check system status" }}
            </button>
            <div class="status-result" role="status" aria-live="polite">
                {move || result.get().map(|outcome| match outcome {
                    Ok(status) => view! { <StatusReport status /> }.into_any(),
                    Err(error) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
                })}
            </div>
        </section>
    }
}

#[component]
fn StatusReport(status: SystemStatus) -> impl IntoView {
    let database = if status.database_ok {
        format!("{} is reachable", status.database_backend)
    } else {
        format!("{} is not answering", status.database_backend)
    };
    let hint = match status.hint {
        HintMode::BuiltInSandbox { marketplace_url } if !marketplace_url.is_empty() => view! {
            "the built-in Hint sandbox — " <a href=marketplace_url>"open its marketplace"</a>
        }
        .into_any(),
        HintMode::BuiltInSandbox { .. } => "the built-in Hint sandbox".into_any(),
        HintMode::Remote { base_url } => format!("Hint at {base_url}").into_any(),
    };
    view! {
        <dl class="facts">
            <dt>"Database"</dt>
            <dd class=if status.database_ok { "ok" } else { "bad" }>{database}</dd>
            <dt>"Hint"</dt>
            <dd>{hint}</dd>
            <dt>"Version"</dt>
            <dd>{status.version}</dd>
        </dl>
    }
}
