#!/usr/bin/env bash
# Regenerates the committed shell completions and man pages from the CLI definition.
# Run after changing any command or option; tests/cli/generated_files.rs fails until you do.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
tc="${CARGO_TARGET_DIR:-target}/debug/tc"
mkdir -p completions
"$tc" completions bash >completions/tc.bash
"$tc" completions zsh >completions/_tc
"$tc" completions fish >completions/tc.fish
"$tc" completions powershell >completions/_tc.ps1
"$tc" completions elvish >completions/tc.elv
rm -rf man
"$tc" man --out-dir man
echo "completions/ and man/ regenerated"
