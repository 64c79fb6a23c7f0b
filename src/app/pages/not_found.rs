//! The page for an address that matches no route.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::app::components::reference::Reference;

/// "Not found", with a 404 status when rendered on the server.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <section class="card narrow">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. If you followed a link from Hint, go back to Hint and click Connect again."</p>
            <p><a class="button" href="/">"Go to the home page"</a></p>
            <Reference />
        </section>
    }
}
