/**
 * Pre-filling a product's queue for the growth scenario: `depth` jobs that no connected factory can run (they
 * require a capability nobody is enrolled with), bulk-submitted with `jobs:batch` in big batches, at most
 * `fillConcurrency` batches on their way at once, and waited for until the coordinator counts them queued
 * (`GET …/stats`: the dispatch queue delivers a batch's jobs after the answer). A fill still short at `capMs` stops sending and reports the depth it reached,
 * so a runtime that cannot take the whole fill yields a marked cell instead of a hung benchmark.
 */
import type { GrowthCounts } from "./counts.ts";
import { before, type Target } from "./fleet.ts";
import { api, productPath, sleep } from "./http.ts";

/** Required by every filler job; no factory is ever enrolled with it. */
export const UNRUNNABLE = "bench:nobody";
/** How often the fill polls `…/stats` while the dispatch queue delivers. */
const POLL_MS = 500;

export interface FillResult {
  requested: number;
  /** Jobs the batch answers accepted. */
  accepted: number;
  /** Jobs the coordinator counted queued when the fill ended. */
  queued: number;
  /** First batch sent → the coordinator counts every accepted job (or the cap). */
  fillMs: number;
  /** First batch sent → last batch answered (0 when the cap came first). */
  submitMs: number;
  /** Why the fill stopped short, when it did. */
  capped?: string;
  firstError?: string;
}

/** The product's queued count, from the stage index (null when the read fails). */
export async function queuedCount(t: Target, product: string): Promise<number | null> {
  try {
    const r = await api<{ counts?: { queued?: number } }>(t.base, "GET", `${productPath(product)}/stats`, t.admin);
    return r.status === 200 ? (r.body.counts?.queued ?? 0) : null;
  } catch {
    return null;
  }
}

export async function fillQueue(
  t: Target,
  product: string,
  depth: number,
  g: GrowthCounts,
  log: (s: string) => void,
): Promise<FillResult> {
  const t0 = performance.now();
  const deadline = t0 + g.fillCapMs;
  // Windowed: a batch goes only while fewer than `fillConcurrency` batches are accepted but not yet counted, so
  // a fill cut short at the cap leaves little still on its way into the queue while the cell is measured.
  const window = g.fillBatch * g.fillConcurrency;
  let accepted = 0;
  let sent = 0;
  let queued = 0;
  let submitMs = 0;
  let firstError: string | undefined;
  let lastLog = t0;
  while (before(t, deadline)) {
    if (sent < depth && accepted - queued + g.fillBatch <= window) {
      const from = sent;
      sent = Math.min(depth, from + g.fillBatch);
      const items = [];
      for (let i = from; i < sent; i++) {
        items.push({ manifest: { title: `fill-${i}`, idempotencyKey: `fill-${i}`, requires: [UNRUNNABLE] } });
      }
      try {
        const r = await api<{ accepted?: number }>(
          t.base,
          "POST",
          `${productPath(product)}/jobs:batch`,
          t.admin,
          { items },
          Math.round(Math.max(1_000, deadline - performance.now())),
        );
        if (r.status === 202) accepted += r.body.accepted ?? 0;
        else firstError ??= `batch at ${from}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`;
      } catch (err) {
        firstError ??= `batch at ${from}: ${(err as Error).message}`;
      }
      if (sent >= depth) submitMs = Math.round(performance.now() - t0);
      continue;
    }
    queued = (await queuedCount(t, product)) ?? queued;
    if (sent >= depth && queued >= accepted) break;
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      log(`fill: ${queued} queued, ${accepted} accepted of ${depth}`);
    }
    await sleep(POLL_MS);
  }
  const fillMs = Math.round(performance.now() - t0);
  let capped: string | undefined;
  if (queued < depth) {
    capped = `${queued.toLocaleString("en")} of ${depth.toLocaleString("en")} queued after ${Math.round(fillMs / 1000)} s (cap ${g.fillCapMs / 1000} s${firstError ? `; ${firstError}` : ""})`;
    log(`fill capped: ${capped}`);
  }
  return {
    requested: depth,
    accepted,
    queued,
    fillMs,
    submitMs,
    ...(capped ? { capped } : {}),
    ...(firstError ? { firstError } : {}),
  };
}
