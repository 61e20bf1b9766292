// The REST client's abortable sleep (shared/http-transport `sleep`, which the CLI's job feed waits its reconnects
// with) leaves no abort listener on the caller's signal once a wait ends: one signal lives as long as a watch, and
// every reconnect's wait left a listener and its closure on it. An abort still ends a wait at once, with its reason.
import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { sleep } from "../../src/shared/http-transport.ts";

describe("sleep", () => {
  it("leaves no listener on the caller's signal after its waits end", async () => {
    const ctl = new AbortController();
    for (let i = 0; i < 20; i++) await sleep(0, ctl.signal);
    expect(getEventListeners(ctl.signal, "abort")).toHaveLength(0);
  });

  it("still ends at once with the signal's reason when it aborts", async () => {
    const ctl = new AbortController();
    const waiting = sleep(2 ** 31 - 1, ctl.signal);
    const reason = new Error("stop");
    ctl.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(getEventListeners(ctl.signal, "abort")).toHaveLength(0);
  });
});
