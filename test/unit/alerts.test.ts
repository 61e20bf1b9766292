// Alerts (core/alerts): deduplicated by kind + subject — a raise refreshes the live alert, a raise after resolution
// opens a new one, a clear resolves it; under any sequence of raises, clears and acks at most one alert per kind +
// subject is live (fast-check); acknowledging a resolved alert is a 409, twice is a no-op.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Alert, type AlertInput, acknowledge, countLive, isLive, raise, resolve } from "../../src/core/alerts.ts";
import { DomainError } from "../../src/core/errors.ts";

const stuck = (message = "no event for 31 min"): AlertInput => ({
  kind: "stuck",
  severity: "warning",
  subject: "job:j1",
  message,
});

let n = 0;
const ids = () => `al_${++n}`;

describe("raise / resolve / acknowledge", () => {
  it("opens an alert, then refreshes it in place while it is live", () => {
    const first = raise(undefined, stuck(), 1_000, ids);
    expect(first.change).toBe("opened");
    expect(first.alert).toMatchObject({ state: "open", openedAt: 1_000, kind: "stuck", subject: "job:j1" });
    expect(raise(first.alert, stuck(), 2_000, ids)).toEqual({ alert: first.alert, change: "unchanged" });
    const again = raise(first.alert, stuck("no event for 45 min"), 3_000, ids);
    expect(again.change).toBe("refreshed");
    expect(again.alert).toMatchObject({ id: first.alert.id, openedAt: 1_000, updatedAt: 3_000 });
  });

  it("refreshes an acknowledged alert without re-opening it", () => {
    const open = raise(undefined, stuck(), 1_000, ids).alert;
    const acked = acknowledge(open, "op", 2_000).alert;
    const again = raise(acked, stuck("worse"), 3_000, ids).alert;
    expect(again).toMatchObject({ id: open.id, state: "acknowledged", acknowledgedBy: "op", message: "worse" });
  });

  it("opens a new alert when the condition comes back after resolution", () => {
    const open = raise(undefined, stuck(), 1_000, ids).alert;
    const done = resolve(open, 2_000);
    expect(done).toMatchObject({ state: "resolved", resolvedAt: 2_000 });
    const next = raise(done, stuck(), 3_000, ids);
    expect(next.change).toBe("opened");
    expect(next.alert.id).not.toBe(open.id);
    expect(resolve(done, 4_000)).toBeUndefined();
  });

  it("refuses to acknowledge a resolved alert (409) and keeps the first acknowledgement", () => {
    const open = raise(undefined, stuck(), 1_000, ids).alert;
    const acked = acknowledge(open, "alice", 2_000).alert;
    expect(acknowledge(acked, "bob", 3_000)).toEqual({ alert: acked, change: "unchanged" });
    const done = resolve(acked, 4_000) as Alert;
    expect(() => acknowledge(done, "bob", 5_000)).toThrow(DomainError);
  });

  it("counts live alerts by severity, resolved ones left out", () => {
    expect(
      countLive([
        { state: "open", severity: "warning" },
        { state: "acknowledged", severity: "critical" },
        { state: "resolved", severity: "critical" },
      ]),
    ).toEqual({ info: 0, warning: 1, critical: 1 });
  });
});

describe("dedupe bound (property)", () => {
  const subject = fc.constantFrom("job:a", "job:b", "factory:f");
  const kind = fc.constantFrom("stuck" as const, "starving" as const);
  const op = fc.oneof(
    fc.record({ op: fc.constant("raise" as const), kind, subject, message: fc.string({ maxLength: 3 }) }),
    fc.record({ op: fc.constant("clear" as const), kind, subject }),
    fc.record({ op: fc.constant("ack" as const), kind, subject }),
  );

  it("keeps at most one live alert per kind + subject, and every clear leaves none", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        // The store as the coordinator keeps it: every alert ever made, the live one found by kind + subject.
        const rows: Alert[] = [];
        const liveOf = (k: string, s: string) => rows.find((a) => a.kind === k && a.subject === s && isLive(a));
        const put = (a: Alert) => {
          const i = rows.findIndex((r) => r.id === a.id);
          if (i >= 0) rows[i] = a;
          else rows.push(a);
        };
        ops.forEach((o, t) => {
          const live = liveOf(o.kind, o.subject);
          if (o.op === "raise") put(raise(live, { ...o, severity: "warning" }, t, ids).alert);
          else if (o.op === "clear") {
            const done = resolve(live, t);
            if (done) put(done);
            expect(liveOf(o.kind, o.subject)).toBeUndefined();
          } else if (live) put(acknowledge(live, "op", t).alert);
          for (const k of ["stuck", "starving"])
            for (const s of ["job:a", "job:b", "factory:f"])
              expect(rows.filter((a) => a.kind === k && a.subject === s && isLive(a)).length).toBeLessThanOrEqual(1);
        });
      }),
    );
  });
});
