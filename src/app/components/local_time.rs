//! A moment shown as UTC by the server and, once the page is hydrated, in the viewer's own zone.

use leptos::prelude::*;

use crate::domain::dates::iso_date_time;

/// `<time>` with the UTC date and time; after hydration, the browser's local date and time.
#[component]
pub fn LocalTime(
    /// Unix seconds.
    at: i64,
) -> impl IntoView {
    let text = RwSignal::new(iso_date_time(at));
    // Effects run only in the browser, after hydration: the server's text is what hydrates.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64 * 1000.0));
            let local: String = date
                .to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED)
                .into();
            text.set(local);
        }
    });
    let machine = iso_date_time(at);
    view! { <time datetime=machine title=iso_date_time(at)>{move || text.get()}</time> }
}
