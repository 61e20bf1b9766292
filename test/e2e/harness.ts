/**
 * End-to-end harness: the real local runtime (scripts/local-runtime.ts) on a free loopback port with state in
 * a fresh temp dir, plus a minimal HTTP client with retry for the moments the
 * server is down (restart tests).
 *
 * Each server serves the bundle test/e2e/global-setup built once for the run, and starts on a copy of the migrated
 * state it made: the same bytes its own start would make, without their seconds at every start and restart. Its
 * runtime loads the run's one read of wrangler.toml, not wrangler (scripts/wrangler-config).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { inject } from "vitest";
import {
  E2E_SERVER_LOGS,
  freePort,
  type LocalServer,
  type LocalServerOptions,
  startLocalServer,
} from "../../scripts/local-server.ts";

export { freePort };

export const ADMIN = "e2e-admin-token";

export interface Harness {
  url: string;
  server: LocalServer;
  persistTo: string;
  restart(mode: "stop" | "crash"): Promise<void>;
  close(): Promise<void>;
}

/** `vars`: Worker vars over wrangler.toml's [vars] for this server and its restarts (scripts/local-server `vars`). */
export async function startHarness(opts: { vars?: Readonly<Record<string, string>> } = {}): Promise<Harness> {
  const persistTo = mkdtempSync(path.join(tmpdir(), "gf-e2e-"));
  mkdirSync(E2E_SERVER_LOGS, { recursive: true });
  const migratedState = inject("e2eMigratedState");
  if (migratedState) cpSync(migratedState, persistTo, { recursive: true });
  const options: LocalServerOptions = {
    port: 0, // chosen below
    persistTo,
    adminToken: ADMIN,
    logFile: path.join(E2E_SERVER_LOGS, `${path.basename(persistTo)}.log`),
    bundle: inject("e2eBundle"),
    migrated: migratedState !== undefined,
    wranglerConfig: inject("e2eWranglerConfig") || undefined,
    vars: opts.vars,
  };
  const server = await startOnFreePort(options);
  const h: Harness = {
    url: `http://127.0.0.1:${options.port}`,
    persistTo,
    server,
    async restart(mode) {
      await (mode === "crash" ? h.server.crash() : h.server.stop());
      // The state was migrated by the first start: a restart finds it as a crashed or stopped server left it.
      h.server = await startLocalServer({ ...options, migrated: true });
    },
    async close() {
      await h.server.stop();
      rmSync(persistTo, { recursive: true, force: true });
    },
  };
  return h;
}

/**
 * Starts the server on a fresh free port (set in `options.port`), again on another one when the port was taken before
 * the runtime bound it (`port_in_use`): a pick can only be checked before the runtime binds, not at that moment.
 */
async function startOnFreePort(options: LocalServerOptions): Promise<LocalServer> {
  for (let attempt = 1; ; attempt++) {
    options.port = await freePort();
    try {
      return await startLocalServer(options);
    } catch (err) {
      if (attempt >= 3 || (err as { code?: string }).code !== "port_in_use") throw err;
    }
  }
}

/** The workerd process under a local runtime's process (Linux /proc); undefined elsewhere. */
export function workerdOf(runtimePid: number): number | undefined {
  if (!existsSync("/proc")) return undefined;
  for (const p of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      const ppid = Number(readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]?.split(" ")[1]);
      if (ppid === runtimePid && readFileSync(`/proc/${p}/cmdline`, "utf8").includes("workerd")) return Number(p);
    } catch {
      /* the process went away while we looked */
    }
  }
  return undefined;
}

export interface Reply<T> {
  status: number;
  body: T;
}

/**
 * One HTTP call; retries only when the server cannot be reached at all (restarts).
 * Products are created explicitly: when the admin is told a product does not
 * exist, this creates it (as an operator would once) and asks again.
 */
export async function call<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  token: string | undefined,
  json?: unknown,
  retryForMs = 60_000,
): Promise<Reply<T>> {
  const first = await rawCall<T>(base, method, path, token, json, retryForMs);
  const missing = first.body as { what?: unknown; id?: unknown } | null;
  if (first.status !== 404 || token !== ADMIN || missing?.what !== "product") return first;
  await createProduct(base, String(missing.id));
  return rawCall<T>(base, method, path, token, json, retryForMs);
}

/** `POST /api/v1/products` with the admin token; idempotent (201 new, 200 existing). */
export async function createProduct(base: string, id: string): Promise<void> {
  const r = await rawCall(base, "POST", "/api/v1/products", ADMIN, { id });
  if (r.status !== 201 && r.status !== 200)
    throw new Error(`create product ${id}: ${r.status} ${JSON.stringify(r.body)}`);
}

/** `call` without creating products. */
export async function rawCall<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  token: string | undefined,
  json?: unknown,
  retryForMs = 60_000,
): Promise<Reply<T>> {
  const deadline = Date.now() + retryForMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    try {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(json !== undefined ? { "content-type": "application/json" } : {}),
        },
        body: json === undefined ? undefined : JSON.stringify(json),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

export const P = (product: string) => `/api/v1/products/${product}`;

/**
 * The admin's calls under `product` on the server at `base()` (read at each call: a harness starts in `beforeAll`):
 * the reply's body, and a failure naming the call and the body for any status of 300 or more.
 */
export function adminApi(base: () => string, product: string) {
  return async <T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> => {
    const r = await call<T>(base(), method, `${P(product)}${path}`, ADMIN, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
}

/** A viewer and an operator token of `product`, minted by the admin (each named after its role; throws unless 201). */
export async function mintRoleTokens(url: string, product: string): Promise<{ viewer: string; operator: string }> {
  const out = { viewer: "", operator: "" };
  for (const role of ["viewer", "operator"] as const) {
    const r = await call<{ token: string }>(url, "POST", `${P(product)}/tokens`, ADMIN, { role, name: role });
    if (r.status !== 201) throw new Error(`minting the ${role} token of ${product}: ${r.status}`);
    out[role] = r.body.token;
  }
  return out;
}
