# bash completion for berth(8): commands, their options and option values,
# container ids (from `berth list -q`, with the --root given), signals.
# Install as /usr/share/bash-completion/completions/berth, or source it.

_berth_global_opts="--root --log --log-format --log-level --debug --systemd-cgroup --rootless
  --cgroup-manager --storage-root --max-layer-size --version -v --help -h"
# global options that take a value
_berth_global_args="--root|--log|--log-format|--log-level|--rootless|--cgroup-manager|--storage-root|--max-layer-size"

_berth_commands="checkpoint create delete events exec features kill list pause ps restore resume run
  sandbox spec start state storage update help"

# _berth_cmd_opts CMD: the options of CMD
_berth_cmd_opts() {
  case "$1" in
    create) echo "--bundle -b --config --pid-file --console-socket --no-pivot --no-new-keyring --preserve-fds --help -h" ;;
    run) echo "--bundle -b --config --detach -d --keep --pid-file --console-socket --no-pivot --no-new-keyring --preserve-fds --help -h" ;;
    delete) echo "--force -f --help -h" ;;
    events) echo "--stats --interval --help -h" ;;
    exec) echo "--process -p --tty -t --console-socket --detach -d --pid-file --env -e --cwd --user -u
      --additional-gids -g --cap -c --no-new-privs --preserve-fds --apparmor --process-label
      --ignore-paused --cgroup --help -h" ;;
    kill) echo "--all -a --help -h" ;;
    list) echo "--quiet -q --format -f --help -h" ;;
    ps) echo "--format -f --help -h" ;;
    spec) echo "--bundle -b --rootless --layer --image --upper --annotation --network --ip --subnet --help -h" ;;
    checkpoint) echo "--image-path --work-path --parent-path --leave-running --tcp-established --ext-unix-sk
      --shell-job --file-locks --pre-dump --manage-cgroups-mode --empty-ns --auto-dedup --status-fd --help -h" ;;
    restore) echo "--image-path --work-path --bundle -b --detach -d --pid-file --console-socket --no-subreaper
      --no-pivot --tcp-established --ext-unix-sk --shell-job --file-locks --manage-cgroups-mode --lsm-profile
      --lsm-mount-context --help -h" ;;
    sandbox) echo "--image --rootfs --layer --bind --scratch --workdir -w --env -e --env-file --user -u
      --memory -m --cpus --pids --io-bps --tmp-size --network --timeout -t --grace --report --id --quiet -q
      --help -h" ;;
    storage) echo "--quiet -q --all -a --help -h" ;;
    update) echo "--resources -r --blkio-weight --cpu-period --cpu-quota --cpu-rt-period --cpu-rt-runtime
      --cpu-share --cpu-shares --cpuset-cpus --cpuset-mems --kernel-memory --kernel-memory-tcp --memory
      --memory-reservation --memory-swap --pids-limit --l3-cache-schema --mem-bw-schema --help -h" ;;
    features | pause | resume | start | state) echo "--help -h" ;;
  esac
}

# _berth_cmd_args CMD: the options of CMD that take a value
_berth_cmd_args() {
  case "$1" in
    create) echo "--bundle|-b|--config|--pid-file|--console-socket|--preserve-fds" ;;
    run) echo "--bundle|-b|--config|--pid-file|--console-socket|--preserve-fds" ;;
    events) echo "--interval" ;;
    exec) echo "--process|-p|--console-socket|--pid-file|--env|-e|--cwd|--user|-u|--additional-gids|-g|--cap|-c|--preserve-fds|--apparmor|--process-label|--cgroup" ;;
    list | ps) echo "--format|-f" ;;
    spec) echo "--bundle|-b|--layer|--image|--upper|--annotation|--network|--ip|--subnet" ;;
    checkpoint) echo "--image-path|--work-path|--parent-path|--manage-cgroups-mode|--empty-ns|--status-fd" ;;
    restore) echo "--image-path|--work-path|--bundle|-b|--pid-file|--console-socket|--manage-cgroups-mode|--lsm-profile|--lsm-mount-context" ;;
    sandbox) echo "--image|--rootfs|--layer|--bind|--scratch|--workdir|-w|--env|-e|--env-file|--user|-u|--memory|-m|--cpus|--pids|--io-bps|--tmp-size|--network|--timeout|-t|--grace|--report|--id" ;;
    update) echo "--resources|-r|--blkio-weight|--cpu-period|--cpu-quota|--cpu-rt-period|--cpu-rt-runtime|--cpu-share|--cpu-shares|--cpuset-cpus|--cpuset-mems|--kernel-memory|--kernel-memory-tcp|--memory|--memory-reservation|--memory-swap|--pids-limit|--l3-cache-schema|--mem-bw-schema" ;;
  esac
}

# _berth_ids ROOT-ARGS...: the container ids in the state root
_berth_ids() {
  "${COMP_WORDS[0]}" "$@" list -q 2>/dev/null
}

_berth_signals() {
  local s
  for s in $(compgen -A signal); do
    [[ "$s" == SIG* ]] && echo "${s#SIG}" && echo "$s"
  done
}

