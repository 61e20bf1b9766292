// The consumers' "last try" constants agree with wrangler.toml: a history write on delivery LAST_TRY, a webhook
// on delivery WEBHOOK_LAST_TRY and a dispatch message on delivery DISPATCH_LAST_TRY are kept as dead letters here,
// so each must be its consumer's max_retries + 1 — one lower and a delivery is dead-lettered while the queue would still retry it, one higher and the queue drops it to
// the dead-letter queue before we keep it with its reason.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DISPATCH_LAST_TRY } from "../../src/worker/queues/consumers.ts";
import { LAST_TRY } from "../../src/worker/queues/history.ts";
import { WEBHOOK_LAST_TRY } from "../../src/worker/queues/webhooks.ts";

/** `max_retries` of the `[[queues.consumers]]` block whose `queue` is `name` (wrangler.toml, read as text). */
function maxRetries(name: string): number {
  const toml = readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8");
  const block = toml
    .split("[[queues.consumers]]")
    .slice(1)
    .map((b) => b.split(/^\[/m)[0] ?? "")
    .find((b) => new RegExp(`^queue = "${name}"$`, "m").test(b));
  const m = block?.match(/^max_retries = (\d+)$/m);
  if (!m) throw new Error(`wrangler.toml: no max_retries for the ${name} consumer`);
  return Number(m[1]);
}

describe("the consumers' last try matches wrangler.toml", () => {
  it("history: LAST_TRY is max_retries + 1", () => {
    expect(LAST_TRY).toBe(maxRetries("gigafactory-history") + 1);
  });

  it("dispatch: DISPATCH_LAST_TRY is max_retries + 1", () => {
    expect(DISPATCH_LAST_TRY).toBe(maxRetries("gigafactory-dispatch") + 1);
  });

  it("webhooks: WEBHOOK_LAST_TRY is max_retries + 1", () => {
    expect(WEBHOOK_LAST_TRY).toBe(maxRetries("gigafactory-webhooks") + 1);
  });
});
