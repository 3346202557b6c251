#!/usr/bin/env bats
# Bridge networking with VLANs (run.berth.net.vlan): ports on a
# vlan_filtering bridge. Apart from net.bats because kernels without
# CONFIG_BRIDGE_VLAN_FILTERING only get the error checked, so the pure-v2 VM
# (Debian's kernel) runs this file. Same setup as net.bats (tests/lib/net.bash).

load ../helpers
load ../lib/net

@test "net: containers on one VLAN reach each other, other VLANs do not" {
  # kernels built without CONFIG_BRIDGE_VLAN_FILTERING cannot do this at all
  if ! ip -n "$NS" link add vlcheck type bridge vlan_filtering 1 2>/dev/null; then
    bundle "$BATS_TEST_TMPDIR/v10" '.annotations["run.berth.net.vlan"] = "10"'
    ns_detached create --bundle "$BATS_TEST_TMPDIR/v10" a10
    [ "$status" -ne 0 ]
    [[ "$output" == *"this kernel has no CONFIG_BRIDGE_VLAN_FILTERING"* ]]
    [ -z "$(lease_files)" ]
    skip "the kernel has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING); checked the error only"
  fi
  ip -n "$NS" link del vlcheck
  bundle "$BATS_TEST_TMPDIR/v10" '.annotations["run.berth.net.vlan"] = "10"'
  bundle "$BATS_TEST_TMPDIR/v20" '.annotations["run.berth.net.vlan"] = "20"'
  start_sleeper a10 "$BATS_TEST_TMPDIR/v10"
  start_sleeper a20 "$BATS_TEST_TMPDIR/v20"
  [ "$(addr_of a10)" = 10.89.0.2/24 ]
  [ "$(addr_of a20)" = 10.89.0.3/24 ]
  ip -n "$NS" -d link show "$BR" | grep -q 'vlan_filtering 1'
  # each port: its VLAN as PVID, untagged, and not the default VLAN 1
  run bridge -n "$NS" -j vlan show
  echo "$output"
  local port
  for port in $(ports); do
    local vids
    vids="$(bridge -n "$NS" -j vlan show dev "$port" | jq -c '[.[0].vlans[] | {vlan, flags}]')"
    [[ "$vids" == '[{"vlan":10,"flags":["PVID","Egress Untagged"]}]' ||
      "$vids" == '[{"vlan":20,"flags":["PVID","Egress Untagged"]}]' ]]
  done
  bundle "$BATS_TEST_TMPDIR/p10" '.annotations["run.berth.net.vlan"] = "10"
    | .process.args = ["ping", "-c1", "-W2", "10.89.0.2"]'
  run nsberth run --bundle "$BATS_TEST_TMPDIR/p10" same
  echo "$output"
  [ "$status" -eq 0 ]
  bundle "$BATS_TEST_TMPDIR/x10" '.annotations["run.berth.net.vlan"] = "10"
    | .process.args = ["ping", "-c1", "-W2", "10.89.0.3"]'
  run nsberth run --bundle "$BATS_TEST_TMPDIR/x10" other
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"0 packets received"* ]]
}
