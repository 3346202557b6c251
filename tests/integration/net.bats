#!/usr/bin/env bats
# Bridge networking (run.berth.net.*, man berth-config.5): bridge, veth,
# address leases, hosts/resolv.conf, cleanup after delete and after a
# crash. VLANs are in net-vlan.bats; the setup of both is tests/lib/net.bash.
#
# Every test works inside a network namespace of its own, so the bridge
# and all traffic stay there; the namespace is deleted in teardown (the
# bridge goes with it). Nothing is created in the machine's own network
# namespace. berth runs in the test namespace through nsenter --net: `ip
# netns exec` would also mount a new /sys, hiding the cgroup hierarchies.
# Each test uses a bridge name of its own, so its lease directory
# (/var/lib/berth/net/BRIDGE) is its own too, and is removed in teardown.

load ../helpers
load ../lib/net

@test "net: bridge, veth, address, route; two containers ping each other and the gateway" {
  start_sleeper c1
  [ "$(addr_of c1)" = 10.89.0.2/24 ]
  # the bridge: created with the gateway address, up, only in the test netns
  ip -n "$NS" -4 -o addr show dev "$BR" | grep -q 'inet 10.89.0.1/24'
  ip -n "$NS" -o link show "$BR" | grep -q ',UP'
  ! ip link show "$BR" 2>/dev/null || false
  # the host end is a port of the bridge, named vb + 8 hex digits, up
  run ports
  [[ "$output" =~ ^vb[0-9a-f]{8}$ ]]
  ip -n "$NS" -o link show "$output" | grep -q ',UP'
  # inside: lo up, the default route via the gateway
  local pid
  pid="$(pid_of c1)"
  nsenter -t "$pid" -n ip -o link show lo | grep -q 'LOOPBACK,UP'
  [ "$(nsenter -t "$pid" -n ip -4 route show default)" = "default via 10.89.0.1 dev eth0 " ] ||
    [ "$(nsenter -t "$pid" -n ip -4 route show default)" = "default via 10.89.0.1 dev eth0" ]

  # a second container pings the first and the gateway from inside
  bundle "$BATS_TEST_TMPDIR/b2" '.process.args = ["sh", "-c", "ping -c1 -W2 10.89.0.2 && ping -c1 -W2 10.89.0.1"]'
  run nsberth run --bundle "$BATS_TEST_TMPDIR/b2" c2
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"64 bytes from 10.89.0.2"* ]]
  [[ "$output" == *"64 bytes from 10.89.0.1"* ]]
  # and an address nobody has does not answer: the pings above are real
  bundle "$BATS_TEST_TMPDIR/b3" '.process.args = ["ping", "-c1", "-W1", "10.89.0.200"]'
  run nsberth run --bundle "$BATS_TEST_TMPDIR/b3" c3
  [ "$status" -ne 0 ]
  # the gateway (the bridge) reaches the container
  nsenter --net="/run/netns/$NS" busybox ping -c1 -W2 10.89.0.2
  # run's containers are gone with their veths and leases
  [ "$(ports | wc -l)" -eq 1 ]
  [ "$(lease_files)" = 10.89.0.2 ]
}

@test "net: 8 concurrent creates get distinct addresses" {
  local i pids=()
  for i in $(seq 1 8); do
    nsberth create --bundle "$B" "cc$i" </dev/null >"$BATS_TEST_TMPDIR/create$i.out" 2>&1 &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { cat "$BATS_TEST_TMPDIR/create$((i + 1)).out"; false; }
  done
  run lease_files
  [ "$(echo "$output" | wc -l)" -eq 8 ]
  [ "$(echo "$output" | sort -u | wc -l)" -eq 8 ]
  local addrs=()
  for i in $(seq 1 8); do
    addrs+=("$(addr_of "cc$i")")
    # each container's address is the one its lease names
    grep -qx "cc$i" "$LEASES/${addrs[-1]%/24}"
  done
  [ "$(printf '%s\n' "${addrs[@]}" | sort -u | wc -l)" -eq 8 ]
  [ "$(ports | wc -l)" -eq 8 ]
}

