#!/usr/bin/env bats
# contrib/completion/berth.bash: every command and option that berth's own
# --help lists is completed, and completion works on a live state root.

load ../helpers

setup() {
  # shellcheck source=../../contrib/completion/berth.bash
  source "$REPO/contrib/completion/berth.bash"
}

teardown() {
  cleanup_containers
}

# complete_line WORDS...: COMPREPLY for the command line WORDS (the last
# word is the one being completed), one per line
complete_line() {
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _berth
  printf '%s\n' "${COMPREPLY[@]}"
}

# help_commands: the commands `berth --help` lists
help_commands() {
  "$BERTH" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }'
}

# help_options CMD: the long options `berth CMD --help` lists
help_options() {
  "$BERTH" "$1" --help | grep -oE '^ +(-[a-zA-Z], )?--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+'
}

@test "completion: every command of berth --help" {
  local cmds c
  cmds="$(help_commands)"
  [ "$(wc -l <<<"$cmds")" -ge 15 ]
  for c in $cmds; do
    [[ " $(echo $_berth_commands) " == *" $c "* ]] || { echo "command $c not completed" >&2; return 1; }
  done
  run complete_line "$BERTH" st
  [ "$(sort <<<"$output" | tr '\n' ' ')" = "start state storage " ]
}

@test "completion: every option of every command's --help" {
  local c o missing=()
  for c in $(help_commands); do
    [[ "$c" == help ]] && continue
    for o in $(help_options "$c"); do
      [[ " $(echo $(_berth_cmd_opts "$c")) " == *" $o "* ]] || missing+=("$c $o")
    done
  done
  for o in $("$BERTH" --help | grep -oE '^ +(-[a-zA-Z], )?--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+'); do
    [[ " $(echo $_berth_global_opts) " == *" $o "* ]] || missing+=("global $o")
  done
  if ((${#missing[@]})); then
    printf 'not completed: %s\n' "${missing[@]}" >&2
    return 1
  fi
  run complete_line "$BERTH" delete --f
  [ "$output" = --force ]
}

@test "completion: option values and signals" {
  run complete_line "$BERTH" --log-format ""
  [ "$(echo $output)" = "text json" ]
  run complete_line "$BERTH" --root /tmp list --format j
  [ "$output" = json ]
  run complete_line "$BERTH" storage ""
  [ "$(echo $output)" = "ls prune" ]
  run complete_line "$BERTH" checkpoint --manage-cgroups-mode s
  [ "$(echo $output)" = "soft strict" ]
  run complete_line "$BERTH" sandbox --network h
  [ "$output" = host ]
  run complete_line "$BERTH" kill someid KI
  [ "$output" = KILL ]
}

@test "completion: container ids from the --root given" {
  make_bundle "$BATS_TEST_TMPDIR/b" '.process.args = ["sleep", "1000"]'
  local id
  id="$(unique_id compl)"
  berth create --bundle "$BATS_TEST_TMPDIR/b" "$id" </dev/null >/dev/null 2>&1
  run complete_line "$BERTH" --root "$BERTH_ROOT" state "${id:0:5}"
  [ "$output" = "$id" ]
  run complete_line "$BERTH" --root "$BERTH_ROOT" kill "$id" ""
  [[ "$output" == *TERM* ]]
  # a second argument of state: nothing
  run complete_line "$BERTH" --root "$BERTH_ROOT" state "$id" ""
  [ -z "$output" ]
}
