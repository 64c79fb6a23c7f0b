//! "Reference: 3f2a…": the request id of the page, for a user to quote to support (the same id is
//! on every log line of that request).

use leptos::prelude::*;

use crate::api::status::request_reference;

/// The reference line of an error page. Rendered on the server, so it shows without JavaScript.
#[component]
pub fn Reference() -> impl IntoView {
    let reference = Resource::new_blocking(|| (), |_| request_reference());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                reference.await.ok().filter(|id| !id.is_empty()).map(|id| view! {
                    <p class="help">"If you contact support, quote this reference: "<code class="reference">{id}</code></p>
                })
            })}
        </Suspense>
    }
}
