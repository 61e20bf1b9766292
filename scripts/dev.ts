/**
 * @module scripts/dev
 * `npm run dev`: the coordinator alone on 127.0.0.1:$PORT (default 8787) in
 * Miniflare local mode, state under `.wrangler/`, migrations applied, and the
 * admin token printed. The token comes from $GIGAFACTORY_ADMIN_TOKEN, else from
 * `.dev.vars`, else a new one is generated into `.dev.vars`. Ctrl-C, SIGTERM (to npm,
 * which `exec`s this script) or SIGHUP stops the runtime and its workerd.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { envValue } from "../src/shared/env-value.ts";
import { BAD_PORT_WHY, FETCH_BAD_PORTS } from "../src/shared/fetch-bad-ports.ts";
import { errorLine } from "../src/shared/fixable-error.ts";
import { BEARER_TOKEN_MAX_BYTES } from "../src/worker/bearer-token.ts";
import { ROOT, startLocalServer } from "./local-server.ts";
import { killDescendants } from "./process-tree.ts";
import { lockStateAndPort, startFailureExit, startFailureText } from "./start-preflight.ts";
import { onStopRequest } from "./stop-signals.ts";

const DEV_VARS = path.join(ROOT, ".dev.vars");

/**
 * Why no request could carry `token` as the admin's bearer token, or undefined when one can: the Worker reads
 * `Bearer <token>` as one run of non-blanks of at most BEARER_TOKEN_MAX_BYTES (worker/bearer-token), and a header's
 * bytes outside visible ASCII arrive re-encoded, so such a token never matches the secret it was set from.
 */
export function adminTokenProblem(token: string): string | undefined {
  if (/\s/.test(token)) return "holds a blank, which an Authorization header's Bearer token cannot carry";
  if (!/^[\x21-\x7e]*$/.test(token))
    return "holds a character outside visible ASCII, which a header cannot carry as typed";
  const bytes = Buffer.byteLength(token, "utf8");
  if (bytes > BEARER_TOKEN_MAX_BYTES)
    return `is ${bytes} bytes, over the ${BEARER_TOKEN_MAX_BYTES} a Bearer token may be`;
  return undefined;
}

/**
 * The admin token the local runtime is started with: GIGAFACTORY_ADMIN_TOKEN, else the one kept in .dev.vars, else a new
 * one written there (mode 0600). One no request could carry (adminTokenProblem) exits 2 `token_malformed` before
 * anything starts: it started the whole runtime, then ended `demo_failed … 401 … run npm install` (pass 46 newcomer).
 */
export function adminToken(): string {
  const fromEnv = envValue(process.env, "GIGAFACTORY_ADMIN_TOKEN");
  if (fromEnv) return usable(fromEnv, "GIGAFACTORY_ADMIN_TOKEN");
  const existing = existsSync(DEV_VARS) ? readFileSync(DEV_VARS, "utf8") : "";
  const m = /^GIGAFACTORY_ADMIN_TOKEN\s*=\s*"?([^"\n]+)"?\s*$/m.exec(existing);
  if (m?.[1]) return usable(m[1], `GIGAFACTORY_ADMIN_TOKEN in ${DEV_VARS}`);
  const token = `gfadmin_${randomBytes(24).toString("base64url")}`;
  writeFileSync(
    DEV_VARS,
    `${existing}${existing && !existing.endsWith("\n") ? "\n" : ""}GIGAFACTORY_ADMIN_TOKEN="${token}"\n`,
    {
      mode: 0o600,
    },
  );
  return token;
}

/** `token` when a request can carry it; else exits 2 `token_malformed`, naming `source` (adminTokenProblem). */
function usable(token: string, source: string): string {
  const why = adminTokenProblem(token);
  if (why === undefined) return token;
  console.error(
    errorLine({
      code: "token_malformed",
      message: `the admin token in ${source} ${why}: no request could use it`,
      fix: "set it to visible ASCII with no blank (letters, digits, '_', '-'; at most 512 bytes), or unset it and delete its line in .dev.vars: a new one is made",
    }),
  );
  return process.exit(2);
}

