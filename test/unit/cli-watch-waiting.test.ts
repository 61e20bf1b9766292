// `gigafactory watch ID` of a job that waits says why, and the fix, once (stderr; a `watch.waiting` JSON line on
// stderr under --json, stdout staying one event per line) — a job no host can run printed `#1 … job.submitted` and
// then nothing, for ever — over a real local socket whose feed stays open as a live one does. The teller
// (cli/watch-waiting) says a reason again only when its code changes: not on a re-read of the same code, again after
// the job ran and waits anew; never `dispatching`, nor an operator stage unless --follow (the watch ends on one with its
// own line); reads never overlap however many events come, a failed read is tried again later, and nothing is said
// once the watch has stopped.
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it, onTestFinished } from "vitest";
import { type WaitingLine, waitingTeller } from "../../src/cli/watch-waiting.ts";
import type { WaitingReason } from "../../src/core/waiting-reason.ts";
import type { JobEvent } from "../../src/shared/http-client.ts";
import { connection, runCli } from "../support/cli-harness.ts";

const AT = Date.UTC(2026, 0, 1, 12, 0, 0);
const NO_HOST: WaitingReason = {
  code: "no_capable_factory",
  message: "waiting for a factory with engine:claude — none is enrolled",
  since: AT,
  detail: { requires: ["engine:claude"], missing: ["engine:claude"] },
};

