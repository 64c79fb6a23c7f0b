//! A provider's account pages: stand-alone log-in and sign-up, for providers who come back
//! without a code, and the pages one-time email links open (forgot password, reset password,
//! verify email, confirm a new email); the account's own page is `settings`.

pub mod settings;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::account::{
    reset_link_works, ConfirmEmail, ForgotPassword, LogIn, ResetPassword, SignUp, Unsubscribe,
    VerifyEmail,
};
use crate::app::components::account_forms::{LogInForm, NewPasswordField, SignUpForm};
use crate::app::components::form_error::ActionError;

/// What an `?account=…` in the address says happened, in the provider's words.
pub fn account_notice(what: &str) -> Option<&'static str> {
    Some(match what {
        "created" => "Check your email: we sent a link to confirm your address. You can log in now with the password you chose.",
        "reset" => "Your password was changed and every browser signed in to your account was logged out. Log in with your new password.",
        "verified" => "Your email is confirmed. Thank you.",
        "email-changed" => "Your new email is confirmed and is now your account's email.",
        "verification-sent" => "We sent a new confirmation link to your email.",
        "password-changed" => "Your password was changed. Your other sessions were logged out.",
        "email-sent" => "We sent a link to the new address. Your email changes when you open it.",
        "sessions-ended" => "Done: those sessions are logged out.",
        _ => return None,
    })
}

/// The notice for this page's `?account=…`, if any.
#[component]
pub fn AccountNotice() -> impl IntoView {
    let query = use_query_map();
    move || {
        query
            .read()
            .get("account")
            .and_then(|what| account_notice(&what))
            .map(|text| view! { <p class="notice" role="status">{text}</p> })
    }
}

/// The `token` of this page's address (from an email's link).
fn token_from_address() -> Memo<String> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get("token").unwrap_or_default())
}

/// `/login`
#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<LogIn>::new();
    view! {
        <Title text="Log in" />
        <section class="card narrow">
            <h1>"Log in"</h1>
            <AccountNotice />
            <LogInForm action />
            <p>"New here? " <a href="/signup">"Create an account"</a></p>
        </section>
    }
}

/// `/signup` (the query-form redirect lands here too, after the code is put away).
#[component]
pub fn SignupPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    view! {
        <Title text="Create your account" />
        <section class="card narrow">
            <h1>"Create your account"</h1>
            <SignUpForm action />
            <p>"Already have an account? " <a href="/login">"Log in"</a></p>
        </section>
    }
}

/// `/forgot-password`: asks for the email a reset link goes to.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<ForgotPassword>::new();
    let query = use_query_map();
    let sent = move || query.read().get("sent").is_some();
    view! {
        <Title text="Forgot your password" />
        <section class="card narrow">
            <h1>"Forgot your password?"</h1>
            <Show when=sent>
                <p class="notice" role="status">
                    "If an account uses that email, we just sent it a link to choose a new password. "
                    "The link works for a short while; check your spam folder if it does not arrive."
                </p>
            </Show>
            <p>"Enter your account's email and we will send you a link to choose a new password."</p>
            <ActionForm action attr:class="form" attr:aria-label="Send a reset link">
                <label for="forgot-email">"Email"</label>
                <input id="forgot-email" name="email" type="email" autocomplete="email" required maxlength="254" />
                <ActionError action />
                <button type="submit" disabled=move || action.pending().get()>"Send me a link"</button>
            </ActionForm>
            <p><a href="/login">"Back to log in"</a></p>
        </section>
    }
}

/// `/reset-password?token=…`: the new password form, if the link still works.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let token = token_from_address();
    let works = Resource::new(move || token.get(), reset_link_works);
    view! {
        <Title text="Choose a new password" />
        <section class="card narrow">
            <h1>"Choose a new password"</h1>
            <Suspense fallback=|| view! { <p>"Checking your link…"</p> }>
                {move || Suspend::new(async move {
                    if works.await.unwrap_or(false) {
                        view! {
                            <ActionForm action attr:class="form" attr:aria-label="Choose a new password">
                                <input type="hidden" name="token" value=token.get_untracked() />
                                <NewPasswordField id="reset-password" name="password" label="New password" />
                                <ActionError action />
                                <button type="submit" disabled=move || action.pending().get()>"Save my new password"</button>
                            </ActionForm>
                        }.into_any()
                    } else {
                        view! {
                            <p class="error" role="alert">"That reset link has expired or was already used."</p>
                            <p><a class="button" href="/forgot-password">"Send me a new link"</a></p>
                        }.into_any()
                    }
                })}
            </Suspense>
        </section>
    }
}

/// `/verify-email?token=…`: one button, so a mail scanner opening the link confirms nothing.
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let action = ServerAction::<VerifyEmail>::new();
    let token = token_from_address();
    view! {
        <Title text="Confirm your email" />
        <section class="card narrow">
            <h1>"Confirm your email"</h1>
            <p>"Press the button to confirm that this email address is yours."</p>
            <ActionForm action attr:class="form" attr:aria-label="Confirm your email">
                <input type="hidden" name="token" value=move || token.get() />
                <ActionError action />
                <button type="submit" class="primary" disabled=move || action.pending().get()>"Confirm my email"</button>
            </ActionForm>
        </section>
    }
}

/// `/confirm-email?token=…`: makes a new address the account's.
#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let action = ServerAction::<ConfirmEmail>::new();
    let token = token_from_address();
    view! {
        <Title text="Confirm your new email" />
        <section class="card narrow">
            <h1>"Confirm your new email"</h1>
            <p>"Press the button to make this address your account's email."</p>
            <ActionForm action attr:class="form" attr:aria-label="Confirm your new email">
                <input type="hidden" name="token" value=move || token.get() />
                <ActionError action />
                <button type="submit" class="primary" disabled=move || action.pending().get()>"Use this email"</button>
            </ActionForm>
        </section>
    }
}

/// `/unsubscribe?k=…&t=…`: one button that turns off what the email's link names.
#[component]
pub fn UnsubscribePage() -> impl IntoView {
    let action = ServerAction::<Unsubscribe>::new();
    let query = use_query_map();
    let field = move |name: &'static str| move || query.read().get(name).unwrap_or_default();
    let done = move || query.read().get("done").is_some();
    view! {
        <Title text="Stop these emails" />
        <section class="card narrow">
            <h1>"Stop these emails"</h1>
            <Show
                when=done
                fallback=move || view! {
                    <p>"Press the button and we stop sending you this kind of email. Emails about your account itself (password resets, sign-in notices) still come."</p>
                    <ActionForm action attr:class="form" attr:aria-label="Stop these emails">
                        <input type="hidden" name="k" value=field("k") />
                        <input type="hidden" name="t" value=field("t") />
                        <ActionError action />
                        <button type="submit" class="primary" disabled=move || action.pending().get()>"Stop these emails"</button>
                    </ActionForm>
                }
            >
                <p class="notice" role="status">"Done: you will not get these emails any more. You can turn them back on from inside Hint, in our integration's settings."</p>
            </Show>
        </section>
    }
}
