// The dashboard's "Why is it waiting?" panel (dashboard/waiting.js): a detail record with no name or id — a failed
// job's lastResult — reads by its outcome, never "?", and the panel leaves lastResult out because the job page shows
// it already as "Last result"; a job only a capability awaiting approval could run is headed so, with the factory
// and what to approve on it. Every code of src/core/waiting-reason.ts has a heading of its own words, so a code added
// there without one fails here rather than showing the bare code. Every detail key the core writes is drawn in words
// (a composite's page showed "BYSTAGE testing 2": its raw key, set in capitals by the stylesheet, and the counts as a
// record's fields), and a key the page does not know reads as its words, not the raw key. A retry's `retryAt` and
// `keptUntil` read as dates under labels of their own (keptUntil read as epoch ms); so does a frozen serial key that
// a paused budget's wait names after it (`serialKeyFrozen`: the key, and when it froze as a date). A budget pause
// reads in words — who paused, "$0.058 spent of $0.03 per day" and when the period ends as a date — on its own or named
// after another wait (it dumped "paused by exhausted, spent usd 0.058394, ceiling usd 0.03, period day"), and an
// instant in the message reads as the page's other times do (it mixed "12/7/26, 3:01:38 AM" with ISO).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { when } from "../../dashboard/format.js";
import {
  detailRows,
  keyLabel,
  reasonHeading,
  valueText,
  waitingHeading,
  // @ts-expect-error plain browser JavaScript, typed by JSDoc only
} from "../../dashboard/waiting.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { localInstants } from "../../dashboard/waiting-budget.js";
import { alsoPaused, budgetPausedWords } from "../../src/core/budget-pause.ts";
import { WAITING_CODES } from "../../src/core/waiting-reason.ts";

/**
 * Every key src/core/waiting.ts, waiting-queued.ts, waiting-fleet.ts, waiting-backoff.ts and waiting-excluded.ts put
 * in a reason's detail (`named` adds factories, factoryCount).
 */
const CORE_KEYS = [
  "ancestorId",
  "until",
  "retryAt",
  "keptUntil",
  "lastRefusal",
  "attempt",
  "maxAttempts",
  "factoryId",
  "factoryName",
  "depId",
  "depStage",
  "deps",
  "mode",
  "waitingOn",
  "done",
  "total",
  "byStage",
  "required",
  "approvals",
  "approvedBy",
  "lastResult",
  "serialKey",
  "frozenAt",
  "holder",
  "stopping",
  "requires",
  "missing",
  "closest",
  "pendingApproval",
  "factories",
  "factoryCount",
  "left",
  "leftCount",
  "excluded",
  "revoked",
  "engine",
  "overflow",
  "preemptedBy",
  "waitingFor",
];
const CORE_TEXT = ["waiting.ts", "waiting-queued.ts", "waiting-fleet.ts", "waiting-backoff.ts", "waiting-excluded.ts"]
  .map((f) => readFileSync(new URL(`../../src/core/${f}`, import.meta.url), "utf8"))
  .join("\n");

const lastResult = { outcome: "budget_exceeded", retryable: false, message: "over budget" };

