#!/usr/bin/env bash
# Installs what the container check needs on a Debian machine with no Docker engine: podman, runc,
# podman-compose and debootstrap from Debian's packages (only those missing), and podman's settings
# for these machines (only when /etc/containers/containers.conf does not exist yet).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# each command comes in the Debian package of its name (debootstrap sits in /usr/sbin, off some PATHs)
missing=()
for package in podman runc podman-compose debootstrap; do
  command -v "$package" > /dev/null 2>&1 || [[ -x /usr/sbin/$package ]] || missing+=("$package")
done

if ((${#missing[@]})); then
  if [[ $(id -u) != 0 ]] || ! command -v apt-get > /dev/null 2>&1; then
    echo "missing: ${missing[*]}; install them (Debian: apt-get install ${missing[*]}) or run this as root" >&2
    exit 1
  fi
  echo "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" > /dev/null
fi

config=/etc/containers/containers.conf
if [[ ! -e $config ]]; then
  echo "writing $config (runc, cgroupfs, file events, ulimits within the hard limits)"
  install -D -m 0644 "$here/containers.conf" "$config"
else
  # an existing file is the machine owner's: say what it lacks instead of editing it
  for setting in 'cgroup_manager = "cgroupfs"' 'runtime = "runc"' 'events_logger = "file"' 'default_ulimits'; do
    grep -qF "$setting" "$config" || echo "note: $config has no '$setting' line; if containers fail to start, see $here/containers.conf" >&2
  done
fi
