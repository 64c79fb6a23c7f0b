//! The frame around every page: a header that says who is signed in (with a way out), the page
//! in `<main>`, and a footer.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::api::account::{whoami, LogOut};
use crate::api::staff::StaffLogOut;
use crate::domain::account::Identity;

/// Bumped when a login or logout may have changed who is signed in.
#[derive(Clone, Copy)]
struct IdentityChanged(RwSignal<u32>);

/// Asks the header to look again at who is signed in each time `action` completes (with
/// JavaScript, a login that lands on the same page would otherwise leave the header stale).
pub fn refresh_identity_after<S>(action: ServerAction<S>)
where
    S: leptos::server_fn::ServerFn + Send + Sync + Clone + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    let Some(IdentityChanged(changed)) = use_context::<IdentityChanged>() else {
        return;
    };
    Effect::new(move |seen: Option<usize>| {
        let version = action.version().get();
        if seen.is_some_and(|seen| seen != version) {
            changed.update(|n| *n = n.wrapping_add(1));
        }
        version
    });
}

/// Header with the product name and the signed-in identity, the page, and a footer.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let location = use_location();
    if location.pathname.get_untracked().starts_with("/hint/") {
        // Inside Hint's own page: Hint shows who is signed in; we show only the surface.
        return view! { <main id="main" class="site-main embedded">{children()}</main> }.into_any();
    }
    let changed = RwSignal::new(0u32);
    provide_context(IdentityChanged(changed));
    // Asked again on every navigation and after every login or logout, and rendered before the
    // page is sent, so it is right without JavaScript too.
    let identity = Resource::new_blocking(
        move || (location.pathname.get(), changed.get()),
        |_| whoami(),
    );
    // One Suspense reads the identity for the header and the banner together: a resource read
    // under two Suspense boundaries could leave one of them waiting after the other resolved,
    // and the page hanging on the server.
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <Suspense fallback=|| view! {
            <SiteHeader><nav aria-label="Main"><a href="/">"Home"</a></nav></SiteHeader>
        }>
            {move || Suspend::new(async move {
                let identity = identity.await.unwrap_or_default();
                let development = identity.development;
                view! {
                    <SiteHeader><Navigation identity /></SiteHeader>
                    {development.then(|| view! {
                        <p class="sandbox-banner" role="note">
                            "Development mode: this is a local sandbox, not connected to the real Hint. "
                            <a href="/">"What is this?"</a>
                        </p>
                    })}
                }
            })}
        </Suspense>
        <main id="main" class="site-main">
            {children()}
        </main>
        <footer class="site-footer">
            <p>"practice-connect links your Hint Health practice to our app. Your practice's key is encrypted and never shown."</p>
            <p><a href="/admin">"Staff dashboard"</a></p>
        </footer>
    }
    .into_any()
}

/// The header: the product's name and mark, then `children` (the navigation).
#[component]
fn SiteHeader(children: Children) -> impl IntoView {
    view! {
        <header class="site-header">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"pc"</span>
                <span>"practice-connect"</span>
            </a>
            {children()}
        </header>
    }
}

/// The header's links: who is signed in and a log-out button, or a way to log in.
#[component]
fn Navigation(identity: Identity) -> impl IntoView {
    let log_out = ServerAction::<LogOut>::new();
    let staff_log_out = ServerAction::<StaffLogOut>::new();
    refresh_identity_after(log_out);
    refresh_identity_after(staff_log_out);
    let signed_in = identity.provider.is_some() || identity.staff.is_some();
    view! {
        <nav aria-label="Main">
            <a href="/">"Home"</a>
            {identity.provider.map(|user| view! {
                <a href="/practices">"Your practices"</a>
                <a href="/account">"Account"</a>
                <span class="identity">"Signed in as "<strong>{user.email}</strong></span>
                <ActionForm action=log_out attr:class="inline">
                    <button type="submit" class="link-button">"Log out"</button>
                </ActionForm>
            })}
            {identity.staff.map(|member| view! {
                <a href="/admin">"Dashboard"</a>
                <span class="identity">"Staff: "<strong>{member.name}</strong>{format!(" ({})", member.role.as_str())}</span>
                <ActionForm action=staff_log_out attr:class="inline">
                    <button type="submit" class="link-button">"Log out of staff"</button>
                </ActionForm>
            })}
            {(!signed_in).then(|| view! { <a href="/login">"Log in"</a> })}
        </nav>
    }
}
