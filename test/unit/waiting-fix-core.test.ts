// The fix a waiting reason carries on the wire (core/waiting-fix `withWaitingFix`) is the one rule the CLI's "fix:"
// lines and the dashboard's job page read: a job no factory can run is told how to add what it lacks (enroll a host
// with it, or declare it on the closest one and approve it); one in review, the approve/reject commands with its id;
// one held by a breaker, the operator's reset of it (the factory's id when one holds it, `'*'` quoted for the
// default engine, `ID` and "for each" when several do); a reason whose message names its command already, or one awaiting an approval, carries none; no reason stays none.
import { describe, expect, it } from "vitest";
import { waitingFix, withWaitingFix } from "../../src/core/waiting-fix.ts";
import type { WaitingReason } from "../../src/core/waiting-reason.ts";

const NOW = 1_700_000_000_000;
const reason = (code: WaitingReason["code"], detail: Record<string, unknown> = {}): WaitingReason => ({
  code,
  message: "m",
  since: NOW,
  detail,
});

describe("withWaitingFix", () => {
  it("gives no_capable_factory the capability to add and how", () => {
    const r = withWaitingFix(
      reason("no_capable_factory", { requires: ["cuda"], missing: ["cuda"], enrolled: 0 }),
      "j1",
    );
    expect(r?.fix).toMatch(/^enroll a host that has cuda: `gigafactory enroll NAME --cap cuda`/);
    const closest = { id: "fac_1", name: "box-1", missing: ["gpu"] };
    const near = withWaitingFix(reason("no_capable_factory", { requires: ["gpu"], missing: ["gpu"], closest }), "j1");
    expect(near?.fix).toContain("if box-1 has gpu, restart its agent with `gigafactory-agent run --cap gpu`");
    expect(near?.fix).toContain("`gigafactory factory approve fac_1`");
  });

  it("names the review commands with the job's id", () => {
    expect(withWaitingFix(reason("review_pending"), "job_7")?.fix).toBe(waitingFix(reason("review_pending"), "job_7"));
    expect(withWaitingFix(reason("review_pending"), "job_7")?.fix).toContain("`gigafactory review approve job_7`");
  });

  it("adds none where the message says what to do, and keeps null", () => {
    const pending = reason("no_capable_factory", {
      requires: ["gpu"],
      missing: ["gpu"],
      pendingApproval: [{ id: "f", name: "f", capabilities: ["gpu"] }],
    });
    expect(withWaitingFix(pending, "j1")).toEqual(pending);
    expect(withWaitingFix(reason("all_seats_busy"), "j1")).toEqual(reason("all_seats_busy"));
    expect(withWaitingFix(null, "j1")).toBeNull();
  });

  it("tells breaker_open the operator's reset: its factory and engine, the default engine quoted", () => {
    const one = { engine: "claude", factories: [{ id: "fac_1", name: "box-1" }], factoryCount: 1 };
    expect(withWaitingFix(reason("breaker_open", one), "j1")?.fix).toBe(
      "once engine claude works again on box-1 (its login renewed, a rate limit lifted), an operator closes the " +
        "breaker now: `gigafactory factory breaker-reset fac_1 claude`",
    );
    const byDefault = { ...one, engine: "*" };
    expect(waitingFix(reason("breaker_open", byDefault))).toContain(
      "once the default engine works again on box-1 (its login renewed, a rate limit lifted), an operator closes the breaker now: `gigafactory factory breaker-reset fac_1 '*'`",
    );
    const two = {
      engine: "claude",
      factories: [
        { id: "fac_1", name: "a" },
        { id: "fac_2", name: "b" },
      ],
      factoryCount: 2,
    };
    expect(waitingFix(reason("breaker_open", two))).toMatch(
      /on a factory .*`gigafactory factory breaker-reset ID claude` for each factory that holds it$/,
    );
  });
});