@test "net: delete removes the veth and frees the lease, the next create reuses it" {
  start_sleeper c1
  start_sleeper c2
  [ "$(addr_of c1)" = 10.89.0.2/24 ]
  [ "$(addr_of c2)" = 10.89.0.3/24 ]
  [ "$(ports | wc -l)" -eq 2 ]
  nsberth delete --force c1
  [ "$(ports | wc -l)" -eq 1 ]
  [ "$(lease_files)" = 10.89.0.3 ]
  # the bridge stays
  ip -n "$NS" -4 -o addr show dev "$BR" | grep -q 'inet 10.89.0.1/24'
  start_sleeper c3
  [ "$(addr_of c3)" = 10.89.0.2/24 ]
  grep -qx c3 "$LEASES/10.89.0.2"
}

@test "net: a static ip is honoured, a taken one is refused and leaves nothing" {
  bundle "$BATS_TEST_TMPDIR/s" '.annotations["run.berth.net.ip"] = "10.89.0.50"'
  start_sleeper c1 "$BATS_TEST_TMPDIR/s"
  [ "$(addr_of c1)" = 10.89.0.50/24 ]
  ns_detached create --bundle "$BATS_TEST_TMPDIR/s" c2
  [ "$status" -ne 0 ]
  [[ "$output" == *'.annotations["run.berth.net.ip"]: 10.89.0.50 is taken by container c1'* ]]
  [ ! -e "$BERTH_ROOT/c2" ]
  [ "$(lease_files)" = 10.89.0.50 ]
  [ "$(ports | wc -l)" -eq 1 ]
  # a dynamic address skips the static one
  start_sleeper c3
  [ "$(addr_of c3)" = 10.89.0.2/24 ]
  # an address outside the subnet names the key
  bundle "$BATS_TEST_TMPDIR/bad" '.annotations["run.berth.net.ip"] = "10.90.0.5"'
  ns_detached create --bundle "$BATS_TEST_TMPDIR/bad" c4
  [ "$status" -ne 0 ]
  [[ "$output" == *'.annotations["run.berth.net.ip"]: 10.90.0.5 is not a host address of 10.89.0.0/24'* ]]
  [ ! -e "$BERTH_ROOT/c4" ]
}

@test "net: subnet, ifname, MTU and MAC are honoured on both ends" {
  bundle "$BATS_TEST_TMPDIR/m" '.annotations += {"run.berth.net.subnet": "172.31.7.0/28",
      "run.berth.net.ifname": "net0", "run.berth.net.mtu": "1400", "run.berth.net.mac": "02:00:00:00:be:01"}'
  start_sleeper c1 "$BATS_TEST_TMPDIR/m"
  local pid
  pid="$(pid_of c1)"
  [ "$(addr_of c1 net0)" = 172.31.7.2/28 ]
  ! nsenter -t "$pid" -n ip link show eth0 2>/dev/null || false
  run nsenter -t "$pid" -n ip -o link show net0
  [[ "$output" == *"mtu 1400 "* ]]
  [[ "$output" == *"link/ether 02:00:00:00:be:01 "* ]]
  ip -n "$NS" -o link show "$(ports)" | grep -q 'mtu 1400 '
  ip -n "$NS" -4 -o addr show dev "$BR" | grep -q 'inet 172.31.7.1/28'
  [ "$(nsenter -t "$pid" -n ip -4 route show default | awk '{ print $3, $5 }')" = "172.31.7.1 net0" ]
}