/**
 * A TCP port (1–65535) written in decimal digits, or undefined. `Number` alone took `0x50` (port 80), `1e3` (1000)
 * and `8787.0`: a typo listened somewhere nobody asked for.
 */
export function parsePort(raw: string): number | undefined {
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  // One fetch refuses (shared/fetch-bad-ports): the runtime would listen there and nothing of ours could reach it.
  return Number.isInteger(n) && n >= 1 && n <= 65535 && !FETCH_BAD_PORTS.has(n) ? n : undefined;
}

/**
 * `PORT` (1–65535, not one fetch refuses), 8787 when unset or empty (shared/env-value); anything else exits 2 with
 * `bad_port`.
 */
export function port(): number {
  const n = parsePort(envValue(process.env, "PORT") ?? "8787");
  if (n === undefined) {
    console.error(
      errorLine({
        code: "bad_port",
        message: FETCH_BAD_PORTS.has(Number(process.env.PORT))
          ? `PORT=${process.env.PORT} ${BAD_PORT_WHY}`
          : `PORT=${process.env.PORT} is not a TCP port`,
        fix: "set PORT to a number from 1 to 65535 that fetch can reach (8787, the default, is one)",
      }),
    );
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  const token = adminToken();
  // An empty GIGAFACTORY_LOCAL_STATE is unset: `path` of "" would lock and persist into the current directory.
  const stateRoot = envValue(process.env, "GIGAFACTORY_LOCAL_STATE") ?? path.join(ROOT, ".wrangler");
  const listenOn = port();
  // A second coordinator on the same port or state would be taken for this one (see scripts/start-preflight).
  await lockStateAndPort(stateRoot, listenOn, "npm run dev");
  // Only now: a start refused above says why and nothing else (it first said it was starting).
  console.log("… applying D1 migrations and starting the coordinator (Miniflare local mode)");
  // Stopping before the coordinator answers stops its start-up too (its bundling, its migrations, a runtime on its way up).
  const starting = new AbortController();
  let stopping = false;
  onStopRequest({
    stop: () => {
      stopping = true;
      starting.abort();
      // A start-up it cut short rejects once what it started is gone.
      void startup
        .then(
          (s) => s.stop(),
          () => undefined,
        )
        .then(() => process.exit(0));
    },
    // 128 + the signal's number (stop-signals): SIGTERM's 143, not an interrupt's 130 whatever the signal.
    force: (why, exitCode) => {
      console.error(`✘ ${why} while stopping: killing the coordinator now`);
      killDescendants(process.pid);
      process.exit(exitCode);
    },
  });
  // The handlers above come first: a stop request the moment the bundling or the migrations have started must find them, not kill this
  // process and orphan the run. No handler runs before this synchronous code ends, so `startup` is set by then.
  const startup = startLocalServer({
    port: listenOn,
    adminToken: token,
    verbose: true,
    persistTo: path.join(stateRoot, "state"),
    signal: starting.signal,
  });
  // Stopped while starting: the stop above exits once the start-up has unwound, so main waits for that.
  const server = await startup.catch((err: unknown) => (stopping ? new Promise<never>(() => {}) : Promise.reject(err)));
  console.log(`✔ Gigafactory coordinator on ${server.url}`);
  console.log(`  health:      ${server.url}/api/v1/health`);
  console.log(`  API docs:    ${server.url}/api/v1/openapi.json`);
  console.log(`  admin token: ${token}`);
  console.log("  Ctrl-C stops it.");
  // A runtime that died on its own passes its code on; one we stopped exits 130 (Miniflare's own SIGINT hook).
  server.child.once("exit", (code) => {
    if (!stopping) process.exit(code ?? 1);
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error(startFailureText(err, "start_failed", "run `npm install` first, and check the output above"));
    process.exit(startFailureExit(err));
  });
}