type Ev = { seq: number; type: string; at: number; data: Record<string, unknown> };
const frame = (e: Ev) => `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;

/** A coordinator whose job `job_1` waits with NO_HOST, and whose feed streams stay open until `cancel()`. */
async function waitingCoordinator(reason: WaitingReason = NO_HOST) {
  const events: Ev[] = [{ seq: 1, type: "job.submitted", at: AT, data: {} }];
  const open = new Set<ServerResponse>();
  let job: Record<string, unknown> = { id: "job_1", title: "T", stage: "queued", waitingReason: reason };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "", "http://x");
    const after = Number(url.searchParams.get("after") ?? 0);
    const json = (doc: unknown) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(doc));
    };
    if (url.pathname.endsWith("/events/stream")) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(
        events
          .filter((e) => e.seq > after)
          .map(frame)
          .join(""),
      );
      if (job.stage === "cancelled") res.end();
      else open.add(res);
    } else if (url.pathname.endsWith("/events")) {
      json({ events: events.filter((e) => e.seq > after), lastSeq: events.at(-1)?.seq ?? 0 });
    } else json(job);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  onTestFinished(async () => {
    for (const res of open) res.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** The job is cancelled: its move goes out on every open stream, which then closes. */
    cancel() {
      const moved: Ev = { seq: 2, type: "job.stage", at: AT + 2, data: { from: "queued", to: "cancelled" } };
      events.push(moved);
      job = { ...job, stage: "cancelled", waitingReason: null };
      for (const res of open) res.end(frame(moved));
      open.clear();
    },
  };
}

/** Runs `watch` with its output collected as it comes; `until` waits for a state of it. */
function watch(url: string, ...extra: string[]) {
  const out = { stdout: "", stderr: "" };
  const exited = runCli(["watch", "job_1", ...extra, ...connection(url, "p")], {
    stdout: (t) => {
      out.stdout += t;
    },
    stderr: (t) => {
      out.stderr += t;
    },
    stderrIsTTY: false,
    env: { HOME: "/nonexistent", GIGAFACTORY_CONFIG: "/nonexistent/config.json" },
    now: () => AT,
  });
  return { out, exited };
}

async function until(state: () => boolean): Promise<void> {
  while (!state()) await new Promise((r) => setTimeout(r, 5));
}

describe("watch of a job no host can run", () => {
  it("says once why it waits and the fix, then ends when the job does", async () => {
    const stub = await waitingCoordinator();
    const w = watch(stub.url);
    await until(() => w.out.stderr.includes("waits:"));
    stub.cancel();
    expect(await w.exited).toBe(0);
    expect(w.out.stdout).toMatch(/^#1 {2}\d\d:\d\d:\d\d {2}job\.submitted/);
    const waits = w.out.stderr.split("\n").filter((l) => l.includes("waits:"));
    expect(waits).toHaveLength(1);
    expect(waits[0]).toMatch(
      /^… job_1 waits: no_capable_factory — waiting for a factory with engine:claude — none is enrolled — fix: enroll a host that has engine:claude: `gigafactory enroll NAME`, .* \(details: `gigafactory job job_1`\)$/,
    );
  });

  it("under --json: a watch.waiting JSON line on stderr, and only events on stdout", async () => {
    const stub = await waitingCoordinator();
    const w = watch(stub.url, "--json");
    await until(() => w.out.stderr.includes("watch.waiting"));
    stub.cancel();
    expect(await w.exited).toBe(0);
    const events = w.out.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { seq: number });
    expect(events.map((e) => e.seq)).toEqual([1, 2]);
    const line = JSON.parse(w.out.stderr.trim().split("\n")[0] ?? "") as WaitingLine;
    expect(line).toMatchObject({
      type: "watch.waiting",
      jobId: "job_1",
      waitingReason: { code: "no_capable_factory" },
    });
    expect(line.fix).toMatch(/^enroll a host that has engine:claude/);
  });

  it("under --json: the waiting line's C1 and bidi controls are \\uXXXX escapes, its value kept (as every JSON line)", async () => {
    // An OSC 52 in C1 form (U+009D … U+009C) and a right-to-left override, in a reason's message.
    const message = "waiting \u009d52;c;aGk=\u009c for \u202eengine:claude";
    const stub = await waitingCoordinator({ ...NO_HOST, message });
    const w = watch(stub.url, "--json");
    await until(() => w.out.stderr.includes("watch.waiting"));
    stub.cancel();
    expect(await w.exited).toBe(0);
    const raw = w.out.stderr.trim().split("\n")[0] ?? "";
    expect(raw).not.toMatch(/[\u007f-\u009f\u202a-\u202e\ufffd]/);
    expect(raw).toContain("\\u009d52;c;aGk=\\u009c for \\u202eengine:claude");
    expect((JSON.parse(raw) as WaitingLine).waitingReason.message).toBe(message);
  });
});

/** A job read that answers `next` each time it is asked; `reads` counts the asks. */
function fakeJob(first: { stage: string; waitingReason: WaitingReason | null }) {
  const state = { next: first as unknown, reads: 0, gate: undefined as Promise<void> | undefined };
  const client = {
    async getJob() {
      state.reads += 1;
      await state.gate;
      if (state.next instanceof Error) throw state.next;
      return state.next as never;
    },
  };
  return { state, client };
}

function teller(first: { stage: string; waitingReason: WaitingReason | null }, follow = false) {
  const { state, client } = fakeJob(first);
  const said: string[] = [];
  let tick = () => {};
  const t = waitingTeller({
    client,
    id: "job_1",
    follow,
    say: (_line, doc) => said.push(doc.waitingReason.code),
    every: (fn) => {
      tick = fn;
      return () => {
        tick = () => {};
      };
    },
  });
  return { t, state, said, tick: () => tick() };
}

const reason = (code: string): WaitingReason => ({ code, message: code, since: AT, detail: {} }) as WaitingReason;
const queued = (code: string) => ({ stage: "queued", waitingReason: reason(code) });
const event = (type: string, data: Record<string, unknown> = {}): JobEvent => ({ seq: 9, type, at: AT, data });

describe("the waiting teller", () => {
  it("says a reason again only when its code changes, and after a run, a new wait", async () => {
    const { t, state, said, tick } = teller(queued("no_capable_factory"));
    await t.check();
    tick();
    await t.check(); // the tick's read, already under way, and one more: the same code both times
    expect(said).toEqual(["no_capable_factory"]);
    state.next = queued("no_factory_connected"); // a host enrolled: no job event, the periodic read sees it
    tick();
    await t.check();
    expect(said).toEqual(["no_capable_factory", "no_factory_connected"]);
    state.next = { stage: "building", waitingReason: null };
    t.onEvent(event("job.stage", { from: "queued", to: "assigned" }));
    await t.check();
    const reads = state.reads;
    tick(); // it runs: no periodic read, its next move is an event
    expect(state.reads).toBe(reads);
    state.next = queued("no_factory_connected");
    t.onEvent(event("lease.lost"));
    await t.check();
    expect(said).toEqual(["no_capable_factory", "no_factory_connected", "no_factory_connected"]);
  });

  it("never says dispatching, nor an operator stage unless --follow", async () => {
    const about = teller(queued("dispatching"));
    await about.t.check();
    expect(about.said).toEqual([]);
    const testing = { stage: "testing", waitingReason: reason("testing") };
    const ends = teller(testing);
    await ends.t.check();
    expect(ends.said).toEqual([]); // the watch ends on it with its own line
    const follows = teller(testing, true);
    await follows.t.check();
    expect(follows.said).toEqual(["testing"]);
  });

  it("reads no log line, and never two reads at once however many events come", async () => {
    const { t, state, said } = teller(queued("all_seats_busy"));
    let open = () => {};
    state.gate = new Promise<void>((r) => {
      open = r;
    });
    for (let i = 0; i < 50; i++) t.onEvent(event(i % 2 ? "log" : "job.action"));
    expect(state.reads).toBe(1);
    open();
    await t.check();
    expect(state.reads).toBeLessThanOrEqual(3); // the first, one for the burst, and this check's own at most
    expect(said).toEqual(["all_seats_busy"]);
  });

  it("takes a failed read for an aside, and says nothing once stopped", async () => {
    const { t, state, said } = teller(queued("excluded"));
    state.next = new Error("coordinator unavailable");
    await t.check(); // does not throw
    state.next = queued("excluded");
    await t.check();
    expect(said).toEqual(["excluded"]);
    state.next = queued("breaker_open");
    let open = () => {};
    state.gate = new Promise<void>((r) => {
      open = r;
    });
    const read = t.check();
    t.stop();
    open();
    await read;
    expect(said).toEqual(["excluded"]);
    await t.check();
    expect(said).toEqual(["excluded"]);
  });
});
