//! `/admin/partner-api`: the partner's own product's access. Service tokens (listed, made with a
//! step-up and shown once, revoked) and event endpoints with their latest deliveries, each with
//! "send again". Endpoints are added and removed with `practice-connect event-endpoints …`.

use leptos::prelude::*;
use leptos_meta::Title;

use super::AccessProblem;
use crate::api::partner::{partner_api_page, CreateServiceToken, ResendEvent, RevokeServiceToken};
use crate::app::components::form_error::ActionError;
use crate::app::components::local_time::LocalTime;
use crate::app::components::step_up::StepUpFields;
use crate::domain::dates::age_in_words;
use crate::domain::partner::{DeliveryStatus, EndpointView, PartnerApiOverview, Scope};

/// The page.
#[component]
pub fn PartnerApiPage() -> impl IntoView {
    let create = ServerAction::<CreateServiceToken>::new();
    let revoke = ServerAction::<RevokeServiceToken>::new();
    let resend = ServerAction::<ResendEvent>::new();
    let overview = Resource::new(
        move || {
            (
                create.version().get(),
                revoke.version().get(),
                resend.version().get(),
            )
        },
        |_| partner_api_page(),
    );
    view! {
        <Title text="Partner API" />
        <p><a href="/admin">"← All connections"</a></p>
        <div class="page-head"><h1>"Partner API"</h1></div>
        <p class="help">"Your own services read connections and keys through the service API ("
            <a href="/v1/openapi.json">"its OpenAPI document"</a>") with a service token, and hear of every change through signed events."</p>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(overview) => view! { <Overview overview create revoke resend /> }.into_any(),
                    Err(error) => view! { <AccessProblem error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Overview(
    overview: PartnerApiOverview,
    create: ServerAction<CreateServiceToken>,
    revoke: ServerAction<RevokeServiceToken>,
    resend: ServerAction<ResendEvent>,
) -> impl IntoView {
    let now = overview.now;
    let tokens = overview
        .tokens
        .into_iter()
        .map(|token| {
            let used = token
                .last_used_at
                .map_or("never".to_owned(), |at| age_in_words(at, now));
            let name = token.name.clone();
            let label = format!("Revoke {name}");
            view! {
                <tr>
                    <td><code>{token.name.clone()}</code></td>
                    <td>{Scope::join(&token.scopes)}</td>
                    <td><LocalTime at=token.created_at /></td>
                    <td>{used}</td>
                    <td>
                        <ActionForm action=revoke attr:class="inline" attr:aria-label=label>
                            <input type="hidden" name="name" value=name.clone() />
                            <button type="submit" class="danger">"Revoke"</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let endpoints = overview
        .endpoints
        .into_iter()
        .map(|endpoint| view! { <Endpoint endpoint now resend /> })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="tokens-heading">
            <h2 id="tokens-heading">"Service tokens"</h2>
            <table class="staff-list">
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"Scopes"</th><th scope="col">"Created"</th>
                    <th scope="col">"Last used"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr></thead>
                <tbody>{tokens}</tbody>
            </table>
            {move || revoke.value().get().and_then(Result::ok).map(|message| view! { <p class="success" role="status">{message}</p> })}
            <ActionError action=revoke />
            <details class="confirm">
                <summary>"New service token…"</summary>
                <ActionForm action=create attr:class="form" attr:aria-label="New service token">
                    <label for="token-name">"Name (the service that will hold it)"</label>
                    <input id="token-name" name="name" required maxlength="64" pattern="[A-Za-z0-9._\\-]+" />
                    <fieldset>
                        <legend>"Scopes"</legend>
                        <label><input type="checkbox" name="connections_read" checked />" connections:read (list and read connections)"</label>
                        <label><input type="checkbox" name="keys_read" />" keys:read (read practice keys; every read is audited)"</label>
                    </fieldset>
                    <StepUpFields id="token".into() code_name="code" />
                    <button type="submit">"Create token"</button>
                </ActionForm>
            </details>
            {move || create.value().get().and_then(Result::ok).map(|token| view! {
                <p class="success" role="status">"The new token, shown once: "<code class="secret">{token}</code></p>
            })}
            <ActionError action=create />
        </section>
        <section class="card" aria-labelledby="endpoints-heading">
            <h2 id="endpoints-heading">"Event endpoints"</h2>
            {move || resend.value().get().and_then(Result::ok).map(|message| view! { <p class="success" role="status">{message}</p> })}
            <ActionError action=resend />
            {endpoints}
            <p class="help">"Add or remove one with "<code>"practice-connect event-endpoints add --url URL"</code>
                " on the server (it prints the signing secret once)."</p>
        </section>
    }
}

#[component]
fn Endpoint(endpoint: EndpointView, now: i64, resend: ServerAction<ResendEvent>) -> impl IntoView {
    let url = endpoint.url.clone();
    let rows = endpoint
        .recent
        .into_iter()
        .map(|delivery| {
            let outcome = match delivery.status {
                DeliveryStatus::Delivered => "delivered".to_owned(),
                DeliveryStatus::Pending if delivery.attempts == 0 => "waiting".to_owned(),
                DeliveryStatus::Pending => format!(
                    "retrying {}",
                    if delivery.next_attempt_at > now { "later" } else { "now" }
                ),
                DeliveryStatus::GaveUp => "gave up".to_owned(),
                DeliveryStatus::Cancelled => "cancelled".to_owned(),
            };
            let last = match (delivery.last_status, delivery.last_error) {
                (Some(status), _) => format!("HTTP {status}"),
                (None, Some(error)) => error,
                (None, None) => "—".to_owned(),
            };
            let url = url.clone();
            let event_id = delivery.event_id.clone();
            let label = format!("Send {event_id} again");
            view! {
                <tr>
                    <td><code>{delivery.event_id.clone()}</code></td>
                    <td>{delivery.kind.clone()}</td>
                    <td><a href=format!("/admin/connections/{}", delivery.connection_id)>{age_in_words(delivery.created_at, now)}</a></td>
                    <td>{outcome}</td>
                    <td>{delivery.attempts}</td>
                    <td>{last}</td>
                    <td>
                        <ActionForm action=resend attr:class="inline" attr:aria-label=label>
                            <input type="hidden" name="url" value=url />
                            <input type="hidden" name="event_id" value=event_id />
                            <button type="submit">"Send again"</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h3><code>{endpoint.url.clone()}</code></h3>
        <p class="muted">{format!("{} waiting", endpoint.pending)}</p>
        <table class="staff-list">
            <thead><tr>
                <th scope="col">"Event"</th><th scope="col">"Type"</th><th scope="col">"Made"</th>
                <th scope="col">"State"</th><th scope="col">"Attempts"</th><th scope="col">"Last answer"</th>
                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
