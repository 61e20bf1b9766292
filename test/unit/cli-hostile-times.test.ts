// An instant in a server's answer that no Date holds (past ±8.64e15 ms — JSON carries 1e300 as readily as a real
// time) is shown as "not a time (…)" by every read command that prints instants, exit 0: `toISOString` threw
// RangeError and `job`, `history` and `dead-letters` failed `✘ ERROR internal: Invalid time value / this is a CLI
// bug`; the feed's clock printed "NaN:NaN:NaN". A duration that is no number reads "—", never "NaNd"; a job's USD
// budget is shown as every other amount is ($0.10, not "$0.1").
import { describe, expect, it } from "vitest";
import { renderJob } from "../../src/cli/commands/job.ts";
import { formatClock, formatDuration, formatInstant } from "../../src/cli/table.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";
import { jobFixture } from "../support/fixtures.ts";

const FAR = 1e300;
const AT = Date.UTC(2026, 0, 2, 3, 4, 5);

describe("the time helpers", () => {
  it("show a number no Date holds as such, never throwing or printing NaN", () => {
    expect(formatInstant(FAR)).toBe("not a time (1e+300)");
    expect(formatInstant(8.64e15 + 1)).toBe("not a time (8640000000000001)");
    expect(formatInstant(AT)).toBe("2026-01-02T03:04:05Z");
    expect(formatClock(FAR)).toBe("--:--:--");
    expect(formatDuration(Number.NaN)).toBe("—");
    expect(formatDuration(90_000)).toBe("1m");
  });
});

describe("read commands fed such an instant", () => {
  it("job, history and dead-letters print it and exit 0", async () => {
    const job = { ...jobFixture(AT, { id: "job_1", createdAt: FAR }), waitingReason: null };
    const runs = [{ jobId: "job_1", attempt: 1, factoryId: "f1", leaseEpoch: 1, startedAt: FAR }];
    const { url } = await stubCoordinator((req, reply) => {
      const path = new URL(req.url, "http://x").pathname;
      if (path.endsWith("/runs")) reply.json(200, { runs });
      else if (path.endsWith("/jobs/job_1")) reply.json(200, job);
      else if (path.endsWith("/history")) reply.json(200, { kind: "snapshots", items: [{ at: FAR }], more: false });
      else reply.json(200, { items: [{ id: "d1", source: "queue:x", reason: "r", attempts: 1, at: FAR }] });
    });
    for (const argv of [["job", "job_1"], ["history"], ["dead-letters"]]) {
      const r = await captureCli([...argv, ...connection(url, "shop")]);
      expect({ argv, code: r.code, stderr: r.stderr }).toEqual({ argv, code: 0, stderr: "" });
      expect(r.stdout).toContain("not a time (1e+300)");
      expect(r.stdout).not.toMatch(/NaN|undefined|Invalid/);
    }
  });
});

describe("a job's USD budget", () => {
  it("reads as every other amount does", () => {
    const text = renderJob(jobFixture(AT, { budget: { usd: 0.1 } }), [], AT);
    expect(text).toMatch(/budget\s+\$0\.10\n/);
  });
});
