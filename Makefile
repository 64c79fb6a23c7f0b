# practice-connect: the two commands are `make run` and `make test`.
# Each installs what is missing (scripts/setup.sh) and skips what is there.

.PHONY: run watch test setup build release dist bench screenshots fmt lint clean-data

## Build everything and serve the app on http://127.0.0.1:3000 (SQLite, built-in Hint sandbox).
run: setup
	APP_ENV=development cargo leptos serve --split

## Like run, rebuilding and reloading the open pages on every save.
watch: setup
	APP_ENV=development cargo leptos watch --split

## Every check and test: fmt, clippy, Rust tests (SQLite + PostgreSQL if TEST_DATABASE_URL), Playwright.
test:
	scripts/test.sh

## Install the toolchain (idempotent).
setup:
	scripts/setup.sh

## Debug build of the server and the WebAssembly into target/.
build: setup
	cargo leptos build --split

## Release build (wasm-opt comes from npm into target/tools when missing).
release: dist

## The release bundle: target/dist/practice-connect-<version>-release.tar.gz (binary, site, settings
## example, systemd unit, TLS proxy examples).
dist: setup
	scripts/dist.sh

## The performance table: release build, baselines and the Node peer measured in the same run
## (PostgreSQL rows when TEST_DATABASE_URL is set). Takes about 15 minutes after the build.
bench: setup
	scripts/bench.sh

## Drive the real app through its main screens and save them into docs/screenshots/.
screenshots: build
	scripts/setup.sh --test
	cd end2end && npx playwright test --config screenshots.config.ts

fmt:
	cargo fmt

lint:
	cargo clippy --all-targets --features ssr -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --features hydrate -- -D warnings

## Forget the local SQLite database and development key.
clean-data:
	rm -rf data
