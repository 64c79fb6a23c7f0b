//! The benchmark's baselines (`scripts/bench.sh`): what the same stack costs with nothing of
//! ours in it. One process, two routes, built with the app's own profile and dependencies:
//! - `GET /plain`: a bare axum route answering "ok", the floor for any route;
//! - `GET /page`: a minimal Leptos page (one component, one signal) rendered by leptos_axum with
//!   the same kind of shell (meta tags, hydration scripts) the app's pages have.
//!
//! Usage: `baseline 127.0.0.1:3400`

use axum::routing::get;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use leptos_meta::MetaTags;
use leptos_router::components::{Route, Router as Routes, Routes as RouteList};
use leptos_router::path;

// The same allocator as the app, so the baseline differs from it only by the app's own code.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[component]
fn Counter() -> impl IntoView {
    let (count, set_count) = signal(0);
    view! {
        <main>
            <h1>"Baseline"</h1>
            <button on:click=move |_| set_count.update(|n| *n += 1)>"Clicked " {count} " times"</button>
        </main>
    }
}

#[component]
fn BaselineApp() -> impl IntoView {
    view! {
        <Routes>
            <RouteList fallback=|| "not found">
                <Route path=path!("/page") view=Counter />
            </RouteList>
        </Routes>
    }
}

fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <BaselineApp />
            </body>
        </html>
    }
}

#[tokio::main]
async fn main() {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3400".to_owned());
    let options = LeptosOptions::builder()
        .output_name("baseline")
        .site_addr(address.parse::<std::net::SocketAddr>().expect("an address"))
        .build();
    let routes = generate_route_list(BaselineApp);
    let app = Router::new()
        .route("/plain", get(|| async { "ok" }))
        .leptos_routes(&options, routes, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .with_state(options);
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .expect("the address is free");
    println!("baseline listening on http://{address}");
    axum::serve(listener, app).await.expect("serving");
}
