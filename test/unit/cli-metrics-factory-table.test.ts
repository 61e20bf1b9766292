// `gigafactory metrics`' factory table. Its window is said exactly (cli/number-text `exactDuration`): a window of
// 90 min reads "RUNS 1h 30m" — it was rounded to whole hours ("RUNS 2h") — 24 h still "RUNS 24h", and an older
// coordinator's answer without the window reads "RUNS", not "RUNS NaNh". Two factories of one name are told apart: a
// host revoked and enrolled again under its name is two factories, the revoked one listed while a run of it ended in
// the window, and the table read "box-2" twice with two different counts — each such row now carries its id; a name
// no other row has stays alone. The breakers table names a breaker's factory the same way (it printed bare ids), its
// id where the answer lists no such factory.
import { describe, expect, it } from "vitest";
import { formatMetrics } from "../../src/cli/commands/metrics.ts";
import { exactDuration } from "../../src/cli/number-text.ts";
import { metricsFixture } from "../support/fixtures.ts";

const rate = (id: string, name: string, runs: number, successes: number) => ({
  id,
  name,
  runs,
  successes,
  successRate: runs ? successes / runs : 0,
});

/** A metrics answer with `factories` rated over `factoryWindowMs` (left out when undefined, as an older one). */
const metrics = (factoryWindowMs: number | undefined, factories = [rate("f1", "box-a", 3, 2)]) =>
  metricsFixture({ factoryWindowMs, factories });

const header = (text: string) =>
  text
    .split("\n")
    .find((l) => l.startsWith("FACTORY"))
    ?.replace(/\s+/g, " ");

describe("metrics' factory window", () => {
  it("is said exactly: 90 min is 1h 30m, neither 2h nor 1h; 24 h is 24h", () => {
    expect(header(formatMetrics(metrics(90 * 60_000)))).toBe("FACTORY RUNS 1h 30m OK SUCCESS");
    expect(header(formatMetrics(metrics(86_400_000)))).toBe("FACTORY RUNS 24h OK SUCCESS");
    expect(header(formatMetrics(metrics(30 * 60_000)))).toBe("FACTORY RUNS 30m OK SUCCESS");
  });

  it("is left out when the answer has none (an older coordinator), never NaN", () => {
    expect(header(formatMetrics(metrics(undefined)))).toBe("FACTORY RUNS OK SUCCESS");
  });

  it("exactDuration keeps every part and rounds only to the whole ms", () => {
    expect(exactDuration(0)).toBe("0ms");
    expect(exactDuration(90_500)).toBe("1m 30s 500ms");
    expect(exactDuration(36 * 3_600_000 + 1)).toBe("36h 1ms");
    expect(exactDuration(1.4)).toBe("1ms");
    for (const none of [Number.NaN, -1, Number.POSITIVE_INFINITY]) expect(exactDuration(none)).toBe("");
  });
});

describe("metrics' factory rows", () => {
  it("name a shared name's factories by id too, and leave a unique name alone", () => {
    const shared = [rate("fac_old", "box-2", 4, 1), rate("fac_new", "box-2", 3, 3), rate("fac_a", "box-a", 2, 2)];
    const rows = formatMetrics(metrics(86_400_000, shared))
      .split("\n")
      .filter((l) => l.startsWith("box-"))
      .map((l) => l.replace(/\s+/g, " "));
    expect(rows).toEqual(["box-2 (fac_old) 4 1 25%", "box-2 (fac_new) 3 3 100%", "box-a 2 2 100%"]);
  });

  it("name a breaker's factory as the factory table does, and its id where the answer lists none", () => {
    const breaker = (factoryId: string) => ({
      factoryId,
      engine: "sample",
      state: "open",
      consecutiveFailures: 2,
      openUntil: Date.UTC(2026, 0, 2, 3, 4, 5),
    });
    const shared = [rate("fac_old", "box-2", 4, 1), rate("fac_new", "box-2", 3, 3), rate("fac_a", "box-a", 2, 2)];
    const text = formatMetrics(
      metricsFixture({
        factoryWindowMs: 86_400_000,
        factories: shared,
        breakers: [breaker("fac_a"), breaker("fac_new"), breaker("fac_gone")],
      }),
    );
    const rows = text
      .split("\n")
      .filter((l) => l.includes(" sample "))
      .map((l) => l.split(/\s{2,}/)[0]);
    expect(rows).toEqual(["box-a", "box-2 (fac_new)", "fac_gone"]);
  });
});