@test "net: kill -9 of berth mid-create, then delete --force leaves no veth and no lease" {
  local hook="$BATS_TEST_TMPDIR/hook.sh"
  # createRuntime runs after the network is attached: the hook keeps the
  # container's network namespace alive (so the veth cannot just vanish
  # with the dying init) and then blocks create
  cat >"$hook" <<EOF
#!/bin/sh
pid=\$(/usr/bin/jq -r .pid)
/usr/bin/nsenter -t "\$pid" -n /bin/sleep 1000 </dev/null >/dev/null 2>&1 &
echo \$! >"$BATS_TEST_TMPDIR/holder.pid"
echo \$\$ >"$BATS_TEST_TMPDIR/hook.pid"
exec /bin/sleep 1000
EOF
  chmod +x "$hook"
  bundle "$BATS_TEST_TMPDIR/h" '.hooks.createRuntime = [{"path": $h}]' --arg h "$hook"
  nsenter --net="/run/netns/$NS" "$BERTH" --root "$BERTH_ROOT" create --bundle "$BATS_TEST_TMPDIR/h" c1 \
    </dev/null >/dev/null 2>&1 &
  local berth_pid=$!
  local i
  for i in $(seq 1 100); do
    [[ -s "$BATS_TEST_TMPDIR/hook.pid" ]] && break
    sleep 0.1
  done
  [[ -s "$BATS_TEST_TMPDIR/hook.pid" ]]
  [ "$(ports | wc -l)" -eq 1 ]
  [ "$(lease_files)" = 10.89.0.2 ]
  kill -9 "$berth_pid"
  local rc=0
  wait "$berth_pid" || rc=$?
  [ "$rc" -eq 137 ]
  sleep 0.2
  # the waiting init sees its parent gone and exits: without a crash
  assert_no_berth_crash "$KMARK"
  # the hook and what it started (the holder of the network namespace) die
  # with berth (the hook guard): the namespace goes, and the veth with it;
  # the lease stays until delete
  for i in $(seq 1 50); do
    kill -0 "$(cat "$BATS_TEST_TMPDIR/holder.pid")" 2>/dev/null || break
    sleep 0.1
  done
  ! kill -0 "$(cat "$BATS_TEST_TMPDIR/holder.pid")" 2>/dev/null
  [ "$(lease_files)" = 10.89.0.2 ]
  nsberth delete --force c1
  [ -z "$(ports)" ]
  [ -z "$(ip -n "$NS" -o link show type veth)" ]
  [ -z "$(lease_files)" ]
  [ ! -e "$BERTH_ROOT/c1" ]
  # the address is free again
  start_sleeper c2
  [ "$(addr_of c2)" = 10.89.0.2/24 ]
  assert_no_berth_crash "$KMARK"
}

@test "net: a create that fails after the network was attached leaves no veth and no lease" {
  bundle "$BATS_TEST_TMPDIR/f" '.hooks.createRuntime = [{"path": "/bin/false"}]'
  ns_detached create --bundle "$BATS_TEST_TMPDIR/f" c1
  [ "$status" -ne 0 ]
  [[ "$output" == *createRuntime* ]]
  [ -z "$(ports)" ]
  [ -z "$(lease_files)" ]
  [ ! -e "$BERTH_ROOT/c1" ]
  assert_no_berth_crash "$KMARK"
}

@test "net: /etc/hosts and /etc/resolv.conf only when asked for" {
  bundle "$BATS_TEST_TMPDIR/plain" '.process.args = ["sh", "-c", "test ! -e /etc/hosts && test ! -e /etc/resolv.conf"]'
  run nsberth run --bundle "$BATS_TEST_TMPDIR/plain" c0
  [ "$status" -eq 0 ]
  bundle "$BATS_TEST_TMPDIR/f" '.hostname = "web"
    | .annotations += {"run.berth.net.hosts": "true", "run.berth.net.extra-hosts": "db=10.89.0.10",
                       "run.berth.net.dns": "10.89.0.1,192.0.2.53", "run.berth.net.dns-search": "example.test",
                       "run.berth.net.dns-options": "ndots:2"}
    | .process.args = ["sh", "-c", "cat /etc/hosts; echo ---; cat /etc/resolv.conf"]'
  run nsberth run --bundle "$BATS_TEST_TMPDIR/f" c1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '%s\n' '127.0.0.1	localhost' '::1	localhost ip6-localhost ip6-loopback' \
    '10.89.0.2	web' '10.89.0.10	db' --- 'search example.test' 'nameserver 10.89.0.1' \
    'nameserver 192.0.2.53' 'options ndots:2')" ]
  # the files are bind-mounted from the state dir: the bundle's rootfs
  # only got the (empty) mount targets
  [ ! -s "$B/rootfs/etc/hosts" ] && [ ! -s "$B/rootfs/etc/resolv.conf" ]
}

