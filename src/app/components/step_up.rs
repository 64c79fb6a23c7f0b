//! The fields a staff action that needs a recent confirmation (step-up) adds to its form.

use leptos::prelude::*;

/// Password and authenticator code fields for an action that needs a recent confirmation. They
/// may stay empty within a few minutes of the last confirmation. `code_name` is the code field's
/// name in the form.
#[component]
pub fn StepUpFields(id: String, code_name: &'static str) -> impl IntoView {
    let password = format!("{id}-password");
    let code = format!("{id}-code");
    let help = format!("{id}-help");
    view! {
        <p class="help" id=help.clone()>"Confirm it is you: your password and a code from your authenticator. "
            "Within a few minutes of your last confirmation you may leave both empty."</p>
        <label for=password.clone()>"Your password"</label>
        <input id=password name="password" type="password" autocomplete="current-password" aria-describedby=help.clone() />
        <label for=code.clone()>"Authenticator code"</label>
        <input id=code name=code_name type="text" inputmode="numeric" autocomplete="one-time-code" spellcheck="false" aria-describedby=help />
    }
}
