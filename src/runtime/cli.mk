# runtime/cli fragment
