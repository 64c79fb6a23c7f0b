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
        <SandboxWelcome />
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

/// In development mode only: says plainly that this is a local sandbox and links straight to its
/// marketplace, where a newcomer clicks Connect. Rendered on the server (works without
/// JavaScript); outside development the server sends no marketplace, and nothing shows.
#[component]
fn SandboxWelcome() -> impl IntoView {
    let status = Resource::new_blocking(|| (), |_| crate::api::status::get_system_status());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                status.await.ok().and_then(|status| status.sandbox_marketplace).map(|url| view! {
                    <section class="card notice-card" aria-labelledby="sandbox-heading">
                        <h2 id="sandbox-heading">"Try it here: this is a local sandbox"</h2>
                        <p>"This copy runs in development mode with a built-in imitation of Hint: no real practices, no real keys. "
                            "Play a practice admin in Hint: open the sandbox's marketplace, click Connect on a practice, and follow the steps back here."</p>
                        <p><a class="button" href=url>"Open the sandbox marketplace"</a></p>
                        <p>"Email the app sends (the link that confirms your address, a password reset) waits in the "
                            <a href="/dev/outbox">"development outbox"</a>" instead, unless a mail server is set with SMTP_URL."</p>
                    </section>
                })
            })}
        </Suspense>
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
            <p>"Check that the service is up."</p>
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
    let health = if status.database_ok {
        "The service is working."
    } else {
        "The service has a problem right now. Please try again later."
    };
    view! {
        <p class=if status.database_ok { "ok" } else { "bad" }>{health}</p>
        {status.sandbox_marketplace.map(|url| view! {
            <p>"Development mode: the built-in Hint sandbox plays Hint. "<a href=url>"Open its marketplace"</a>" and click Connect to try the whole journey."</p>
        })}
        {status.details.map(|details| {
            let hint = match details.hint {
                HintMode::BuiltInSandbox { .. } => "the built-in Hint sandbox".to_owned(),
                HintMode::Remote { base_url } => format!("Hint at {base_url}"),
            };
            view! {
                <dl class="facts">
                    <dt>"Database"</dt><dd>{details.database_backend}</dd>
                    <dt>"Hint"</dt><dd>{hint}</dd>
                    <dt>"Version"</dt><dd>{details.version}</dd>
                </dl>
            }
        })}
    }
}
