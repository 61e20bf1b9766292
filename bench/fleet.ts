/**
 * Factories for the scenarios: enroll with the admin token, connect as
 * protocol-v1 `WsFactory`s, a bounded-concurrency pool for doing that by the
 * thousand, and a time limit on every connect (WsFactory.connect itself waits
 * for `welcome` forever).
 */
import { WsFactory, type WsFactoryOptions } from "../test/support/ws-factory.ts";
import { api, productPath } from "./http.ts";

export interface Target {
  base: string;
  admin: string;
  /** False once the local server died: every wait then ends at once instead of at its deadline. */
  alive: () => boolean;
  /** CPU time (ms) the runtime's workerd processes have used so far; absent or null where /proc cannot say. */
  workerdCpuMs?: () => number | null;
}

/** Keep waiting? Only while the server is up and the deadline (performance.now() clock) is ahead. */
export function before(t: Target, deadline: number): boolean {
  return t.alive() && performance.now() < deadline;
}

/** Products are created explicitly (`POST /api/v1/products`, idempotent): each scenario's, before it runs. */
export async function createProduct(t: Target, product: string): Promise<void> {
  const r = await api(t.base, "POST", "/api/v1/products", t.admin, { id: product });
  if (r.status !== 201 && r.status !== 200) throw new Error(`create product ${product}: HTTP ${r.status}`);
}

/** Enrollment is the factory's grant: a capability it will declare must be enrolled, or it waits for approval. */
export async function enroll(
  t: Target,
  product: string,
  name: string,
  seats: number,
  capabilities: readonly string[] = [],
): Promise<string> {
  const r = await api<{ token: string }>(t.base, "POST", `${productPath(product)}/factories/enroll`, t.admin, {
    name,
    seats,
    capabilities,
  });
  if (r.status !== 201) throw new Error(`enroll ${name}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token;
}

export async function connect(
  t: Target,
  product: string,
  token: string,
  opts: WsFactoryOptions,
  timeoutMs = 30_000,
): Promise<WsFactory> {
  const pending = WsFactory.connect(t.base, product, token, opts);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no welcome within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const f = await Promise.race([pending, timeout]);
    // A reset later on (server stopped, factory killed) must not crash the benchmark.
    f.ws.on("error", () => {});
    return f;
  } catch (err) {
    // Should it still connect after we gave up, drop it: nothing is left open.
    pending.then(
      (late) => late.kill(),
      () => {},
    );
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Enroll and connect one factory. */
export async function startFactory(
  t: Target,
  product: string,
  name: string,
  opts: WsFactoryOptions,
): Promise<WsFactory> {
  // Scenario 5's workers declare `bench:worker`; enrolled without it they were never routed a job (0 assigned).
  return connect(t, product, await enroll(t, product, name, opts.seats ?? 1, opts.capabilities ?? []), opts);
}

/**
 * Run `fn` over `items`, at most `concurrency` at a time; none is started
 * once `keepGoing()` says no. Failures are collected, not thrown.
 */
export async function pool<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
  keepGoing: () => boolean = () => true,
): Promise<{ results: R[]; errors: string[]; skipped: number }> {
  const results: R[] = [];
  const errors: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length && keepGoing()) {
      const i = next++;
      try {
        results.push(await fn(items[i] as T, i));
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return { results, errors, skipped: items.length - next };
}

export function closeAll(factories: readonly WsFactory[]): void {
  for (const f of factories) {
    try {
      f.close();
    } catch {
      /* already gone */
    }
  }
}

export type { WsFactory };
