//! practice-connect: a partner app for Hint Health's InstantOn flow.
//!
//! The crate builds twice: with `ssr` as the server binary, with `hydrate` as the WebAssembly
//! that makes the server-rendered pages interactive. `app`, `api` and `domain` compile for both;
//! the rest only for the server. Imports point down:
//!
//! `cli` → `startup` → `app` → `api` → `server` → `settings` → `domain`, with `sandbox` (Hint's
//! imitation) beside `server`, importing only `domain`. `startup` is the one module that knows
//! the pages, the server and the sandbox together.

pub mod api;
pub mod app;
#[cfg(feature = "ssr")]
pub mod cli;
pub mod domain;
#[cfg(feature = "ssr")]
pub mod sandbox;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod settings;
#[cfg(feature = "ssr")]
pub mod startup;

/// The browser entry point: attaches the app to the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy: the staff pages' code is split out of the main module and loaded when they open.
    leptos::mount::hydrate_lazy(app::App);
}
