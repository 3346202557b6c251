#!/usr/bin/env bash
# Kept for old command lines: the start benchmark is now part of
# contrib/bench/run (run, exec and peak RSS of berth, crun and runc).
#   sudo contrib/bench-start.sh [BERTH_BINARY] [RUNS]
here="$(cd "$(dirname "$0")" && pwd)"
exec "$here/bench/run" --only run,exec,rss ${1:+--berth "$1"} ${2:+--rounds "$2"}
