// The "did you mean …?" of every fix line (shared/nearest-name) scales the edits it forgives with the length of the
// word typed, as npm's does (fewer than 0.4 × its length): a one- or two-letter word is never "meant" as another, a
// word of three to five letters is one edit from what it meant, a longer one two (the default cap). Two edits were
// forgiven on any word, so `alerts --all` was told `did you mean "--url"?` — two of its three letters wrong — where no
// suggestion is right.
import { describe, expect, it } from "vitest";
import { GLOBAL_OPTIONS } from "../../src/cli/args.ts";
import { COMMANDS } from "../../src/cli/registry.ts";
import { allowedEdits, editDistance, nearestName } from "../../src/shared/nearest-name.ts";
import { captureCli } from "../support/cli-harness.ts";

/** `alerts`' own options and the global ones (cli/args), the list `alerts --all` is matched against. */
const ALERT_OPTIONS = Object.keys({
  ...GLOBAL_OPTIONS,
  ...COMMANDS.find((c) => c.path.join(" ") === "alerts")?.options,
});
/** The CLI's commands' first words, the list an unknown command is matched against (cli/errors `unknownCommand`). */
const FIRST_WORDS = [...new Set(COMMANDS.map((c) => c.path[0] as string))];

describe("nearestName forgives the edits a word's length can bear", () => {
  it.each([
    // Real misspellings the CLI's own tests and newcomers typed: each still names what was meant.
    ["mnt", ["mint", "list", "revoke"], "mint"],
    ["dya", ["day", "week", "month"], "day"],
    ["opn", ["open", "acknowledged", "resolved"], "open"],
    ["stag", ["stage", "json", "url"], "stage"],
    ["stpo", ["stop", "queue"], "stop"],
    ["jbos", ["jobs", "job", "alerts"], "jobs"],
    ["prodcut", ["product", "engines"], "product"],
    ["resolvd", ["open", "acknowledged", "resolved"], "resolved"],
    ["priorty", ["priority", "stage"], "priority"],
    ["buidlng", ["building", "queued"], "building"],
  ])("%s → %s", (word, candidates, meant) => {
    expect(nearestName(word, candidates)).toBe(meant);
  });

  it.each([
    // Real non-matches, each two edits from a name it was told it meant: `alerts --all` → `--url`, `top` → `job`,
    // `show` and `stop` → `ship` (a job is stopped with `cancel`), `run` (the agent's command) → `--url`.
    ["all", ALERT_OPTIONS],
    ["top", FIRST_WORDS],
    ["show", FIRST_WORDS],
    ["stop", FIRST_WORDS],
    ["run", ALERT_OPTIONS],
  ])("%s means none of the names", (word, candidates) => {
    expect(nearestName(word, candidates)).toBeUndefined();
  });

  it("the edits allowed: none under three letters, one to five, two to seven, and never past the caller's cap", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 12].map((n) => allowedEdits("x".repeat(n)))).toEqual([0, 0, 1, 1, 1, 2, 2, 3, 4]);
    expect(nearestName("acknowldgd", ["acknowledged"])).toBe("acknowledged"); // 2 edits: the default cap
    expect(nearestName("acknwldgd", ["acknowledged"])).toBeUndefined(); // 3 edits: past it
    expect(editDistance("all", "url")).toBe(2);
    expect(nearestName("prodcut", ["product"], 0)).toBeUndefined(); // the caller's cap still binds
  });

  it("`gigafactory alerts --all` names no option rather than --url", async () => {
    const run = await captureCli(["alerts", "--all"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("✘ ERROR usage: Unknown option '--all' / see `gigafactory alerts --help`\n");
    expect((await captureCli(["top"])).stderr).toBe(
      '✘ ERROR usage: unknown command "top" / see `gigafactory --help`\n',
    );
    const near = await captureCli(["alerts", "--stat", "open"]);
    expect(near.stderr).toContain(`Unknown option '--stat'; did you mean "--state"?`);
  });
});