describe("dashboard waiting panel", () => {
  it("heads every waiting code in words, never the bare code", () => {
    const bare = WAITING_CODES.filter((code) => !/^[A-Z][a-z ]+[a-z]$/.test(waitingHeading(code)));
    expect(bare).toEqual([]);
  });

  it("labels a record without name or id by its outcome, or by its fields alone", () => {
    expect(valueText("lastResult", lastResult)).toBe("budget_exceeded (retryable false, message over budget)");
    expect(valueText("x", { retryable: true })).toBe("retryable true");
    expect(valueText("factories", [{ id: "fac_1", name: "box-1", kind: "expired" }])).toBe("box-1 (kind expired)");
  });

  it("heads a reason awaiting a capability's approval so, and names the factory and the capability", () => {
    const pendingApproval = [{ id: "fac_7", name: "box-7", capabilities: ["engine:triv"] }];
    const reason = {
      code: "no_capable_factory",
      message: "waiting for an operator to approve engine:triv on box-7 — run `gigafactory factory approve fac_7`",
      since: 0,
      detail: { requires: ["engine:triv"], missing: ["engine:triv"], pendingApproval },
    };
    expect(reasonHeading(reason)).toBe("Capability awaiting approval");
    expect(detailRows(reason).at(-1)).toEqual([
      "pendingApproval",
      "Awaiting approval on",
      "box-7 (capabilities engine:triv)",
    ]);
    expect(reasonHeading({ ...reason, detail: { missing: ["gpu"] } })).toBe("No capable factory");
  });

  it("does not repeat the job page's Last result", () => {
    const reason = { code: "needs_operator", message: "failed", since: 0, detail: { lastResult, depId: "a" } };
    expect(detailRows(reason)).toEqual([["depId", "Failed dependency", "a"]]);
  });

  it("draws every detail key the core writes under a label in words", () => {
    // The list is the core's: each key is one its waiting sources write (a key renamed there fails here).
    const absent = CORE_KEYS.filter((k) => !new RegExp(`\\b${k}\\b`).test(CORE_TEXT));
    expect(absent).toEqual([]);
    const detail = Object.fromEntries(CORE_KEYS.map((k) => [k, 1]));
    const raw = detailRows({ code: "preempted", message: "m", since: 0, detail }).filter(
      ([k, label]: [string, string]) => label === k || !/^[A-Z][a-z]/.test(label),
    );
    expect(raw).toEqual([]);
  });

  it("draws a retry's end and what keeps it after as dates, under their own labels", () => {
    const at = Date.UTC(2026, 11, 5, 12, 0, 0);
    const reason = { code: "retry_backoff", message: "m", since: 0, detail: { until: at, keptUntil: at + 60_000 } };
    expect(detailRows(reason)).toEqual([
      ["until", "Until", when(at)],
      ["keptUntil", "Then kept from a factory until", when(at + 60_000)],
    ]);
    const down = { code: "no_factory_connected", message: "m", since: 0, detail: { retryAt: at } };
    expect(detailRows(down)).toEqual([["retryAt", "Retries after its backoff, at", when(at)]]);
  });

  it("counts a composite's children by stage in words, and says what a serial key's holder is stopping", () => {
    const reason = {
      code: "children_running",
      message: "waiting for its children: 1 of 3 done",
      since: 0,
      detail: { done: 1, total: 3, byStage: { testing: 2, shipped: 1 } },
    };
    expect(detailRows(reason)).toEqual([
      ["done", "Children done", "1"],
      ["total", "Children in all", "3"],
      ["byStage", "Children by stage", "2 in testing, 1 in shipped"],
    ]);
    const until = Date.UTC(2026, 11, 5, 12, 0, 0);
    const held = {
      code: "preempted",
      message: "m",
      since: 0,
      detail: {
        waitingFor: "serial_key_held",
        mode: "any",
        stopping: { jobId: "j1", factoryId: "fac_1", leaseEpoch: 3, until },
      },
    };
    const rows = detailRows(held);
    expect(rows[0]).toEqual(["waitingFor", "Then waiting for", "Serial key held"]);
    expect(rows[1]).toEqual(["mode", "Dependencies needed", "any one of them must ship"]);
    expect(rows[2]?.[2]).toMatch(/^job j1 on factory fac_1 \(lease epoch 3\), stopped by .+ at the latest$/);
  });

  it("draws a frozen key named after a budget pause: the key, and when it froze as a date", () => {
    const at = Date.UTC(2026, 11, 5, 12, 0, 0);
    const detail = { pausedBy: "operator", serialKeyFrozen: { serialKey: "repo-a", frozenAt: at } };
    const rows = detailRows({ code: "budget_paused", message: "m", since: 0, detail });
    expect(rows[1]).toEqual(["serialKeyFrozen", "Serial key frozen", `serial key repo-a, frozen at ${when(at)}`]);
  });

  it("draws a key it does not know, and a record's fields, as words", () => {
    expect(keyLabel("byStageNext")).toBe("By stage next");
    expect(keyLabel("some_new_key")).toBe("Some new key");
    const rows = detailRows({
      code: "x",
      message: "m",
      since: 0,
      detail: { queueDepth: 4, oddThing: { leaseEpoch: 2 } },
    });
    expect(rows).toEqual([
      ["queueDepth", "Queue depth", "4"],
      ["oddThing", "Odd thing", "lease epoch 2"],
    ]);
  });

  it("draws a budget pause in words, alone or after another wait, and its message's instants as the page's dates", () => {
    const periodEnd = Date.UTC(2026, 11, 8);
    const pause = {
      pausedBy: "exhausted",
      exhausted: true,
      period: "day",
      spentUsd: 0.058394,
      ceilingUsd: 0.03,
      periodEnd,
    };
    const own = budgetPausedWords(pause as Parameters<typeof budgetPausedWords>[0]);
    const rows = new Map(detailRows({ code: "budget_paused", detail: own.detail }).map(([, l, t]: string[]) => [l, t]));
    expect(rows.get("Paused by")).toBe("the budget running out");
    // As the message words the pair (usd.js spendTexts): "$0.06" here beside "$0.058 spent of $0.03" read otherwise.
    expect(rows.get("Spent this period")).toBe("$0.058");
    expect(rows.get("Ceiling")).toBe("$0.03");
    expect(rows.get("Budget period")).toBe("day");
    expect(rows.get("Period ends")).toBe(when(periodEnd));
    const fleet = {
      code: "no_capable_factory" as const,
      message: "no factory",
      since: 0,
      detail: { missing: ["gpu"] },
    };
    const both = alsoPaused(fleet, {
      code: "budget_paused" as const,
      message: own.message,
      since: 0,
      detail: own.detail,
    });
    const [, label, text] = detailRows(both).find(([k]: string[]) => k === "budgetPaused") ?? [];
    expect(label).toBe("Budget paused too");
    expect(text).toBe(`by the budget running out: $0.058 spent of $0.03 per day; the day ends ${when(periodEnd)}`);
    expect(own.message).toMatch(/2026-12-08T00:00/);
    expect(localInstants(own.message)).not.toMatch(/\d{4}-\d\d-\d\dT/);
    expect(localInstants(own.message)).toContain(when(periodEnd));
  });
});
