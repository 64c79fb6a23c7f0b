//! `/admin`: every connection, searchable, filterable, sortable, in pages; the summary above.
//! The URL holds the view, so it can be shared and the back button works.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

use super::setup_panel::SetupPanel;
use super::staff_roster::StaffRoster;
use super::AccessProblem;
use crate::api::admin::{admin_connections, admin_summary, staff_me, ManualConnect};
use crate::app::components::form_error::ActionError;
use crate::app::components::status_badge::StatusBadge;
use crate::app::components::step_up::StepUpFields;
use crate::domain::connection::ConnectionStatus;
use crate::domain::dashboard::{ConnectionPage, ListQuery, Summary, SORT_COLUMNS};
use crate::domain::dates::iso_date;
use crate::domain::staff::StaffRole;

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
            <nav class="admin-links" aria-label="Admin pages">
                <a href="/admin/partner-api">"Partner API"</a>
                <a href="/admin/audit">"Audit log"</a>
            </nav>
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
                        {(member.role == StaffRole::Admin).then(|| view! { <ManualConnectForm /> <StaffRoster /> })}
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
    let days = summary.last_30_days.clone();
    let total: i64 = days.iter().map(|(_, n)| *n).sum();
    let busiest = days.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let chart_label = format!(
        "Connections per day over the last 30 days: {total} in all, at most {busiest} in one day. The numbers are in the table below the chart."
    );
    view! {
        <section class="card summary" aria-label="Summary">
            <ul class="counts">{counts}</ul>
            <div class="chart">
                <h2>"Connections, last 30 days"</h2>
                <DailyChart days=days.clone() label=chart_label />
                <details class="chart-numbers">
                    <summary>"The numbers, day by day"</summary>
                    <table>
                        <thead><tr><th scope="col">"Day (UTC)"</th><th scope="col">"Connections"</th></tr></thead>
                        <tbody>
                            {days.iter().map(|(day, count)| view! {
                                <tr><td>{iso_date(*day)}</td><td>{*count}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </details>
            </div>
            <p class="failed-24h">
                <strong>{summary.failed_last_24h}</strong>" failed exchanges in the last 24 hours"
            </p>
        </section>
    }
}

/// Plot area of the daily chart, in SVG units.
const CHART_LEFT: f64 = 34.0;
const CHART_RIGHT: f64 = 356.0;
const CHART_TOP: f64 = 12.0;
const CHART_BOTTOM: f64 = 118.0;

/// Bars per day with a value axis, gridlines, the count over each non-empty bar and the first,
/// middle and last day under the axis: drawn on the server, readable without hovering.
#[component]
fn DailyChart(days: Vec<(i64, i64)>, label: String) -> impl IntoView {
    let busiest = days.iter().map(|(_, n)| *n).max().unwrap_or(0);
    // A scale of whole numbers with a middle line: 0, half, top.
    let top = (busiest.max(2) + 1) / 2 * 2;
    let y = move |value: i64| CHART_BOTTOM - value as f64 / top as f64 * (CHART_BOTTOM - CHART_TOP);
    let slot = (CHART_RIGHT - CHART_LEFT) / days.len().max(1) as f64;
    let grid = [0, top / 2, top]
        .into_iter()
        .map(|value| {
            let at = y(value);
            view! {
                <line class="grid" x1=CHART_LEFT x2=CHART_RIGHT y1=at y2=at />
                <text class="axis" x=CHART_LEFT - 6.0 y=at + 3.0 text-anchor="end">{value}</text>
            }
        })
        .collect_view();
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, (day, count))| {
            let x = CHART_LEFT + i as f64 * slot + slot * 0.15;
            let width = slot * 0.7;
            let top_of_bar = y(*count);
            let height = (CHART_BOTTOM - top_of_bar).max(if *count > 0 { 1.5 } else { 0.0 });
            let value = (*count > 0).then(|| view! {
                <text class="value" x=x + width / 2.0 y=top_of_bar - 3.0 text-anchor="middle">{*count}</text>
            });
            view! {
                <rect class="bar" x=x y=CHART_BOTTOM - height width=width height=height>
                    <title>{format!("{}: {count}", iso_date(*day))}</title>
                </rect>
                {value}
            }
        })
        .collect_view();
    let ticks = [0, days.len() / 2, days.len().saturating_sub(1)]
        .into_iter()
        .filter_map(|i| days.get(i).map(|(day, _)| (i, *day)))
        .map(|(i, day)| {
            let x = CHART_LEFT + (i as f64 + 0.5) * slot;
            view! { <text class="axis" x=x y=CHART_BOTTOM + 16.0 text-anchor="middle">{iso_date(day)[5..].to_owned()}</text> }
        })
        .collect_view();
    let title = label.clone();
    view! {
        <svg viewBox="0 0 360 140" role="img" aria-label=label>
            <title>{title}</title>
            {grid}
            <line class="axis-line" x1=CHART_LEFT x2=CHART_RIGHT y1=CHART_BOTTOM y2=CHART_BOTTOM />
            {bars}
            {ticks}
        </svg>
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
    let count = count_text(&page, query.depth());
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
            let unverified = if row.provider_email.is_some() && !row.provider_email_verified {
                " (unverified)"
            } else {
                ""
            };
            let provider = match (row.provider_name.clone(), row.provider_email.clone()) {
                (Some(name), Some(email)) => format!("{name} <{email}>{unverified}"),
                (_, Some(email)) => format!("{email}{unverified}"),
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

fn count_text(page: &ConnectionPage, depth: i64) -> String {
    if page.total > depth {
        format!(
            "More than {depth} connections · page {} of {} · narrow the search to see the rest",
            page.page, page.pages
        )
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
