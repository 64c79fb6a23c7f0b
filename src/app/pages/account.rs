//! Stand-alone log-in and sign-up pages, for providers who come back without a code.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::account::{LogIn, SignUp};
use crate::app::components::account_forms::{LogInForm, SignUpForm};

/// `/login`
#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<LogIn>::new();
    view! {
        <Title text="Log in" />
        <section class="card narrow">
            <h1>"Log in"</h1>
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
