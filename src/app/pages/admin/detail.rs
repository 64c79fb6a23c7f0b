//! `/admin/connections/:id`: everything stored about one connection, its timeline, and the
//! actions staff can take. Each action asks for confirmation (a `<details>` disclosure, so it
//! works without JavaScript) and is audited.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::AccessProblem;
use crate::api::admin::{admin_connection, staff_me, AdminAction};
use crate::app::components::local_time::LocalTime;
use crate::app::components::status_badge::StatusBadge;
use crate::app::components::step_up::StepUpFields;
use crate::domain::connection::ConnectionStatus;
use crate::domain::dashboard::ConnectionDetail;
use crate::domain::dates::{age_in_words, iso_date};
use crate::domain::onboarding::ROLES;
use crate::domain::staff::{StaffAction, StaffRole};

/// The detail page.
#[component]
pub fn ConnectionDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let action = ServerAction::<AdminAction>::new();
    let detail = Resource::new(
        move || (id.get(), action.version().get()),
        |(id, _)| admin_connection(id),
    );
    let me = Resource::new(|| (), |_| staff_me());
    view! {
        <Title text="Connection" />
        <p><a href="/admin">"← All connections"</a></p>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match (me.await, detail.await) {
                    (Ok(member), Ok(detail)) => view! {
                        <Detail detail=detail admin=member.role == StaffRole::Admin action />
                    }.into_any(),
                    (Err(error), _) | (_, Err(error)) => view! { <AccessProblem error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn or_dash(value: Option<String>) -> String {
    value
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "—".into())
}

#[component]
fn Detail(
    detail: ConnectionDetail,
    admin: bool,
    action: ServerAction<AdminAction>,
) -> impl IntoView {
    let row = detail.row.clone();
    let title = row
        .practice_name
        .clone()
        .unwrap_or_else(|| "Connection not finished".into());
    let key = detail
        .key_last4
        .clone()
        .map(|last4| format!("••••••••{last4}"));
    let has_key = key.is_some();
    let has_integration = row.integration_id.is_some();
    let practice = detail.answers.practice.clone();
    let profile = detail.answers.profile.clone();
    let role = profile
        .as_ref()
        .and_then(|p| ROLES.iter().find(|(k, _)| *k == p.role))
        .map(|(_, label)| label.to_string());
    let timeline = detail
        .timeline
        .iter()
        .map(|entry| {
            let age = age_in_words(entry.at, detail.now);
            let detail = entry
                .detail
                .clone()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            view! {
                <li>
                    <LocalTime at=entry.at />{format!(" ({age}) ")}<strong>{entry.action.label()}</strong>
                    {format!(" by {} — {}{detail}", entry.actor_kind.as_str(), entry.outcome.as_str())}
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="page-head">
            <h1>{title}</h1>
            <StatusBadge status=row.status />
        </div>
        <div class="columns">
            <section class="card" aria-labelledby="stored-heading">
                <h2 id="stored-heading">"Stored"</h2>
                <dl class="facts">
                    <dt>"Practice id"</dt><dd><code>{or_dash(row.practice_id.clone())}</code></dd>
                    <dt>"Integration id"</dt><dd><code>{or_dash(row.integration_id.clone())}</code></dd>
                    <dt>"Hint's status"</dt><dd>{or_dash(detail.hint_status.clone())}</dd>
                    <dt>"Practice key"</dt><dd><code>{or_dash(key)}</code>{detail.key_id.clone().map(|k| format!(" (key {k})"))}</dd>
                    <dt>"Product"</dt><dd>{or_dash(detail.product_name.clone())}</dd>
                    <dt>"Activated in Hint by"</dt><dd>{or_dash(detail.activated_by_name.clone())}" "{detail.activated_by_email.clone().map(|e| format!("<{e}>"))}</dd>
                    <dt>"Connected at"</dt><dd>{row.connected_at.map(iso_date).unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Last verified"</dt><dd>{row.last_verified_at.map(iso_date).unwrap_or_else(|| "never".into())}</dd>
                    <dt>"Last problem"</dt><dd>{or_dash(detail.failure.map(|problem| problem.as_str().to_owned()))}</dd>
                    <dt>"Record id"</dt><dd><code>{row.id.clone()}</code></dd>
                </dl>
            </section>
            <section class="card" aria-labelledby="provider-heading">
                <h2 id="provider-heading">"Provider and answers"</h2>
                <dl class="facts">
                    <dt>"Provider"</dt><dd>{or_dash(row.provider_name.clone())}</dd>
                    <dt>"Email"</dt>
                    <dd>
                        {or_dash(row.provider_email.clone())}
                        {(row.provider_email.is_some() && !row.provider_email_verified).then(|| view! { " " <span class="badge pending">"unverified"</span> })}
                    </dd>
                    <dt>"Practice (as told)"</dt><dd>{or_dash(practice.as_ref().map(|p| p.name.clone()))}</dd>
                    <dt>"Practice phone"</dt><dd>{or_dash(practice.as_ref().map(|p| p.phone.clone()))}</dd>
                    <dt>"Clinicians"</dt><dd>{or_dash(practice.as_ref().map(|p| p.clinicians.to_string()))}</dd>
                    <dt>"Role"</dt><dd>{or_dash(role)}</dd>
                    <dt>"Phone"</dt><dd>{or_dash(profile.as_ref().map(|p| p.contact_phone.clone()))}</dd>
                    <dt>"Alerts by email"</dt><dd>{profile.as_ref().map(|p| if p.alerts_by_email { "yes" } else { "no" }).unwrap_or("—")}</dd>
                    <dt>"Weekly summary"</dt><dd>{profile.as_ref().map(|p| if p.weekly_summary { "yes" } else { "no" }).unwrap_or("—")}</dd>
                </dl>
            </section>
        </div>
        <section class="card" aria-labelledby="actions-heading">
            <h2 id="actions-heading">"Actions"</h2>
            {detail.revealed_key.clone().map(|key| view! {
                <p class="success" role="status">"The practice's key (shown once): "<code class="secret">{key}</code></p>
            })}
            {move || action.value().get().map(|outcome| match outcome {
                Ok(message) => view! { <p class="success" role="status">{message}</p> }.into_any(),
                Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
            })}
            {(admin && !has_integration && !has_key).then(|| view! {
                <p class="muted">"Nothing to act on yet: this connection has no integration at Hint."</p>
            })}
            {if admin {
                view! {
                    <div class="action-list">
                        {has_key.then(|| view! { <Confirm action id=row.id.clone() kind=StaffAction::Verify label="Verify key now"
                            explain="Calls Hint's practice endpoint with the stored key and records the result." /> })}
                        {has_integration.then(|| view! { <Confirm action id=row.id.clone() kind=StaffAction::Refresh label="Refresh status from Hint"
                            explain="Reads the integration's status at Hint and stores it." /> })}
                        {(row.status == ConnectionStatus::AwaitingActivation).then(|| view! { <Confirm action id=row.id.clone()
                            kind=StaffAction::Activate label="Activate at Hint" explain="Activates the pending integration at Hint." /> })}
                        {(has_integration && row.status != ConnectionStatus::Disconnected).then(|| view! { <Confirm action id=row.id.clone()
                            kind=StaffAction::Deactivate label="Deactivate" explain="Disconnects this practice at Hint and deletes its stored key. This cannot be undone from here." /> })}
                        {has_key.then(|| view! { <Confirm action id=row.id.clone() kind=StaffAction::Reveal label="Reveal full key"
                            explain="Shows the practice's API key once. The reveal is recorded in the audit log." /> })}
                    </div>
                }.into_any()
            } else {
                view! { <p class="muted">"Support staff can see connections; actions need an admin."</p> }.into_any()
            }}
        </section>
        <section class="card" aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">"Timeline"</h2>
            <ol class="timeline">{timeline}</ol>
        </section>
    }
}

/// An action behind a confirmation step.
#[component]
fn Confirm(
    action: ServerAction<AdminAction>,
    id: String,
    kind: StaffAction,
    label: &'static str,
    explain: &'static str,
) -> impl IntoView {
    let pending = action.pending();
    view! {
        <details class="confirm">
            <summary>{format!("{label}…")}</summary>
            <p>{explain}</p>
            <ActionForm action attr:class=if kind.needs_step_up() { "form" } else { "inline" }
                attr:aria-label=format!("Confirm: {}", label.to_lowercase())>
                <input type="hidden" name="id" value=id.clone() />
                <input type="hidden" name="action" value=kind.as_str() />
                {kind.needs_step_up().then(|| view! { <StepUpFields id=format!("{}-{id}", kind.as_str()) code_name="code" /> })}
                <button type="submit" class=if kind == StaffAction::Deactivate { "danger" } else { "" } disabled=move || pending.get()>
                    {format!("Yes, {}", label.to_lowercase())}
                </button>
            </ActionForm>
        </details>
    }
}
