//! The dashboard's staff list, for admins.

use leptos::prelude::*;

/// The staff list, for admins. Changes are made with `practice-connect staff …` (audited).
#[component]
pub fn StaffRoster() -> impl IntoView {
    let roster = Resource::new(|| (), |_| crate::api::staff::staff_list());
    view! {
        <section class="card" aria-labelledby="staff-heading">
            <h2 id="staff-heading">"Staff"</h2>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    roster.await.ok().map(|members| view! {
                        <table class="staff-list">
                            <thead><tr>
                                <th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th>
                                <th scope="col">"State"</th><th scope="col">"Authenticator"</th>
                            </tr></thead>
                            <tbody>
                                {members.into_iter().map(|listed| {
                                    let state = if listed.disabled {
                                        "disabled"
                                    } else if listed.password_pending {
                                        "invited (no password yet)"
                                    } else {
                                        "active"
                                    };
                                    view! {
                                        <tr>
                                            <td>{listed.member.name}</td>
                                            <td>{listed.member.email}</td>
                                            <td>{listed.member.role.as_str()}</td>
                                            <td>{state}</td>
                                            <td>{if listed.second_factor { "set up" } else { "not yet" }}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    })
                })}
            </Suspense>
            <p class="help">"Invite, disable, enable, change a role or reset a password with "
                <code>"practice-connect staff …"</code>" on the server; every change is audited."</p>
        </section>
    }
}
