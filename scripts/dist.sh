#!/usr/bin/env bash
# Builds the release bundle: target/dist/practice-connect-<version>-<profile>.tar.gz, holding the
# binary, the built site, the settings example, a systemd unit and example TLS proxies.
#   scripts/dist.sh          a release build (the WebAssembly shrunk by wasm-opt, which is
#                            installed from npm into target/tools when missing)
#   scripts/dist.sh --debug  the debug build already in target/ (CI: no second build)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

profile=release
[ "${1:-}" = "--debug" ] && profile=debug
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)

if [ "$profile" = release ]; then
  if ! command -v wasm-opt >/dev/null 2>&1; then
    tools=target/tools
    if [ ! -x "$tools/node_modules/.bin/wasm-opt" ]; then
      echo "installing wasm-opt (npm package binaryen) into $tools"
      npm install --prefix "$tools" --no-audit --no-fund --loglevel=error binaryen >/dev/null
    fi
    export PATH="$PWD/$tools/node_modules/.bin:$PATH"
  fi
  cargo leptos build --release --split
elif [ ! -x target/debug/practice-connect ] || [ ! -d target/site/pkg ]; then
  cargo leptos build --split
fi

name="practice-connect-$version-$profile"
out="target/dist/$name"
rm -rf "$out"
mkdir -p "$out/bin"
cp "target/$profile/practice-connect" "$out/bin/"
# Debug symbols are most of a release binary's size; a release bundle ships without them.
if [ "$profile" = release ] && command -v strip >/dev/null 2>&1; then
  strip "$out/bin/practice-connect"
fi
cp -r target/site "$out/site"
cp deploy/README.md deploy/practice-connect.service deploy/Caddyfile deploy/nginx.conf LICENSE "$out/"
cp .env.example "$out/practice-connect.env.example"
tar -C target/dist -czf "target/dist/$name.tar.gz" "$name"
echo "target/dist/$name.tar.gz: $(du -h "target/dist/$name.tar.gz" | cut -f1)"
