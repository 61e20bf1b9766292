// Words meant for people say an instant to the second (core/waiting-commands `instantWords`, `…:54Z`), as the CLI
// prints instants (cli/table `formatInstant`): a breaker's "half-open since …54.262Z" and "open until …", a purged
// feed's "ended on …" carried milliseconds no one reads. The whole kind, by a scan of src/: every `toISOString()`
// is cut to the second, or is an identifier or a machine's stamp named here with why (an alert's subject keys its
// dedup: changing it would open a second alert for the same budget period).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { instantWords } from "../../src/core/waiting-commands.ts";
import { halfOpenMessage } from "../../src/durable-objects/coordinator/policies/breaker-alerts.ts";

const NOW = Date.UTC(2026, 11, 6, 18, 39, 54, 262);

/** `toISOString()` kept whole on purpose: file → why. */
const WHOLE: Record<string, string> = {
  "src/agent/output.ts": "the agent's log line stamp: a machine's record, ms order runs apart",
  "src/worker/routes/system.ts": "the health probe's JSON `at` field, read by monitors, not people",
  "src/durable-objects/coordinator/policies/budget-stop.ts": "the budget alert's subject: its dedup key",
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

describe("instants in words for people", () => {
  it("a half-open breaker's alert says its instant to the second", () => {
    const m = halfOpenMessage("claude", "box (fac_1)", NOW);
    expect(m).toContain(`half-open since ${instantWords(NOW)}:`);
    expect(m).toContain("2026-12-06T18:39:54Z");
    expect(m).not.toContain(".262");
  });

  it("every other toISOString() in src/ is cut to the second", () => {
    const whole: string[] = [];
    for (const file of sources("src")) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/toISOString\(\)(\.slice\(0, 19\))?/g)) {
        if (m[1] === undefined && !(file in WHOLE)) whole.push(file);
      }
    }
    expect(whole).toEqual([]);
  });
});
