#!/usr/bin/env bash
# The container check (`npm run test:containers`; docs/containers.md): builds the project image,
# brings compose/docker-compose.yml up in dependency order with every healthcheck passing (the
# realtime service as a cluster: Redis, two replicas, HAProxy in front), checks every /api/health
# (each replica must list both nodes), runs every scenario through the proxy and some with the
# customer on one replica and the drivers on the other, checks that the proxy's log holds no query
# string, and tears it all down (containers, network, volume) whatever happens. It stops at the first step that fails and
# says which, with the logs of the stack's containers.
#
# With a Docker engine and its compose plugin, it uses them and the real base images. Otherwise it
# uses podman + podman-compose from Debian (installed when missing, as root) and local stand-ins
# for the base images (scripts/containers/standins.sh), and drives the order and the healthchecks
# itself: podman-compose 1.0.3 ignores depends_on conditions and runs no healthchecks without
# systemd, and exits 0 when its podman commands fail, so every step is verified here.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/scripts/containers"
compose_file="$root/compose/docker-compose.yml"
cd "$root"

# Its own project name and published ports: a `drivrr up` (3000/8081) or another check may be running.
project="drivrr-check-$$"
started=$SECONDS
current_step="start"

step() {
  current_step=$1
  printf '\n==> [%3ss] %s\n' "$((SECONDS - started))" "$current_step"
}
fail() {
  printf '\ncontainer check FAILED at "%s": %s\n' "$current_step" "$*" >&2
  exit 1
}

# ---- which engine --------------------------------------------------------------------------------
if command -v docker > /dev/null 2>&1 && docker info > /dev/null 2>&1 && docker compose version > /dev/null 2>&1; then
  engine=docker
  compose() { docker compose --project-name "$project" --file "$compose_file" "$@"; }
else
  engine=podman
  compose() { podman-compose --project-name "$project" --file "$compose_file" "$@"; }
fi

stack_containers() { "$engine" ps --all --quiet --filter "label=com.docker.compose.project=$project"; }

