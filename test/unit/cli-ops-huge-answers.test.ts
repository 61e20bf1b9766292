// An operator command fed one answer of 150,000 items — a page of alerts or lessons from a coordinator that ignores
// `limit`, a routing explanation with that many score terms — lists them all, exit 0: each was gathered with
// `push(...items)`, one argument per item, which V8 refuses past about 125,000 (`✘ ERROR internal: Maximum call
// stack size exceeded / this is a CLI bug`).
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const N = 150_000;
/** Generous, for a loaded machine: the stand-in serves, and the CLI checks, 150,000 items (no duration is asserted). */
const SLOW = 120_000;

const alert = (i: number) => ({
  id: `al_${String(i).padStart(12, "0")}`,
  state: "open",
  severity: "info",
  kind: "stuck",
  subject: `job:${i}`,
  openedAt: 0,
  message: "m",
});
const lesson = (i: number) => ({ id: `les_${i}`, source: "auto", text: "t", capabilities: [], count: 1, updatedAt: 0 });

describe("an answer of 150,000 items", () => {
  it.each([
    [["alerts", "--state", "open"], { alerts: Array.from({ length: N }, (_, i) => alert(i)) }, "alerts"],
    [["lessons", "list"], { items: Array.from({ length: N }, (_, i) => lesson(i)) }, "items"],
  ] as const)(
    "is listed whole (--json): %j",
    async (argv, body, key) => {
      const { url } = await stubCoordinator((_req, reply) => reply.json(200, body));
      const r = await captureCli([...argv, "--json", ...connection(url, "shop")]);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
      expect(JSON.parse(r.stdout)[key]).toHaveLength(N);
    },
    SLOW,
  );

  it(
    "is rendered whole by `explain`: one table row per score term",
    async () => {
      const terms = Object.fromEntries(
        Array.from({ length: N }, (_, i) => [`t${i}`, { raw: 1, weight: 1, contribution: 1 }]),
      );
      const explanation = {
        jobId: "job_1",
        stage: "queued",
        priority: "high",
        urgency: 1,
        at: 0,
        holderFactoryId: null,
        routingPolicy: null,
        waitingReason: null,
        preemption: null,
        ranked: [{ factoryId: "fac_1", factoryName: "box", score: 1, terms, track: null }],
        rejected: [],
        exclusions: [],
      };
      const { url } = await stubCoordinator((_req, reply) => reply.json(200, explanation));
      const r = await captureCli(["explain", "job_1", ...connection(url, "shop")]);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
      expect(r.stdout.split("\n").filter((l) => /^ {6}t\d+ /.test(l))).toHaveLength(N);
    },
    SLOW,
  );
});
