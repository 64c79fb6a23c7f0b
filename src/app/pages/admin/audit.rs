//! `/admin/audit`: the whole audit log for admins, newest first, filtered by actor, action,
//! practice and days, in pages; the same view exported as CSV or JSON lines. The URL holds the
//! view (a plain GET form), so it works before the WebAssembly loads and can be shared.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

use super::AccessProblem;
use crate::api::audit::audit_log_page;
use crate::app::components::local_time::LocalTime;
use crate::domain::audit::{ActorKind, AuditAction};
use crate::domain::audit_log::{AuditFilter, AuditPage};

fn filter(params: &ParamsMap) -> AuditFilter {
    let text = |name: &str| params.get(name).unwrap_or_default();
    AuditFilter {
        actor: text("actor"),
        action: text("action"),
        practice: text("practice"),
        from: text("from"),
        to: text("to"),
        before: params.get("before").and_then(|id| id.parse().ok()),
    }
}

/// The page.
#[component]
pub fn AuditLogPage() -> impl IntoView {
    let params = use_query_map();
    let current = Memo::new(move |_| filter(&params.read()));
    let page = Resource::new(move || current.get(), audit_log_page);
    view! {
        <Title text="Audit log" />
        <p><a href="/admin">"← All connections"</a></p>
        <div class="page-head"><h1>"Audit log"</h1></div>
        <Filters filter=current.get_untracked() />
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <Entries page filter=current.get_untracked() /> }.into_any(),
                    Err(error) => view! { <AccessProblem error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Filters(filter: AuditFilter) -> impl IntoView {
    let actions = AuditAction::ALL
        .iter()
        .map(|action| {
            let selected = filter.action == action.as_str();
            view! { <option value=action.as_str() selected=selected>{action.label()}</option> }
        })
        .collect_view();
    let kinds = ActorKind::ALL
        .iter()
        .map(|kind| view! { <option value=kind.as_str()></option> })
        .collect_view();
    let query = filter.query_string();
    let export = move |extension: &str| format!("/admin/audit.{extension}?{query}");
    view! {
        <form class="filters" method="get" action="/admin/audit" role="search" aria-label="Filter the audit log">
            <div>
                <label for="actor">"Actor"</label>
                <input id="actor" name="actor" list="actor-kinds" value=filter.actor.clone()
                    placeholder="staff, service, or an id or name" />
                <datalist id="actor-kinds">{kinds}</datalist>
            </div>
            <div>
                <label for="action">"Action"</label>
                <select id="action" name="action">
                    <option value="" selected=filter.action.is_empty()>"All actions"</option>
                    {actions}
                </select>
            </div>
            <div>
                <label for="practice">"Practice"</label>
                <input id="practice" name="practice" value=filter.practice.clone()
                    placeholder="pra-… or con_…" />
            </div>
            <div>
                <label for="from">"From (UTC)"</label>
                <input id="from" name="from" type="date" value=filter.from.clone() />
            </div>
            <div>
                <label for="to">"To (UTC)"</label>
                <input id="to" name="to" type="date" value=filter.to.clone() />
            </div>
            <button type="submit">"Apply"</button>
            <a class="button secondary" href=export("csv") download="audit-log.csv">"Export CSV"</a>
            <a class="button secondary" href=export("jsonl") download="audit-log.jsonl">"Export JSON lines"</a>
        </form>
    }
}

#[component]
fn Entries(page: AuditPage, filter: AuditFilter) -> impl IntoView {
    let retention = match page.retention_days {
        Some(days) => format!("Entries are kept {days} days, then archived and removed."),
        None => "Entries are kept forever.".to_owned(),
    };
    let query = filter.query_string();
    let newest = format!("/admin/audit?{query}");
    let older = page
        .older
        .map(|before| format!("/admin/audit?{query}&before={before}"));
    let paged = filter.before.is_some();
    if page.entries.is_empty() {
        return view! {
            <p class="empty">"No entries match these filters."</p>
            <p class="help">{retention}</p>
        }
        .into_any();
    }
    let rows = page
        .entries
        .into_iter()
        .map(|entry| {
            let actor = match &entry.actor_id {
                Some(id) => format!("{} {id}", entry.actor_kind),
                None => entry.actor_kind.clone(),
            };
            let action =
                AuditAction::parse(&entry.action).map_or(entry.action.clone(), AuditAction::label);
            let connection = entry.connection_id.clone().map(|id| {
                let href = format!("/admin/connections/{id}");
                view! { <a href=href>{id}</a> }
            });
            view! {
                <tr>
                    <td><LocalTime at=entry.at /></td>
                    <td>{actor}</td>
                    <td>{action}</td>
                    <td>{connection}</td>
                    <td>{entry.ip.clone().unwrap_or_default()}</td>
                    <td class=format!("outcome-{}", entry.outcome)>{entry.outcome.clone()}</td>
                    <td>{entry.detail.clone().unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap" role="region" aria-label="Audit entries" tabindex="0">
        <table class="audit">
            <caption>"Newest first. " {retention}</caption>
            <thead><tr>
                <th scope="col">"When"</th><th scope="col">"Actor"</th><th scope="col">"Action"</th>
                <th scope="col">"Connection"</th><th scope="col">"Address"</th>
                <th scope="col">"Outcome"</th><th scope="col">"Detail"</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
        </div>
        <nav class="pager" aria-label="Pages">
            {paged.then(|| view! { <a href=newest>"← Newest"</a> })}
            {older.map(|href| view! { <a href=href rel="next">"Older entries →"</a> })}
        </nav>
    }
    .into_any()
}
