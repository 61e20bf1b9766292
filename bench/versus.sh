#!/usr/bin/env bash
# `npm run bench:versus [-- OUT_DIR]` — Gigafactory against BullMQ in one run of the shared peer harness
# (../shared/peers: W1 throughput, W2 latency at 200/s and 20/s, W4 kill -9 recovery), writing TABLES.md into
# OUT_DIR (default: a new temp dir). Only ratios within one run mean anything.
#
# The harness is read-only for this project and is run unchanged, from a private copy, with one exception:
# its Gigafactory adapter's prepare() assumes an admin's first request on a product creates it, and products
# are now created explicitly (POST /api/v1/products {id}). The product id comes from a queue name that holds
# Date.now(), so it cannot be created beforehand; the private copy's prepare() is patched to create it first,
# and this script says so. If the shared adapter already does that, nothing is patched.
#
# Everything else is the harness's own scripts/versus.sh: it starts Redis and `npm run dev` and stops both by
# PID. This script gives them free loopback ports and a private run dir, so it cannot meet another run's
# servers. Env passed through: RUNS (default 2), W1_N (default 20000), SYSTEMS. Needs redis-server.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$(mktemp -d "${TMPDIR:-/tmp}/gf-versus-XXXXXX")}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# The shared folder sits beside the main checkout (../shared), or two levels up from a worktree.
PEERS=${PEERS_DIR:-}
for cand in "$ROOT/../shared/peers" "$ROOT/../../shared/peers"; do
  [[ -z $PEERS && -f $cand/scripts/versus.sh ]] && PEERS=$(cd "$cand" && pwd)
done
[[ -n $PEERS ]] || { echo "bench:versus: no peer harness found (set PEERS_DIR to ../shared/peers)" >&2; exit 2; }
command -v redis-server >/dev/null || { echo "bench:versus: needs redis-server: apt-get install -y redis-server" >&2; exit 2; }

# A private copy, kept between runs only for its node_modules (reinstalled when the lock file changes).
COPY=${TMPDIR:-/tmp}/gigafactory-peers-harness
mkdir -p "$COPY"
if ! cmp -s "$PEERS/package-lock.json" "$COPY/package-lock.json"; then rm -rf "$COPY/node_modules"; fi
find "$COPY" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
cp -r "$PEERS"/{bench.mjs,worker.mjs,report.mjs,lib,systems,scripts,package.json,package-lock.json} "$COPY"/
[[ -d $COPY/node_modules ]] || (cd "$COPY" && npm ci --no-audit --no-fund >/dev/null)

ADAPTER=$COPY/systems/gigafactory-ws.mjs
node - "$ADAPTER" <<'EOF'
const fs = require("node:fs");
const file = process.argv[2];
const src = fs.readFileSync(file, "utf8");
if (/call\('POST', '\/api\/v1\/products'/.test(src)) {
  console.log("bench:versus: the adapter creates its products itself; not patched");
  process.exit(0);
}
const anchor = "    async prepare() {\n";
if (src.split(anchor).length !== 2) {
  console.error("bench:versus: the adapter's prepare() is not where expected; look at it before patching");
  process.exit(2);
}
const create =
  "      // Patched by gigafactory bench/versus.sh (private copy only): products are created explicitly now.\n" +
  "      const made = await call('POST', '/api/v1/products', { json: { id: product } });\n" +
  "      if (made.status !== 201 && made.status !== 200) throw new Error(`create product ${product}: HTTP ${made.status} ${brief(made.body)}`);\n";
fs.writeFileSync(file, src.replace(anchor, anchor + create));
console.log("bench:versus: patched the private copy's gigafactory-ws prepare() to POST /api/v1/products first");
EOF

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
GF_PORT=$(free_port)
REDIS_PORT=$(free_port)
PEERS_RUN=$(mktemp -d "${TMPDIR:-/tmp}/gf-versus-run-XXXXXX")
export GF_PORT REDIS_PORT PEERS_RUN REDIS_URL=redis://127.0.0.1:$REDIS_PORT GIGAFACTORY_ROOT=$ROOT

# The harness means to stop `npm run dev` by its process group, but the pid it records is the subshell's (its
# `cd … && setsid npm run dev &`), so the TERM reaches nothing and it SIGKILLs whatever has `--persist-to <state>`
# 10 s later: the runtime's Node process. scripts/local-server then takes the runtime's process group (its workerd)
# down with it; should that parent be gone too, a workerd left serving our port is still ours: stop it by PID.
leftover_workerd() {
  local d c
  for d in /proc/[0-9]*; do
    c=$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null) || continue
    [[ $c == *workerd*"entry=127.0.0.1:$GF_PORT "* ]] && echo "${d#/proc/}"
  done
  return 0
}
cleanup() {
  local pids
  pids=$(leftover_workerd)
  if [[ -n $pids ]]; then
    echo "bench:versus: stopping the workerd the harness left running on :$GF_PORT (pid $pids)"
    kill -TERM $pids 2>/dev/null || true
    sleep 3
    pids=$(leftover_workerd)
    [[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
  fi
  rm -rf "$PEERS_RUN"
}
trap cleanup EXIT
echo "bench:versus: harness $PEERS (copy in $COPY), coordinator :$GF_PORT, redis :$REDIS_PORT, out $OUT"
"$COPY/scripts/versus.sh" "$ROOT" "$OUT"
