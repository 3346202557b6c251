#!/usr/bin/env bash
# Kept for old command lines: moved to contrib/bench/net.sh (which
# contrib/bench/run also calls).
exec "$(cd "$(dirname "$0")" && pwd)/bench/net.sh" "$@"
