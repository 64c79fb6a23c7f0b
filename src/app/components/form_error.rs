//! A server action's error, announced to screen readers.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::domain::AppError;

/// Shows the last error of `action`, if its last run failed.
#[component]
pub fn ActionError<S>(action: ServerAction<S>) -> impl IntoView
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    move || {
        action.value().get().and_then(Result::err).map(|error| {
            view! { <p class="error" role="alert">{error.to_string()}</p> }
        })
    }
}
