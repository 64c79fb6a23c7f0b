//! The frame around every page: header, main content, footer.

use leptos::prelude::*;

/// Header with the product name, the page in `<main>`, and a footer.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"pc"</span>
                <span>"practice-connect"</span>
            </a>
            <nav aria-label="Main">
                <a href="/">"Home"</a>
                <a href="/practices">"Your practices"</a>
                <a href="/login">"Log in"</a>
            </nav>
        </header>
        <main id="main" class="site-main">
            {children()}
        </main>
        <footer class="site-footer">
            <p>"practice-connect links your Hint Health practice to our app. Your practice's key is encrypted and never shown."</p>
            <p><a href="/admin">"Staff dashboard"</a></p>
        </footer>
    }
}
