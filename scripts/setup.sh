#!/usr/bin/env bash
# Installs the tools practice-connect needs, skipping what is already there.
#   scripts/setup.sh          what building and serving need (make run): the wasm target,
#                             cargo-leptos, wasm-bindgen-cli
#   scripts/setup.sh --test   also what the tests need (make test): Chromium, the Playwright
#                             packages and cargo-deny
#   scripts/setup.sh --bench  also what the benchmark needs (make bench): wrk and the Node peer's packages
# Safe to run again and again: each step checks before it installs.
# Works offline on machines that reach only the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."

for_tests=false for_bench=false
[ "${1:-}" = "--test" ] && for_tests=true
[ "${1:-}" = "--bench" ] && for_bench=true

CARGO_LEPTOS_VERSION=0.3.11
CARGO_DENY_VERSION=0.20.2
OPENAPI_VALIDATOR_VERSION=0.9.0
# Must equal the `wasm-bindgen` pin in Cargo.toml.
WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

have_version() { # command, expected version substring
  command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -q "$2"
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! have_version cargo-leptos "$CARGO_LEPTOS_VERSION"; then
  # The stable toolchain is too old for cargo-leptos's locked dependencies; nightly builds it.
  # `no_downloads` makes it take every tool from PATH instead of fetching binaries.
  # `--debug` halves the build time and the tool's own speed hardly matters.
  say "building cargo-leptos $CARGO_LEPTOS_VERSION (one-off, several minutes)"
  rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
  cargo +nightly install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads --debug
fi

if ! have_version wasm-bindgen "$WASM_BINDGEN_VERSION"; then
  # Not --locked: one locked dependency of this version is missing from the registry.
  say "building wasm-bindgen-cli $WASM_BINDGEN_VERSION (one-off)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if ! $for_tests && ! $for_bench; then
  say "tools ready to build and serve"
  exit 0
fi

# As root, or through sudo for everyone else.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the Debian packages named, in one apt step; `why` says who needs them.
install_debian() { # why, packages...
  local why=$1; shift
  [ $# -gt 0 ] || return 0
  if command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's $*"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq "$@" >/dev/null
  else
    say "no apt-get here: install $* yourself; $why"
  fi
}

# Runs `npm ci` in a folder when its packages are missing or older than its lock file.
npm_packages() { # folder, what for
  if ! command -v npm >/dev/null 2>&1; then
    say "npm is missing: install Node.js 20 or newer (it brings npm) for $2"
  elif [ ! -d "$1/node_modules" ] || [ "$1/package-lock.json" -nt "$1/node_modules/.package-lock.json" ]; then
    say "installing $2 (npm ci in $1)"
    (cd "$1" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

if $for_bench; then
  command -v wrk >/dev/null 2>&1 || install_debian "the benchmark needs it" wrk
  npm_packages bench/peer "the benchmark's Node peer"
  say "tools ready to benchmark"
  exit 0
fi

# Debian packages the tests need, each installed only when missing: the browser, and a real SMTP
# server (aiosmtpd, for the system's /usr/bin/python3) that catches the app's email.
chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
debian_packages=()
[ -x "$chromium" ] || debian_packages+=(chromium)
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || debian_packages+=(python3-aiosmtpd)
# The shipped nginx and Caddy examples are run for real in front of the app (tests/api/deploy.rs).
[ -x /usr/sbin/nginx ] || debian_packages+=(nginx)
[ -x /usr/bin/caddy ] || debian_packages+=(caddy)
install_debian "the tests need them (set CHROMIUM_PATH to a Chromium or Chrome binary)" \
  "${debian_packages[@]}"
npm_packages end2end "the end-to-end test packages"

# The OpenAPI 3.1 validator `make test` checks the service API's document with (PyPI's
# openapi-spec-validator, in a virtual environment of its own under target/tools).
openapi_venv=target/tools/openapi-venv
if [ ! -x "$openapi_venv/bin/openapi-spec-validator" ]; then
  say "installing openapi-spec-validator $OPENAPI_VALIDATOR_VERSION (into $openapi_venv)"
  rm -rf "$openapi_venv"
  if ! python3 -m venv "$openapi_venv" 2>/dev/null; then
    install_debian "the OpenAPI check needs Python's venv" python3-venv
    /usr/bin/python3 -m venv "$openapi_venv"
  fi
  "$openapi_venv/bin/pip" install --quiet "openapi-spec-validator==$OPENAPI_VALIDATOR_VERSION"
fi

# The supply-chain check (licences, second copies, sources) that `make test` runs.
if ! have_version cargo-deny "$CARGO_DENY_VERSION"; then
  say "building cargo-deny $CARGO_DENY_VERSION (one-off, several minutes)"
  cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked
fi

say "tools ready to build, serve and test"
