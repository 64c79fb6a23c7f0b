//! `/account`: the provider's own account — their email and whether it is confirmed, a new
//! password, a new email, and every browser signed in to the account, each of which they can
//! log out. Plain forms: everything works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::account::{
    get_account, ChangeEmail, ChangePassword, EndSessions, SendVerification,
};
use crate::app::components::account_forms::NewPasswordField;
use crate::app::components::form_error::ActionError;
use crate::app::pages::account::AccountNotice;
use crate::domain::account::{AccountOverview, AccountSession};
use crate::domain::dates::age_in_words;
use crate::domain::AppError;

/// `/account`
#[component]
pub fn AccountPage() -> impl IntoView {
    let end = ServerAction::<EndSessions>::new();
    let account = Resource::new(move || end.version().get(), |_| get_account());
    view! {
        <Title text="Your account" />
        <h1>"Your account"</h1>
        <AccountNotice />
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(overview) => view! { <Overview overview end /> }.into_any(),
                    Err(AppError::Unauthenticated) => view! {
                        <p class="notice">"Log in to see your account. " <a href="/login">"Log in"</a></p>
                    }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Overview(overview: AccountOverview, end: ServerAction<EndSessions>) -> impl IntoView {
    let AccountOverview {
        user,
        sessions,
        now,
    } = overview;
    let resend = ServerAction::<SendVerification>::new();
    let password = ServerAction::<ChangePassword>::new();
    let email = ServerAction::<ChangeEmail>::new();
    let others = sessions.iter().filter(|s| !s.current).count();
    view! {
        <section class="card" aria-labelledby="who-heading">
            <h2 id="who-heading">"You"</h2>
            <dl class="facts">
                <dt>"Name"</dt><dd>{user.name.clone()}</dd>
                <dt>"Email"</dt>
                <dd>
                    {user.email.clone()} " "
                    {if user.email_verified {
                        view! { <span class="badge connected">"Confirmed"</span> }.into_any()
                    } else {
                        view! { <span class="badge pending">"Not confirmed"</span> }.into_any()
                    }}
                </dd>
            </dl>
            {(!user.email_verified).then(|| view! {
                <p>"We sent you a link to confirm your email. Cannot find it?"</p>
                <ActionForm action=resend attr:class="inline">
                    <button type="submit">"Send the link again"</button>
                </ActionForm>
            })}
        </section>
        <section class="card" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Where you are signed in"</h2>
            <table class="sessions">
                <caption class="visually-hidden">"Browsers signed in to your account"</caption>
                <thead><tr><th scope="col">"Browser"</th><th scope="col">"From"</th><th scope="col">"Last active"</th><th scope="col"><span class="visually-hidden">"Action"</span></th></tr></thead>
                <tbody>
                    {sessions.into_iter().map(|session| view! { <SessionRow session now end /> }).collect_view()}
                </tbody>
            </table>
            <ActionError action=end />
            {(others > 0).then(|| view! {
                <ActionForm action=end attr:class="inline">
                    <button type="submit">"Log out all other browsers"</button>
                </ActionForm>
            })}
        </section>
        <section class="card narrow" aria-labelledby="password-heading">
            <h2 id="password-heading">"Change your password"</h2>
            <ActionForm action=password attr:class="form" attr:aria-label="Change your password">
                <label for="current-password">"Current password"</label>
                <input id="current-password" name="current_password" type="password" autocomplete="current-password" required />
                <NewPasswordField id="new-password" name="new_password" label="New password" />
                <ActionError action=password />
                <button type="submit" disabled=move || password.pending().get()>"Change password"</button>
            </ActionForm>
        </section>
        <section class="card narrow" aria-labelledby="email-heading">
            <h2 id="email-heading">"Change your email"</h2>
            <p>"We send a link to the new address; your email changes when you open it."</p>
            <ActionForm action=email attr:class="form" attr:aria-label="Change your email">
                <label for="new-email">"New email"</label>
                <input id="new-email" name="new_email" type="email" autocomplete="email" required maxlength="254" />
                <label for="email-password">"Your password"</label>
                <input id="email-password" name="password" type="password" autocomplete="current-password" required />
                <ActionError action=email />
                <button type="submit" disabled=move || email.pending().get()>"Send the link"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn SessionRow(session: AccountSession, now: i64, end: ServerAction<EndSessions>) -> impl IntoView {
    let seen = session
        .last_seen_at
        .map_or_else(|| "—".to_owned(), |at| age_in_words(at, now));
    view! {
        <tr>
            <td>{session.device}{session.current.then(|| view! { " " <strong>"(this browser)"</strong> })}</td>
            <td>{session.ip.unwrap_or_else(|| "—".into())}</td>
            <td>{seen}</td>
            <td>
                {(!session.current).then(|| view! {
                    <ActionForm action=end attr:class="inline">
                        <input type="hidden" name="handle" value=session.handle />
                        <button type="submit" class="link-button">"Log out"</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}
