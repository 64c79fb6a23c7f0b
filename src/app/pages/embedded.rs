//! `/hint/settings`: our page inside Hint's practice settings, framed by Hint's app. It shows the
//! practice's connection in words and lets the Hint user change the practice's email
//! preferences. It works without JavaScript and without cookies: the session key travels in the
//! URL and in each form.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::embedded::{embedded_settings, InviteEmbeddedOwner, SaveEmbeddedPreferences};
use crate::app::components::form_error::ActionError;
use crate::app::components::status_badge::StatusBadge;
use crate::domain::dates::iso_date;
use crate::domain::embedded::{EmbeddedView, PracticeSettings};

/// The settings surface.
#[component]
pub fn EmbeddedSettingsPage() -> impl IntoView {
    let query = use_query_map();
    let session_key = move || query.read().get("session_key").unwrap_or_default();
    let action = ServerAction::<SaveEmbeddedPreferences>::new();
    let view_data = Resource::new_blocking(
        move || (session_key(), action.version().get()),
        |(key, _)| embedded_settings(key),
    );
    view! {
        <Title text="practice-connect in Hint" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match view_data.await {
                    Ok(EmbeddedView::NoSession) => view! {
                        <section class="card embedded-card">
                            <h1>"practice-connect"</h1>
                            <p>"Open this page from inside Hint: Settings, then practice-connect. "
                                "It needs the short-lived key Hint gives it."</p>
                        </section>
                    }.into_any(),
                    Ok(EmbeddedView::NoAccess) => view! {
                        <section class="card embedded-card">
                            <h1>"practice-connect"</h1>
                            <p>"Your role in Hint does not give access to these settings. "
                                "Ask your practice's admin in Hint for one that does."</p>
                        </section>
                    }.into_any(),
                    Ok(EmbeddedView::NotConnected { support_session, .. }) => view! {
                        <section class="card embedded-card">
                            {support_session.then(|| view! { <SupportBanner /> })}
                            <h1>"practice-connect"</h1>
                            <p class="badge pending">"Not connected yet"</p>
                            <p>"This practice is not connected to practice-connect yet. In Hint's marketplace, click Connect on our listing, "
                                "then sign in or create an account on the page that opens."</p>
                        </section>
                    }.into_any(),
                    Ok(EmbeddedView::Connected(settings)) => view! {
                        <Connected settings action session_key=session_key() />
                    }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Asks who should own a connection nobody owns yet (Hint's headless install made it).
#[component]
fn InviteOwner(session_key: String) -> impl IntoView {
    let invite = ServerAction::<InviteEmbeddedOwner>::new();
    let pending = invite.pending();
    view! {
        <section class="card embedded-card" aria-labelledby="invite-heading">
            <h2 id="invite-heading">"Who looks after this connection?"</h2>
            <p>"Hint connected this practice without a provider account. Invite the provider who will look after it: "
                "they get a link to sign in and confirm the practice."</p>
            <ActionForm action=invite attr:class="form" attr:aria-label="Invite the provider">
                <input type="hidden" name="session_key" value=session_key />
                <label for="invite-email">"Their work email"</label>
                <input id="invite-email" name="email" type="email" autocomplete="off" required maxlength="254" />
                <ActionError action=invite />
                <button type="submit" disabled=move || pending.get()>"Send the invitation"</button>
                {move || invite.value().get().and_then(Result::ok).map(|_| view! { <p class="success" role="status">"Invitation sent."</p> })}
            </ActionForm>
        </section>
    }
}

/// Shown on every page of a session opened by Hint's own staff.
#[component]
fn SupportBanner() -> impl IntoView {
    view! {
        <p class="banner support" role="status">
            "Hint support session: you are viewing this practice's settings as Hint's staff. Nothing can be changed here."
        </p>
    }
}

#[component]
fn Connected(
    settings: PracticeSettings,
    action: ServerAction<SaveEmbeddedPreferences>,
    session_key: String,
) -> impl IntoView {
    let pending = action.pending();
    let next_step = settings.next_step();
    let read_only = !settings.can_edit;
    view! {
        {settings.support_session.then(|| view! { <SupportBanner /> })}
        <section class="card embedded-card" aria-labelledby="embedded-heading">
            <div class="page-head">
                <h1 id="embedded-heading">{format!("practice-connect for {}", settings.practice_name)}</h1>
                <StatusBadge status=settings.status />
            </div>
            <dl class="facts">
                <dt>"Status"</dt><dd>{settings.status.label()}</dd>
                <dt>"Connected"</dt><dd>{settings.connected_at.map(iso_date).unwrap_or_else(|| "not yet".into())}
                    {settings.connected_by.clone().map(|who| format!(" by {who}"))}</dd>
                <dt>"Key last proven"</dt><dd>{settings.last_verified_at.map(iso_date).unwrap_or_else(|| "not yet".into())}</dd>
                <dt>"What to do"</dt><dd>{next_step}</dd>
                <dt>"Provider account"</dt><dd>{if settings.claimed { "Claimed" } else { "Not claimed yet" }}</dd>
            </dl>
        </section>
        {(!settings.claimed && settings.can_edit).then(|| view! { <InviteOwner session_key=session_key.clone() /> })}
        <section class="card embedded-card" aria-labelledby="preferences-heading">
            <h2 id="preferences-heading">"Email preferences"</h2>
            <ActionForm action attr:class="form" attr:aria-label="Email preferences">
                <input type="hidden" name="session_key" value=session_key />
                <label class="check">
                    <input type="checkbox" name="alerts_by_email" value="on" checked=settings.alerts_by_email disabled=read_only />
                    " Email the provider when the connection needs attention"
                </label>
                <label class="check">
                    <input type="checkbox" name="weekly_summary" value="on" checked=settings.weekly_summary disabled=read_only />
                    " Send the provider a weekly summary"
                </label>
                <ActionError action />
                {(!read_only).then(|| view! { <button type="submit" disabled=move || pending.get()>"Save preferences"</button> })}
                {read_only.then(|| view! { <p class="help">"You can see these settings; your role in Hint does not allow changing them."</p> })}
                {move || action.value().get().and_then(Result::ok).map(|_| view! { <p class="success" role="status">"Saved."</p> })}
            </ActionForm>
        </section>
    }
}
