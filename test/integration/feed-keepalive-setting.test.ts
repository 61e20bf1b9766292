// A job feed's SSE keep-alive interval is the operator's FEED_KEEPALIVE_SECONDS (wrangler.toml [vars]): wrangler.toml's
// value reaches every JobFeed, a feed built with a short one sends its keep-alives at that pace, and the var is read
// as a whole number of seconds from 1 to 30 — unset or empty gives 15; out of bounds, a fraction or not a number is
// ignored (the default used) with one warning per value however many feeds read it, never a feed that fails.
import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { feedKeepAliveMs } from "../../src/durable-objects/feed/keepalive-setting.ts";
import type { SseWatchers } from "../../src/durable-objects/feed/sse.ts";
import { JobFeed } from "../../src/durable-objects/job-feed.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";

const sseOf = (feed: JobFeed) => (feed as unknown as { sse: SseWatchers }).sse;

/** A JobFeed on `stub`'s storage built with `vars` over the test's env, as the runtime builds one: its SSE watchers. */
const feedWith = (stub: DurableObjectStub<JobFeed>, vars: Partial<Env>) =>
  runInDurableObject(stub, (_instance, state) => sseOf(new JobFeed(state, { ...env, ...vars })).keepAliveMs);

afterEach(() => vi.restoreAllMocks());

describe("FEED_KEEPALIVE_SECONDS", () => {
  it("reaches a job feed from wrangler.toml: 15 s", async () => {
    expect(env.FEED_KEEPALIVE_SECONDS).toBe("15");
    const stub = env.JOB_FEED.getByName(feedName("keepalive-set", "job_default"));
    expect(await runInDurableObject(stub, (instance) => sseOf(instance).keepAliveMs)).toBe(15_000);
  });

  it("set to 1, a feed's streams get a keep-alive each second", async () => {
    const [product, jobId] = ["keepalive-set", "job_short"];
    const stub = env.JOB_FEED.getByName(feedName(product, jobId));
    await stub.append(product, jobId, [{ type: "log", at: 0, data: {} }]);
    expect(await feedWith(stub, { FEED_KEEPALIVE_SECONDS: "1" })).toBe(1000);
    // Its round runs at that pace: two keep-alives on a stream read throughout (a state, waited for; not a time).
    const seen = await runInDurableObject(stub, async (_instance, state) => {
      const sse = sseOf(new JobFeed(state, { ...env, FEED_KEEPALIVE_SECONDS: 1 }));
      const reader = sse.open(state.storage.sql, 0).pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (text.split(": keep-alive").length < 3) text += (await reader.read()).value ?? "";
      sse.closeAll("done");
      await reader.cancel();
      return text;
    });
    expect(seen).toContain("id: 1\n");
  });

  it("is read as whole seconds from 1 to 30; unset or empty is 15", () => {
    const warn = vi.fn();
    const read = (raw: unknown) => feedKeepAliveMs(raw, warn);
    expect([read("1"), read(" 7 "), read(30), read("30")]).toEqual([1000, 7000, 30_000, 30_000]);
    expect([read(undefined), read("")]).toEqual([15_000, 15_000]);
    expect(warn).not.toHaveBeenCalled();
  });

  it("ignores a value out of bounds or not a number, with one warning per value, the default used", async () => {
    const warn = vi.fn();
    const bad = ["0", "31", 31, 2.5, "5s", "1e1", "-1", true, "abc"];
    for (const raw of [...bad, ...bad]) expect(feedKeepAliveMs(raw, warn)).toBe(15_000);
    expect(warn).toHaveBeenCalledTimes(bad.length - 1); // 31 and "31" are one value to the reader of the log
    expect(warn.mock.calls[0]?.[0]).toBe(
      'FEED_KEEPALIVE_SECONDS "0" is not a whole number of seconds from 1 to 30: using 15',
    );
    // A feed built with a bad value works at the default, the warning logged once for all its feeds.
    const logged = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const stub = env.JOB_FEED.getByName(feedName("keepalive-set", "job_bad"));
    expect(await feedWith(stub, { FEED_KEEPALIVE_SECONDS: "600" })).toBe(15_000);
    expect(await feedWith(stub, { FEED_KEEPALIVE_SECONDS: "600" })).toBe(15_000);
    expect(logged.mock.calls.filter(([l]) => String(l).startsWith('FEED_KEEPALIVE_SECONDS "600"'))).toHaveLength(1);
  });
});
