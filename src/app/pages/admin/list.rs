//! `/admin`: every connection, searchable, filterable, sortable, in pages; the summary above.
//! The URL holds the view, so it can be shared and the back button works.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

use super::detail::StepUpFields;
use super::AccessProblem;
use crate::api::admin::{
    admin_connections, admin_setup_check, admin_summary, staff_me, ManualConnect,
};
use crate::app::components::form_error::ActionError;
use crate::app::components::status_badge::StatusBadge;
use crate::domain::admin::{
    ConnectionPage, ListQuery, StaffRole, Summary, MAX_OFFSET, SORT_COLUMNS,
};
use crate::domain::connection::ConnectionStatus;
use crate::domain::dates::iso_date;

fn list_query(params: &ParamsMap) -> ListQuery {
    ListQuery {
        q: params.get("q").unwrap_or_default(),
        status: params.get("status").unwrap_or_default(),
        sort: params.get("sort").unwrap_or_default(),
        dir: params.get("dir").unwrap_or_default(),
        page: params.get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
    }
}

/// The dashboard.
#[component]
pub fn AdminPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| list_query(&params.read()));
    let page = Resource::new(move || query.get(), admin_connections);
    let summary = Resource::new(|| (), |_| admin_summary());
    let me = Resource::new(|| (), |_| staff_me());
    view! {
        <Title text="Connected practices" />
        <div class="page-head">
            <h1>"Connected practices"</h1>
        </div>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let me = me.await;
                let summary = summary.await;
                let page = page.await;
                match (me, summary, page) {
                    (Ok(member), Ok(summary), Ok(page)) => view! {
                        <SummaryView summary />
                        <Filters query=query.get_untracked() />
                        <Table page query=query.get_untracked() />
                        {(member.role == StaffRole::Admin).then(|| view! { <ManualConnectForm /> })}
                        <SetupPanel />
                    }.into_any(),
                    (Err(error), _, _) | (_, Err(error), _) | (_, _, Err(error)) => view! { <AccessProblem error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn SummaryView(summary: Summary) -> impl IntoView {
    let counts = summary
        .by_status
        .iter()
        .filter(|(status, _)| *status != ConnectionStatus::Exchanging)
        .map(|(status, count)| {
            let href = format!("/admin?status={}", status.as_str());
            view! {
                <li><a href=href><StatusBadge status=*status /><strong>{*count}</strong></a></li>
            }
        })
        .collect_view();
    let max = summary
        .last_30_days
        .iter()
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0)
        .max(1);
    let total: i64 = summary.last_30_days.iter().map(|(_, n)| *n).sum();
    let bars = summary
        .last_30_days
        .iter()
        .enumerate()
        .map(|(i, (day, count))| {
            let height = (*count as f64 / max as f64 * 56.0)
                .round()
                .max(if *count > 0 { 2.0 } else { 0.0 });
            let x = (i * 10) as f64;
            let label = format!("{}: {count}", iso_date(*day));
            view! {
                <rect class="bar" x=x y=60.0 - height width="8" height=height>
                    <title>{label}</title>
                </rect>
            }
        })
        .collect_view();
    let chart_label = format!(
        "Connections per day over the last 30 days: {total} in all, at most {max} in one day."
    );
    let chart_title = chart_label.clone();
    view! {
        <section class="card summary" aria-label="Summary">
            <ul class="counts">{counts}</ul>
            <div class="chart">
                <h2>"Connections, last 30 days"</h2>
                <svg viewBox="0 0 300 60" role="img" aria-label=chart_label preserveAspectRatio="none">
                    <title>{chart_title}</title>
                    {bars}
                </svg>
            </div>
            <p class="failed-24h">
                <strong>{summary.failed_last_24h}</strong>" failed exchanges in the last 24 hours"
            </p>
        </section>
    }
}

#[component]
fn Filters(query: ListQuery) -> impl IntoView {
    let statuses = ConnectionStatus::ALL
        .iter()
        .map(|status| {
            let selected = query.status == status.as_str();
            view! { <option value=status.as_str() selected=selected>{status.label()}</option> }
        })
        .collect_view();
    let export = format!(
        "/admin/export.csv?{}",
        ListQuery {
            page: 1,
            ..query.clone()
        }
        .to_query_string()
    );
    view! {
        <form class="filters" method="get" action="/admin" role="search" aria-label="Find connections">
            <div>
                <label for="q">"Search"</label>
                <input id="q" name="q" type="search" value=query.q.clone()
                    placeholder="Practice name or id, integration id, email" />
            </div>
            <div>
                <label for="status">"Status"</label>
                <select id="status" name="status">
                    <option value="" selected=query.status.is_empty()>"All statuses"</option>
                    {statuses}
                </select>
            </div>
            <input type="hidden" name="sort" value=query.sort.clone() />
            <input type="hidden" name="dir" value=query.dir.clone() />
            <button type="submit">"Apply"</button>
            <a class="button secondary" href=export download="connections.csv">"Export CSV"</a>
        </form>
    }
}

#[component]
fn Table(page: ConnectionPage, query: ListQuery) -> impl IntoView {
    let count = count_text(&page);
    let headers = SORT_COLUMNS
        .iter()
        .map(|(key, label)| {
            let active = query.sort_column() == *key && !query.sort.is_empty();
            let next_dir = if active && !query.descending() {
                "desc"
            } else {
                "asc"
            };
            let href = format!(
                "/admin?{}",
                ListQuery {
                    sort: (*key).to_owned(),
                    dir: next_dir.to_owned(),
                    page: 1,
                    ..query.clone()
                }
                .to_query_string()
            );
            let aria_sort = if active {
                if query.descending() {
                    "descending"
                } else {
                    "ascending"
                }
            } else {
                "none"
            };
            view! { <th scope="col" aria-sort=aria_sort><a href=href>{*label}</a></th> }
        })
        .collect_view();
    let rows = page
        .rows
        .into_iter()
        .map(|row| {
            let href = format!("/admin/connections/{}", row.id);
            let name = row
                .practice_name
                .clone()
                .unwrap_or_else(|| "(not connected yet)".into());
            let provider = match (row.provider_name.clone(), row.provider_email.clone()) {
                (Some(name), Some(email)) => format!("{name} <{email}>"),
                (_, Some(email)) => email,
                _ => "—".into(),
            };
            view! {
                <tr>
                    <td><a href=href>{name}</a></td>
                    <td><code>{row.practice_id.unwrap_or_default()}</code></td>
                    <td><code>{row.integration_id.unwrap_or_default()}</code></td>
                    <td><StatusBadge status=row.status /></td>
                    <td>{provider}</td>
                    <td>{row.connected_at.map(iso_date).unwrap_or_default()}</td>
                    <td>{row.last_verified_at.map(iso_date).unwrap_or_default()}</td>
                    <td>{iso_date(row.created_at)}</td>
                </tr>
            }
        })
        .collect_view();
    let link = |page_number: i64| {
        format!(
            "/admin?{}",
            ListQuery {
                page: page_number,
                ..query.clone()
            }
            .to_query_string()
        )
    };
    let previous =
        (page.page > 1).then(|| view! { <a rel="prev" href=link(page.page - 1)>"← Previous"</a> });
    let next = (page.page < page.pages)
        .then(|| view! { <a rel="next" href=link(page.page + 1)>"Next →"</a> });
    view! {
        <p class="muted" role="status">{count}</p>
        <div class="table-wrap">
            <table class="connections">
                <thead><tr>{headers}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Pages">{previous}{next}</nav>
    }
}

fn count_text(page: &ConnectionPage) -> String {
    if page.total > MAX_OFFSET {
        format!("More than {MAX_OFFSET} connections · page {} of {} · narrow the search to see the rest", page.page, page.pages)
    } else {
        format!(
            "{} connections · page {} of {}",
            page.total, page.page, page.pages
        )
    }
}

#[component]
fn ManualConnectForm() -> impl IntoView {
    let action = ServerAction::<ManualConnect>::new();
    let pending = action.pending();
    view! {
        <section class="card" aria-labelledby="manual-heading">
            <h2 id="manual-heading">"Connect with a code"</h2>
            <p>"When a practice sends you its Hint code (Hint's manual activation), paste it here. It is exchanged once, like a provider's."</p>
            <ActionForm action attr:class="form" attr:aria-label="Connect with a code">
                <label for="manual-code">"Authorization code"</label>
                <input id="manual-code" name="code" type="text" required autocomplete="off" spellcheck="false" />
                <StepUpFields id="manual".to_owned() code_name="step_up_code" />
                <ActionError action />
                <button type="submit" disabled=move || pending.get()>"Exchange code"</button>
            </ActionForm>
            {move || action.value().get().and_then(Result::ok).map(|message| view! { <p role="status" class="success">{message}</p> })}
        </section>
    }
}

/// What to register with Hint, and whether this setup works with it (as `practice-connect
/// check` prints it). Open when a check fails.
#[component]
fn SetupPanel() -> impl IntoView {
    use crate::domain::status::Verdict;

    let lines = Resource::new(|| (), |_| admin_setup_check());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                lines.await.ok().map(|lines| {
                    let failed = lines.iter().filter(|l| l.verdict == Verdict::Fail).count();
                    let summary = if failed == 0 {
                        "Registering with Hint: every check passes".to_owned()
                    } else {
                        format!("Registering with Hint: {failed} check(s) fail")
                    };
                    let items = lines
                        .into_iter()
                        .map(|line| {
                            let (class, word) = match line.verdict {
                                Verdict::Ok => ("check-ok", "OK"),
                                Verdict::Fail => ("check-fail", "Fails"),
                                Verdict::Note => ("check-note", "Note"),
                            };
                            view! { <li class=class><strong>{word}": "</strong>{line.text}</li> }
                        })
                        .collect_view();
                    view! {
                        <details class="card setup-check" open=failed > 0>
                            <summary>{summary}</summary>
                            <ul>{items}</ul>
                            <p class="help">"The same checks: "<code>"practice-connect check"</code>"."</p>
                        </details>
                    }
                })
            })}
        </Transition>
    }
}
