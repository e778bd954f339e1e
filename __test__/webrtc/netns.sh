#!/bin/bash
# Run a command inside a fresh, private network namespace: lo up, plus a veth pair v0/v1
# (10.77.0.1/24 and 10.77.0.2/24), so that ICE stacks which ignore loopback (libwebrtc does) still
# find a host interface to gather on. Nothing can leave the namespace, and nothing needs cleaning
# up: it disappears, with its interfaces, when the command and its children exit.
#
# usage: netns.sh COMMAND [ARG...]   e.g. __test__/webrtc/netns.sh node __test__/webrtc/passive.js
# exit status: the command's; 77 (the usual "skip" status) when the namespace cannot be made,
# e.g. when not root; 2 for a usage error.
set -u
if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi
if ! err=$(unshare -n true 2>&1); then
  echo "netns.sh: cannot create a network namespace: ${err:-unshare -n failed}" >&2
  echo "netns.sh: this needs root (or CAP_SYS_ADMIN) and util-linux's unshare; nothing was run" >&2
  exit 77
fi
if ! command -v ip >/dev/null 2>&1; then
  echo "netns.sh: 'ip' (iproute2) is not installed; nothing was run" >&2
  exit 77
fi
exec unshare -n bash -c '
  if ! { ip link set lo up &&
         ip link add v0 type veth peer name v1 &&
         ip addr add 10.77.0.1/24 dev v0 &&
         ip addr add 10.77.0.2/24 dev v1 &&
         ip link set v0 up &&
         ip link set v1 up; }; then
    echo "netns.sh: cannot set up the namespace (lo, veth pair); nothing was run" >&2
    exit 77
  fi
  exec "$@"' netns "$@"
