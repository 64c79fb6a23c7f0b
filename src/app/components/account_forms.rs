//! Sign-up and log-in forms. Plain HTML forms underneath: they work before the WebAssembly
//! loads, and without JavaScript at all.

use leptos::prelude::*;

use super::form_error::ActionError;
use super::layout::refresh_identity_after;
use crate::api::account::{LogIn, SignUp};
use crate::domain::account::{PASSWORD_MAX, PASSWORD_MIN};

/// A new password's field with its rules, for sign-up, reset and change.
#[component]
pub fn NewPasswordField(
    id: &'static str,
    name: &'static str,
    label: &'static str,
) -> impl IntoView {
    let help = format!("{id}-help");
    view! {
        <label for=id>{label}</label>
        <input
            id=id
            name=name
            type="password"
            autocomplete="new-password"
            required
            minlength=PASSWORD_MIN
            maxlength=PASSWORD_MAX
            aria-describedby=help.clone()
        />
        <p class="help" id=help>
            {format!("At least {PASSWORD_MIN} characters. A passphrase works well.")}
        </p>
    }
}

/// Name, email and password; creates the account (the provider logs in next).
#[component]
pub fn SignUpForm(action: ServerAction<SignUp>) -> impl IntoView {
    refresh_identity_after(action);
    let pending = action.pending();
    view! {
        <ActionForm action attr:class="form" attr:aria-label="Create your account">
            <label for="signup-name">"Your name"</label>
            <input id="signup-name" name="name" type="text" autocomplete="name" required maxlength="100" />
            <label for="signup-email">"Work email"</label>
            <input id="signup-email" name="email" type="email" autocomplete="email" required maxlength="254" />
            <NewPasswordField id="signup-password" name="password" label="Password" />
            <ActionError action />
            <button type="submit" disabled=move || pending.get()>
                {move || if pending.get() { "Creating your account…" } else { "Create account" }}
            </button>
        </ActionForm>
    }
}

/// Email and password; logs in.
#[component]
pub fn LogInForm(action: ServerAction<LogIn>) -> impl IntoView {
    refresh_identity_after(action);
    let pending = action.pending();
    // Right after "Create account" the address carries the email they typed: it is filled in
    // and the password, the one thing left to type, has the focus. The hydrated sign-up moves
    // to that address without loading a page, so the effect does it again there.
    let query = leptos_router::hooks::use_query_map();
    let typed_email = Memo::new(move |_| query.read().get("email").unwrap_or_default());
    let password_next = !typed_email.get_untracked().is_empty();
    let email_input = NodeRef::<leptos::html::Input>::new();
    let password_input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        let email = typed_email.get();
        if email.is_empty() {
            return;
        }
        if let (Some(email_input), Some(password_input)) = (email_input.get(), password_input.get())
        {
            email_input.set_value(&email);
            let _ = password_input.focus();
        }
    });
    view! {
        <ActionForm action attr:class="form" attr:aria-label="Log in">
            <label for="login-email">"Email"</label>
            <input id="login-email" name="email" type="email" autocomplete="username" required value=typed_email.get_untracked() node_ref=email_input />
            <label for="login-password">"Password"</label>
            <input id="login-password" name="password" type="password" autocomplete="current-password" required autofocus=password_next node_ref=password_input />
            <ActionError action />
            <button type="submit" disabled=move || pending.get()>
                {move || if pending.get() { "Logging in…" } else { "Log in" }}
            </button>
            <p class="help"><a href="/forgot-password">"Forgot your password?"</a></p>
        </ActionForm>
    }
}
