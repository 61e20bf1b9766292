/**
 * Waiting for a state in tests: poll a read until a condition holds. A wait that never succeeds throws AT the wait,
 * naming what it waited for and the last value it saw — not a later assertion on stale data (a confusing message),
 * nor no assertion at all (a false pass, where nothing is checked after a bare `await until(...)`).
 *
 * Pure (no `cloudflare:*` imports): used by the integration helpers, and unit-tested in Node (test/unit/polling).
 */

/** How long a wait lasts, and what it waits for (the message's subject; the condition's own source when not given). */
export type WaitOptions = { ms?: number; what?: string };

/** Ten seconds: well under the layer's 120 s test and hook timeouts, so a failed wait throws its own message first. */
const DEFAULT_MS = 10_000;
/** Between reads: short enough to add little to a wait, long enough not to flood a Durable Object with reads. */
const POLL_MS = 50;
/** The longest a value shown in a message gets: the part that says what was there, not a page of JSON. */
const SHOWN_CHARS = 1000;
/** The longest a condition's own source gets, as the subject of a message. */
const WHAT_CHARS = 160;

/** A value as a message shows it: JSON where it can be, cut to `max` characters with a count of what was cut. */
export function shown(v: unknown, max = SHOWN_CHARS): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v); // a cycle or a BigInt: JSON cannot say it
  }
  return cut(text, max);
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more chars)`;
}

/** The thrown error's text: one line a reader of a failed test understands without the test open. */
export function timedOut(what: string, ms: number, last: unknown): string {
  return `timed out after ${ms} ms waiting for ${what}; last value: ${shown(last)}`;
}

function optionsOf(ok: (v: never) => unknown, opts: number | WaitOptions): { ms: number; what: string } {
  const o = typeof opts === "number" ? { ms: opts } : opts;
  return { ms: o.ms ?? DEFAULT_MS, what: o.what ?? cut(String(ok).replace(/\s+/g, " "), WHAT_CHARS) };
}

/**
 * Polls `read` until `ok` holds, and returns the value that satisfied it. Throws at the deadline (default 10 s; a
 * number is the deadline in ms) naming `what` (default: `ok`'s source) and the last value read. A `read` that throws
 * fails the wait at once: a read is not expected to fail.
 */
export async function until<T>(
  read: () => Promise<T>,
  ok: (v: T) => boolean | undefined,
  opts: number | WaitOptions = {},
): Promise<T> {
  const { ms, what } = optionsOf(ok, opts);
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(timedOut(what, ms, v));
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/**
 * The explicit opt-out: polls `read` until `stop` holds or `ms` passes, and returns the last value read EITHER way.
 * Only for a caller whose claim is about the value at the deadline — that something did NOT happen within it — and
 * which asserts on that value itself; every use says why in a comment. Everything else waits with `until`.
 */
export async function lastAfter<T>(read: () => Promise<T>, stop: (v: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (stop(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
