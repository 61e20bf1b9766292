// Text from elsewhere cannot forge a line of a detail view: a job's title (`"evil\n  stage        shipped"` is a valid
// manifest title, and tracker ingest takes titles from issues anyone files), a factory's result message, a progress
// note or a waiting reason's detail is shown on its own field's line, each run of whitespace with a line break in it as
// one space. Before, `gigafactory job ID` printed a forged "stage  shipped" field above the real "stage  queued".
import { describe, expect, it } from "vitest";
import { renderFields } from "../../src/cli/table.ts";
import { waitingLines } from "../../src/cli/waiting.ts";
import type { WaitingReason } from "../../src/core/waiting-reason.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";
import { jobFixture } from "../support/fixtures.ts";

const AT = Date.UTC(2026, 0, 2, 3, 4, 5);
const FORGED = "\n  stage        shipped\r\n  holder       nobody";

/** The lines of `text` that start as a field named `name` does. */
const fieldLines = (text: string, name: string) => text.split("\n").filter((l) => new RegExp(`^  ${name} +`).test(l));

describe("gigafactory job ID", () => {
  it("keeps a hostile title, result message and progress note on their own lines", async () => {
    const job = {
      ...jobFixture(AT, { id: "job_1", title: `evil${FORGED}` }),
      lastResult: { outcome: "failure" as const, message: `boom${FORGED}` },
      progress: { pct: 5, note: `note${FORGED}` },
      waitingReason: null,
    };
    const { url } = await stubCoordinator((req, reply) =>
      req.url.endsWith("/runs") ? reply.json(200, { runs: [] }) : reply.json(200, job),
    );
    const r = await captureCli(["job", "job_1", ...connection(url, "shop")]);
    expect(r.code).toBe(0);
    expect(fieldLines(r.stdout, "stage")).toEqual(["  stage        queued"]);
    expect(fieldLines(r.stdout, "holder")).toEqual(["  holder       —"]);
    expect(r.stdout.split("\n")[0]).toBe("job_1  evil stage shipped holder nobody");
    expect(r.stdout).toContain("failure: boom stage shipped holder nobody");
  });
});

describe("the shared detail helpers", () => {
  it("renderFields writes one line per field", () => {
    expect(
      renderFields([
        ["a", "x\ny"],
        ["bb", "z\u2028w"],
      ]),
    ).toBe("  a   x y\n  bb  z w");
  });

  it("the waiting block writes one line per detail", () => {
    const reason: WaitingReason = {
      code: "retry_backoff",
      message: `retrying${FORGED}`,
      since: AT,
      detail: { lastResult: { outcome: "failure", message: `m${FORGED}` } },
    };
    const text = waitingLines(reason, AT);
    expect(text.split("\n")).toHaveLength(3);
  });
});
