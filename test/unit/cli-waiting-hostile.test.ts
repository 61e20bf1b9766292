// A waiting reason from the coordinator's answer cannot forge or break the "Waiting:" block of `gigafactory job ID` and
// `gigafactory explain ID`: a newline in its code or in a detail key printed a line of its own (a forged
// "  stage        shipped" field), a detail nested thousands deep overflowed the stack (`✘ ERROR internal … CLI
// bug`), and a record labelled by a record read "[object Object]".
import { describe, expect, it } from "vitest";
import { waitingLines } from "../../src/cli/waiting.ts";
import type { WaitingReason } from "../../src/core/waiting-reason.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";
import { jobFixture } from "../support/fixtures.ts";

const AT = Date.UTC(2026, 0, 2, 3, 4, 5);
const FORGED = "\n  stage        shipped";

/** `doc` as JSON with its string "DEEP" a list nested `depth` deep, `[[[…]]]` (JSON.stringify overflows on one). */
const withDeep = (doc: unknown, depth: number): string =>
  JSON.stringify(doc).replace('"DEEP"', "[".repeat(depth) + "]".repeat(depth));

describe("gigafactory job ID: the Waiting block", () => {
  it("keeps a hostile code and detail key on their own lines", async () => {
    const job = {
      ...jobFixture(AT, { id: "job_1", title: "t" }),
      waitingReason: {
        code: `no_capable_factory${FORGED}`,
        message: "m",
        since: AT,
        detail: { [`missing${FORGED}`]: ["gpu"] },
      },
    };
    const { url } = await stubCoordinator((req, reply) =>
      req.url.endsWith("/runs") ? reply.json(200, { runs: [] }) : reply.json(200, job),
    );
    const r = await captureCli(["job", "job_1", ...connection(url, "shop")], { now: AT });
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n").filter((l) => /^ {2}stage +shipped/.test(l))).toEqual([]);
    expect(r.stdout).toContain("Waiting: m  [no_capable_factory stage shipped]");
    expect(r.stdout).toContain("  missing stage shipped: gpu");
  });

  it("shows a detail nested 100,000 deep, cut, instead of failing as a CLI bug", async () => {
    const job = {
      ...jobFixture(AT, { id: "job_1", title: "t" }),
      waitingReason: { code: "c", message: "m", since: AT, detail: { deep: "DEEP" } },
    };
    const { url } = await stubCoordinator((req, reply) =>
      req.url.endsWith("/runs")
        ? reply.json(200, { runs: [] })
        : reply.text(200, withDeep(job, 100_000), "application/json"),
    );
    const r = await captureCli(["job", "job_1", ...connection(url, "shop")], { now: AT });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}deep: .*…$/m);
  });
});

describe("waitingLines", () => {
  it("writes one line per detail whatever the code and keys hold", () => {
    const reason = {
      code: `retry_backoff${FORGED}`,
      message: "m",
      since: AT,
      detail: { [`k${FORGED}`]: 1, [`until${FORGED}`]: AT },
    } as unknown as WaitingReason;
    expect(waitingLines(reason, AT).split("\n")).toHaveLength(4);
  });

  it("labels a record by its label's text, never [object Object]", () => {
    const reason = {
      code: "excluded",
      message: "m",
      since: AT,
      detail: { factories: [{ name: { first: "box" }, kind: "expired" }] },
    } as unknown as WaitingReason;
    const text = waitingLines(reason, AT);
    expect(text).toContain("factories: first box (kind expired)");
    expect(text).not.toContain("[object Object]");
  });
});