_berth_words() { # _berth_words WORDS CUR: COMPREPLY from a word list
  local IFS=$' \t\n'
  mapfile -t COMPREPLY < <(compgen -W "$1" -- "$2")
}

_berth_files() { # _berth_files CUR [-d]
  local IFS=$'\n'
  if [[ "${2:-}" == -d ]]; then
    mapfile -t COMPREPLY < <(compgen -d -- "$1")
  else
    mapfile -t COMPREPLY < <(compgen -f -- "$1")
  fi
  compopt -o filenames 2>/dev/null
}

_berth() {
  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD - 1]}"
  local i w cmd="" cmd_at=0 root_args=() args=0
  COMPREPLY=()

  # find the command, skipping the global options and their values
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="${COMP_WORDS[i]}"
    if [[ "$w" == --root ]]; then
      root_args=(--root "${COMP_WORDS[i + 1]}")
    elif [[ "$w" == --root=* ]]; then
      root_args=("$w")
    fi
    if [[ "$w" =~ ^($_berth_global_args)$ ]]; then
      ((i++))
      continue
    fi
    if [[ "$w" != -* ]]; then
      cmd="$w"
      cmd_at=$i
      break
    fi
  done

  if [[ -z "$cmd" ]]; then
    case "$prev" in
      --root) _berth_files "$cur" -d; return ;;
      --log) _berth_files "$cur"; return ;;
      --log-format) _berth_words "text json" "$cur"; return ;;
      --log-level) _berth_words "error warn info debug" "$cur"; return ;;
      --rootless) _berth_words "true false auto" "$cur"; return ;;
      --cgroup-manager) _berth_words "cgroupfs systemd disabled" "$cur"; return ;;
      --storage-root) _berth_files "$cur" -d; return ;;
    esac
    if [[ "$cur" == -* ]]; then
      _berth_words "$_berth_global_opts" "$cur"
    else
      _berth_words "$_berth_commands" "$cur"
    fi
    return
  fi

  # values of the command's options
  case "$cmd:$prev" in
    *:--bundle | *:-b | spec:--layer | spec:--image | sandbox:--image | sandbox:--rootfs | sandbox:--layer | \
      checkpoint:--image-path | checkpoint:--work-path | restore:--image-path | restore:--work-path)
      _berth_files "$cur" -d; return ;;
    sandbox:--env-file | sandbox:--report) _berth_files "$cur"; return ;;
    sandbox:--network) _berth_words "none host bridge" "$cur"; return ;;
    *:--manage-cgroups-mode) _berth_words "soft full strict ignore" "$cur"; return ;;
    *:--config | *:--pid-file | *:--console-socket | exec:--process | exec:-p | update:--resources | update:-r)
      _berth_files "$cur"; return ;;
    list:--format | list:-f | ps:--format | ps:-f) _berth_words "table json" "$cur"; return ;;
    spec:--upper) _berth_words "ephemeral none" "$cur"; _berth_files_add "$cur"; return ;;
    spec:--network) _berth_words "bridge none bridge:" "$cur"; return ;;
    exec:--cap | exec:-c)
      local caps
      caps="$(compgen -W "CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP
        LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE
        SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME
        SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG
        WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE" | sed 's/^/CAP_/')"
      _berth_words "$caps" "$cur"
      return
      ;;
  esac
  local takes
  takes="$(_berth_cmd_args "$cmd")"
  if [[ -n "$takes" && "$prev" =~ ^($takes)$ ]]; then
    return # a free-form value
  fi

  if [[ "$cur" == -* ]]; then
    _berth_words "$(_berth_cmd_opts "$cmd")" "$cur"
    return
  fi

  # positional arguments: count those after the command
  for ((i = cmd_at + 1; i < COMP_CWORD; i++)); do
    w="${COMP_WORDS[i]}"
    if [[ -n "$takes" && "$w" =~ ^($takes)$ ]]; then
      ((i++))
    elif [[ "$w" != -* ]]; then
      ((args++))
    fi
  done

  case "$cmd" in
    help) ((args == 0)) && _berth_words "$_berth_commands" "$cur" ;;
    create | run | spec | features | list | restore | sandbox) ;; # a new id, a command, or nothing
    storage) ((args == 0)) && _berth_words "ls prune" "$cur" ;;
    kill)
      if ((args == 0)); then
        _berth_words "$(_berth_ids "${root_args[@]}")" "$cur"
      elif ((args == 1)); then
        _berth_words "$(_berth_signals)" "$cur"
      fi
      ;;
    exec)
      ((args == 0)) && _berth_words "$(_berth_ids "${root_args[@]}")" "$cur"
      ;;
    checkpoint | delete | events | pause | ps | resume | start | state | update)
      ((args == 0)) && _berth_words "$(_berth_ids "${root_args[@]}")" "$cur"
      ;;
  esac
}

# _berth_files_add CUR: add directory names to COMPREPLY (spec --upper DIR)
_berth_files_add() {
  local IFS=$'\n' d
  for d in $(compgen -d -- "$1"); do COMPREPLY+=("$d"); done
}

complete -F _berth berth
