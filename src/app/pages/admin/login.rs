//! Staff log in here, separately from providers, in two steps: `/admin/login` takes the email
//! and password; `/admin/login/code` a code from the authenticator (or a recovery code);
//! `/admin/login/enrol` sets up the authenticator when there is none yet. Every form works
//! without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;

use leptos_router::hooks::use_query_map;

use crate::api::staff::{
    staff_enrolment, staff_link_works, ChooseStaffPassword, StaffEnrol, StaffLogIn,
    StaffSecondFactor,
};
use crate::app::components::account_forms::NewPasswordField;
use crate::app::components::form_error::ActionError;
use crate::app::components::layout::refresh_identity_after;
use crate::domain::staff::Enrolment;

/// The staff login form.
#[component]
pub fn StaffLoginPage() -> impl IntoView {
    let action = ServerAction::<StaffLogIn>::new();
    refresh_identity_after(action);
    let pending = action.pending();
    let query = use_query_map();
    view! {
        <Title text="Staff log in" />
        <section class="card narrow">
            <h1>"Staff log in"</h1>
            <Show when=move || query.read().get("password").is_some()>
                <p class="notice" role="status">"Your password is set. Log in with it; you set up your authenticator next."</p>
            </Show>
            <ActionForm action attr:class="form" attr:aria-label="Staff log in">
                <label for="staff-email">"Email"</label>
                <input id="staff-email" name="email" type="email" autocomplete="username" required />
                <label for="staff-password">"Password"</label>
                <input id="staff-password" name="password" type="password" autocomplete="current-password" required />
                <ActionError action />
                <button type="submit" disabled=move || pending.get()>"Log in"</button>
            </ActionForm>
            <p class="help">"Next you type a code from your authenticator app. Staff accounts are made with "
                <code>"practice-connect staff add"</code>"."</p>
        </section>
    }
}

/// The second step: a code from the authenticator app.
#[component]
pub fn SecondFactorPage() -> impl IntoView {
    let action = ServerAction::<StaffSecondFactor>::new();
    refresh_identity_after(action);
    let pending = action.pending();
    view! {
        <Title text="Authenticator code" />
        <section class="card narrow">
            <h1>"Authenticator code"</h1>
            <ActionForm action attr:class="form" attr:aria-label="Authenticator code">
                <label for="staff-code">"Code from your authenticator app"</label>
                <input id="staff-code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
                    required spellcheck="false" aria-describedby="staff-code-help" />
                <p class="help" id="staff-code-help">"Six digits; each code works once. Lost your phone? Type one of your recovery codes instead: "
                    "it logs you in once and you set up a new authenticator right after."</p>
                <ActionError action />
                <button type="submit" disabled=move || pending.get()>"Continue"</button>
            </ActionForm>
            <p class="help">"No code and no recovery codes? Ask an admin to run "
                <code>"practice-connect staff reset-second-factor --email you@…"</code>"."</p>
            <p><a href="/admin/login">"Start again"</a></p>
        </section>
    }
}

/// Setting up the authenticator: a QR code, the same secret as text, the recovery codes, and a
/// first code to prove it works.
#[component]
pub fn EnrolPage() -> impl IntoView {
    let action = ServerAction::<StaffEnrol>::new();
    refresh_identity_after(action);
    let enrolment = Resource::new_blocking(|| (), |_| staff_enrolment());
    view! {
        <Title text="Set up your authenticator" />
        <section class="card">
            <h1>"Set up your authenticator"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match enrolment.await {
                        Ok(enrolment) => view! { <EnrolSteps enrolment action /> }.into_any(),
                        Err(error) => view! {
                            <p class="error" role="alert">{error.to_string()}</p>
                            <p><a href="/admin/login">"Log in again"</a></p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn EnrolSteps(enrolment: Enrolment, action: ServerAction<StaffEnrol>) -> impl IntoView {
    let pending = action.pending();
    let codes = enrolment
        .recovery_codes
        .into_iter()
        .map(|code| view! { <li><code>{code}</code></li> })
        .collect_view();
    view! {
        <p>"Staff accounts can reveal practice keys, so logging in takes a second step: a code from an authenticator app on your phone (any app that supports time-based codes)."</p>
        <ol class="steps">
            <li>
                <p>"Scan this QR code with the app."</p>
                <div class="qr" role="img" aria-label="QR code for your authenticator app" inner_html=enrolment.qr_svg></div>
                <p>"Or type this key into the app: "<code id="totp-secret" class="secret">{enrolment.secret}</code></p>
            </li>
            <li>
                <p>"Keep these recovery codes somewhere safe, away from your phone. Each works once, if you lose the app. "
                    "They replace any codes shown before."</p>
                <ul class="recovery-codes" aria-label="Recovery codes">{codes}</ul>
            </li>
            <li>
                <ActionForm action attr:class="form" attr:aria-label="Confirm your authenticator">
                    <label for="enrol-code">"The code your app shows now"</label>
                    <input id="enrol-code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required spellcheck="false" />
                    <ActionError action />
                    <button type="submit" disabled=move || pending.get()>"Finish setting up"</button>
                </ActionForm>
            </li>
        </ol>
    }
}

/// `/admin/welcome?token=…`: a staff member chooses their password from an invitation or a
/// password link.
#[component]
pub fn StaffWelcomePage() -> impl IntoView {
    let action = ServerAction::<ChooseStaffPassword>::new();
    let query = use_query_map();
    let token = Memo::new(move |_| query.read().get("token").unwrap_or_default());
    let works = Resource::new(move || token.get(), staff_link_works);
    view! {
        <Title text="Choose your password" />
        <section class="card narrow">
            <h1>"Choose your password"</h1>
            <Suspense fallback=|| view! { <p>"Checking your link…"</p> }>
                {move || Suspend::new(async move {
                    if works.await.unwrap_or(false) {
                        view! {
                            <ActionForm action attr:class="form" attr:aria-label="Choose your password">
                                <input type="hidden" name="token" value=token.get_untracked() />
                                <NewPasswordField id="welcome-password" name="password" label="Password" />
                                <ActionError action />
                                <button type="submit" disabled=move || action.pending().get()>"Save my password"</button>
                            </ActionForm>
                        }.into_any()
                    } else {
                        view! {
                            <p class="error" role="alert">"That link has expired or was already used. Ask an administrator for a new one."</p>
                        }.into_any()
                    }
                })}
            </Suspense>
        </section>
    }
}
