//! `/admin/login`: staff log in here, separately from providers.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::admin::StaffLogIn;
use crate::app::components::form_error::ActionError;
use crate::app::components::layout::refresh_identity_after;

/// The staff login form.
#[component]
pub fn StaffLoginPage() -> impl IntoView {
    let action = ServerAction::<StaffLogIn>::new();
    refresh_identity_after(action);
    let pending = action.pending();
    view! {
        <Title text="Staff log in" />
        <section class="card narrow">
            <h1>"Staff log in"</h1>
            <ActionForm action attr:class="form" attr:aria-label="Staff log in">
                <label for="staff-email">"Email"</label>
                <input id="staff-email" name="email" type="email" autocomplete="username" required />
                <label for="staff-password">"Password"</label>
                <input id="staff-password" name="password" type="password" autocomplete="current-password" required />
                <ActionError action />
                <button type="submit" disabled=move || pending.get()>"Log in"</button>
            </ActionForm>
            <p class="help">"Staff accounts are made with " <code>"practice-connect staff add"</code> "."</p>
        </section>
    }
}
