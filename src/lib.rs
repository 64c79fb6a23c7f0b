//! practice-connect: a partner app for Hint Health's InstantOn flow.
//!
//! The crate builds twice: with `ssr` as the server binary, with `hydrate` as the WebAssembly
//! that makes the server-rendered pages interactive. `app`, `api` and `domain` compile for both;
//! `server` only for the server.

pub mod api;
pub mod app;
pub mod domain;
#[cfg(feature = "ssr")]
pub mod sandbox;
#[cfg(feature = "ssr")]
pub mod server;

/// The browser entry point: attaches the app to the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy: the staff pages' code is split out of the main module and loaded when they open.
    leptos::mount::hydrate_lazy(app::App);
}