teardown() {
  local status=$? failed_step=$current_step
  trap - EXIT
  if ((status != 0)) && [[ -n $(stack_containers 2> /dev/null) ]]; then
    for container in $("$engine" ps --all --format '{{.Names}}' --filter "label=com.docker.compose.project=$project"); do
      printf '\n---- last lines of %s\n' "$container" >&2
      "$engine" logs --tail 40 "$container" >&2 2>&1 || true
    done
  fi
  step "tear down $project (containers, network, volumes)"
  compose down --volumes > /dev/null 2>&1 || true
  # podman-compose 1.0.3 leaves the network and exits 0 on errors: remove whatever is left by label
  local label="label=com.docker.compose.project=$project"
  stack_containers | xargs -r "$engine" rm --force > /dev/null 2>&1 || true
  "$engine" volume ls --quiet --filter "$label" | xargs -r "$engine" volume rm --force > /dev/null 2>&1 || true
  "$engine" network ls --quiet --filter "$label" | xargs -r "$engine" network rm > /dev/null 2>&1 || true
  local left
  left="$(stack_containers) $("$engine" volume ls --quiet --filter "$label") $("$engine" network ls --quiet --filter "$label")"
  if [[ -n ${left// /} ]]; then
    echo "teardown left behind: $left" >&2
    status=1
  fi
  if ((status == 0)); then
    printf '\ncontainer check passed in %ss (%s)\n' "$((SECONDS - started))" "$engine"
  else
    printf '\ncontainer check FAILED after %ss (%s) at "%s"\n' "$((SECONDS - started))" "$engine" "$failed_step" >&2
  fi
  exit "$status"
}

# ---- the machine ---------------------------------------------------------------------------------
if [[ $engine == podman ]]; then
  step "host tools (podman, runc, podman-compose, debootstrap)"
  bash "$here/prepare-host.sh" || fail "cannot prepare this machine for podman"
fi

step "build the CLI on the host (it drives the scenarios)"
npx tsc -b || fail "tsc -b failed"

# The base images, by exactly the names the Dockerfile and the compose file use.
node_version=$(sed -n 's/^ARG NODE_VERSION=//p' Dockerfile)
node_from=$(sed -n 's/^FROM \(node:[^ ]*\).*/\1/p' Dockerfile | head -1)
# a name without a registry is Docker Hub's (node:x -> docker.io/library/node:x), for podman too
qualified() { if [[ $1 == */* ]]; then echo "$1"; else echo "docker.io/library/$1"; fi; }
node_image=$(qualified "${node_from//\$\{NODE_VERSION\}/$node_version}")
image_of() {
  qualified "$(node --input-type=module -e "
    import { readFileSync } from 'node:fs'; import { parse } from 'yaml';
    process.stdout.write(parse(readFileSync('$compose_file', 'utf8'), { merge: true }).services['$1'].image);")"
}
postgres_image=$(image_of postgres)
redis_image=$(image_of redis)
proxy_image=$(image_of proxy)
[[ -n $node_version && $node_image == *:"$node_version"-* ]] || fail "cannot read the node base image from the Dockerfile"

if [[ $engine == podman ]]; then
  step "stand-in base images ($node_image, $postgres_image, $redis_image, $proxy_image)"
  bash "$here/standins.sh" "$node_image" "$postgres_image" "$redis_image" "$proxy_image" || fail "cannot build the stand-in base images"
fi

# ---- the stack -----------------------------------------------------------------------------------
trap teardown EXIT
# Ctrl-C or a CI timeout's SIGTERM: exit, so that the EXIT trap tears the stack down
trap 'exit 130' INT
trap 'exit 143' TERM

free_ports=($(node -e "
  const net = require('node:net');
  const take = () => new Promise((ok) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => ok(p)); }); });
  const ports = new Set(); const more = () => take().then((p) => { ports.add(p); return ports.size < 4 ? more() : [...ports]; });
  more().then((all) => console.log(all.join(' ')));"))
export AUTH_HOST_PORT=${free_ports[0]} REALTIME_HOST_PORT=${free_ports[1]} REALTIME_1_HOST_PORT=${free_ports[2]} REALTIME_2_HOST_PORT=${free_ports[3]}
auth_url="http://127.0.0.1:$AUTH_HOST_PORT"
# the proxy in front of the replicas: what apps use
realtime_url="http://127.0.0.1:$REALTIME_HOST_PORT"
replica_urls=("http://127.0.0.1:$REALTIME_1_HOST_PORT" "http://127.0.0.1:$REALTIME_2_HOST_PORT")
# a key prefix of the check's own, as a shared Redis would need
export REDIS_PREFIX="drivrr-check-$$:"

# A throwaway signing key pair and the development settings the scenarios rely on (test phones),
# whatever the caller's environment says.
eval "$(node -e "
  const { generateKeyPairSync } = require('node:crypto');
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = (key, type) => JSON.stringify(key.export({ format: 'pem', type }));
  console.log('export JWT_PRIVATE_KEY=' + pem(privateKey, 'pkcs8') + ' JWT_PUBLIC_KEY=' + pem(publicKey, 'spki'));")"
export NODE_ENV=development LOG_LEVEL=warn POSTGRES_PASSWORD="check-$RANDOM$RANDOM" OTP_TEST_PHONES='+92399*=000000' OPERATOR_PHONES='+923990000000'

step "build the project image drivrr:local"
build_flags=(--tag drivrr:local --file Dockerfile)
[[ $engine == podman ]] && build_flags+=(--pull=never)
# behind this machine's TLS-inspecting proxy npm needs the host's CA bundle (an optional build secret)
ca_bundle=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
[[ -s $ca_bundle ]] && build_flags+=(--secret "id=npm_ca,src=$ca_bundle")
"$engine" build "${build_flags[@]}" . || fail "the image does not build"

if [[ $engine == docker ]]; then
  step "compose up --wait (the engine honours the start order and runs the healthchecks)"
  compose up --detach --wait --no-build || fail "the stack did not come up healthy"
  [[ $(docker inspect --format '{{.State.ExitCode}}' "$(compose ps --all --quiet migrate)") == 0 ]] || fail "the migrate step failed"
else
  step "compose: create the containers, network and volume (podman-compose up --no-start)"
  created=$(compose up --no-build --no-start 2>&1) || true
  name() { echo "${project}_$1_1"; }
  for service in postgres migrate auth redis realtime-1 realtime-2 proxy; do
    podman container exists "$(name "$service")" || fail "podman-compose did not create $(name "$service"):
$(tail -20 <<< "$created")"
  done

  # podman start also tries to schedule the healthchecks with systemd, and says so when there is
  # none: its output is shown only when the start itself fails
  start() { local output; output=$(podman start "$(name "$1")" 2>&1) || fail "cannot start $1: $output"; }
  # runs the service's own healthcheck (the compose file's) until it passes, for at most 60 s
  wait_healthy() {
    local container deadline=$((SECONDS + 60))
    container=$(name "$1")
    until podman healthcheck run "$container" > /dev/null 2>&1; do
      [[ $(podman inspect --format '{{.State.Running}}' "$container") == true ]] || fail "$1 stopped"
      ((SECONDS < deadline)) || fail "$1 is not healthy after 60 s; its healthcheck as podman runs it: $(podman inspect --format '{{json .Config.Healthcheck.Test}}' "$container")"
      sleep 1
    done
    echo "$1: healthy"
  }

  step "postgres: start, healthcheck"
  start postgres
  wait_healthy postgres

  step "migrate: run to completion"
  start migrate
  exit_code=$(timeout 120 podman wait "$(name migrate)") || fail "the migrate step did not finish within 120 s"
  podman logs "$(name migrate)"
  [[ $exit_code == 0 ]] || fail "the migrate step exited with $exit_code"

  step "auth: start, healthcheck"
  start auth
  wait_healthy auth

  step "redis: start, healthcheck"
  start redis
  wait_healthy redis

  # both replicas start together, as a cluster's nodes do
  step "realtime-1 and realtime-2: start, healthchecks"
  start realtime-1
  start realtime-2
  wait_healthy realtime-1
  wait_healthy realtime-2

  step "proxy: start, healthcheck (GET /api/live through it)"
  start proxy
  wait_healthy proxy
fi

step "GET /api/health through the published ports ($auth_url, the proxy $realtime_url)"
for url in "$auth_url" "$realtime_url"; do
  node -e "
    fetch('$url/api/health').then(async (response) => {
      const body = await response.text();
      console.log('$url/api/health', response.status, body);
      let health;
      try { health = JSON.parse(body); } catch { process.exit(1); }
      process.exit(response.status === 200 && health.status === 'ok' && health.db?.ok === true ? 0 : 1);
    }, (error) => { console.error('$url/api/health', error.cause?.code ?? error.message); process.exit(1); });" \
    || fail "$url/api/health does not answer 200 with status ok and the database ok"
done

# Each replica's registry must show both nodes (their heartbeats reach Redis, and each reads the
# other's); a node registers itself when it starts, so this waits a few heartbeats at most.
step "each replica's /api/health lists both nodes (${replica_urls[*]})"
for url in "${replica_urls[@]}"; do
  node -e "
    const deadline = Date.now() + 30_000;
    const look = async () => {
      let last = 'no answer';
      try {
        const response = await fetch('$url/api/health');
        const health = await response.json();
        const urls = (health.cluster?.nodes ?? []).map((n) => n.url).sort();
        last = response.status + ' mode=' + health.node?.mode + ' nodes=' + JSON.stringify(urls);
        if (response.status === 200 && health.node?.mode === 'cluster' && health.node?.redis?.ok === true
            && JSON.stringify(urls) === JSON.stringify(['http://realtime-1:8081', 'http://realtime-2:8081'])) {
          console.log('$url/api/health: node ' + health.node.id + ', cluster ' + JSON.stringify(urls));
          return;
        }
      } catch (error) { last = error.cause?.code ?? error.message; }
      if (Date.now() > deadline) { console.error('$url/api/health: ' + last); process.exit(1); }
      setTimeout(look, 500);
    };
    look();" || fail "$url/api/health does not list both replicas as one cluster"
done

# Apps that cannot set a header may send their token as ?token=: the proxy must not log it.
step "the proxy's access log holds no query string"
# a path of its own, to find the probe's line, and a token that must not appear anywhere
marker="$RANDOM$RANDOM"
node -e "fetch('$realtime_url/api/live-probe-$marker?token=secret-$marker').then((r) => process.exit(r.status > 0 ? 0 : 1), () => process.exit(1))" \
  || fail "the proxy does not answer"
if [[ $engine == docker ]]; then proxy_container=$(compose ps --all --quiet proxy); else proxy_container="${project}_proxy_1"; fi
deadline=$((SECONDS + 10))
until proxy_log=$("$engine" logs "$proxy_container" 2>&1) && grep -q "/api/live-probe-$marker" <<< "$proxy_log"; do
  ((SECONDS < deadline)) || fail "the proxy logged no line for the probe request (its log-format changed?)"
  sleep 0.5
done
grep "/api/live-probe-$marker" <<< "$proxy_log"
if grep -q "secret-$marker" <<< "$proxy_log"; then fail "the proxy's log contains a request's query string (a token would be logged)"; fi
echo "proxy log: the request logged by its path, the query string left out"

# The customer on realtime-1, the drivers on realtime-2: every offer, bid, accept, location and
# chat message crosses the cluster through Redis (share-trip: the link, opened on the customer's
# node, shows the driver connected to the other).
step "scenarios across replicas: customer on realtime-1, drivers on realtime-2"
for scenario in happy-path haggle-counter-offer bid-race share-trip; do
  node cli/dist/bin.js scenario run "$scenario" --auth-url "$auth_url" \
    --realtime-url "${replica_urls[0]}" --driver-realtime-url "${replica_urls[1]}" \
    || fail "$scenario failed with the customer on realtime-1 and the drivers on realtime-2"
done

# Last, the whole suite through the proxy, as apps connect: any scenario may land on either replica.
step "every scenario through the proxy (drivrr scenario run --all)"
node cli/dist/bin.js scenario run --all --auth-url "$auth_url" --realtime-url "$realtime_url" \
  || fail "a scenario failed"