@test "net: bad settings fail create naming the key, leaving nothing" {
  local key value want
  while IFS='|' read -r key value want; do
    bundle "$BATS_TEST_TMPDIR/bad" ".annotations[\$k] = \$v" --arg k "$key" --arg v "$value"
    ns_detached create --bundle "$BATS_TEST_TMPDIR/bad" c1
    echo "$key=$value: $output"
    [ "$status" -ne 0 ]
    [[ "$output" == *".annotations[\"$key\"]: $want"* ]]
    [ ! -e "$BERTH_ROOT/c1" ]
  done <<'EOF'
run.berth.net.mode|nat|"nat" is not a network mode (bridge or none)
run.berth.net.vlan|4095|4095 is not a VLAN id (1..4094)
run.berth.net.mtu|10|10 is not an MTU (68..65535)
run.berth.net.subnet|10.89.0.1/24|"10.89.0.1/24" has host bits set
run.berth.net.mac|01:00:5e:00:00:01|"01:00:5e:00:00:01" is a multicast address
run.berth.net.ifname|a/b|"a/b": an interface name may not contain
run.berth.net.bogus|1|unknown network setting
EOF
  # bridge mode needs a network namespace of the container's own
  bundle "$BATS_TEST_TMPDIR/nons" '.linux.namespaces |= map(select(.type != "network"))'
  ns_detached create --bundle "$BATS_TEST_TMPDIR/nons" c1
  [ "$status" -ne 0 ]
  [[ "$output" == *'.annotations["run.berth.net.mode"]: bridge needs a new network namespace'* ]]
  [ -z "$(ip -n "$NS" -o link show type bridge)" ]
  [ -z "$(lease_files)" ]
}

@test "net: a container with its own user namespace is connected too" {
  # bats' tmpdir is 0700: the container's root could not reach the rootfs
  USERNS_DIR="$(mktemp -d /tmp/berth-net-userns.XXXXXX)"
  chmod 0755 "$USERNS_DIR"
  local u="$USERNS_DIR"
  cp -a "$B/rootfs" "$u/rootfs"
  chown -R 100000:100000 "$u/rootfs"
  jq '.linux.namespaces += [{"type": "user"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    | .mounts |= map(if .destination == "/sys"
        then {"destination": "/sys", "type": "none", "source": "/sys", "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]}
        else . end)
    | .process.args = ["ping", "-c1", "-W2", "10.89.0.1"]' "$B/config.json" >"$u/config.json"
  run nsberth run --bundle "$u" c1
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"64 bytes from 10.89.0.1"* ]]
  [ -z "$(ports)" ]
  [ -z "$(lease_files)" ]
}

@test "net: mode none and no annotations: no network is set up" {
  bundle "$BATS_TEST_TMPDIR/none" '.annotations["run.berth.net.mode"] = "none"'
  start_sleeper c1 "$BATS_TEST_TMPDIR/none"
  [ -z "$(nsenter -t "$(pid_of c1)" -n ip -o link show type veth)" ]
  [ -z "$(ip -n "$NS" -o link show type bridge)" ]
  [ ! -e "$LEASES" ]
}

@test "net: berth spec --network/--ip/--subnet write the annotations" {
  local d="$BATS_TEST_TMPDIR/spec"
  mkdir -p "$d"
  "$BERTH" spec --bundle "$d" --network "bridge:$BR" --subnet 10.7.0.0/16 --ip 10.7.3.4
  run jq -c '.annotations' "$d/config.json"
  [ "$output" = "{\"run.berth.net.mode\":\"bridge\",\"run.berth.net.bridge\":\"$BR\",\"run.berth.net.subnet\":\"10.7.0.0/16\",\"run.berth.net.ip\":\"10.7.3.4\"}" ]
  rm "$d/config.json"
  run "$BERTH" spec --bundle "$d" --network bridge --ip 10.1.0.5
  [ "$status" -ne 0 ]
  [[ "$output" == *'.annotations["run.berth.net.ip"]: 10.1.0.5 is not a host address of 10.89.0.0/24'* ]]
  run "$BERTH" spec --bundle "$d" --network host
  [ "$status" -ne 0 ]
  run "$BERTH" spec --bundle "$d" --ip 10.89.0.5
  [ "$status" -ne 0 ]
  [[ "$output" == *"--ip needs --network bridge"* ]]
  [ ! -e "$d/config.json" ]
}
