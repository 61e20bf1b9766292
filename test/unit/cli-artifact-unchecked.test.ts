// `gigafactory artifact ID NAME` checks the bytes against the SHA-256 the coordinator recorded; an answer without
// that digest (a proxy that drops `x-content-sha256`, a server that is no coordinator) was not checked, yet -o FILE
// printed "✔ … (sha256 …, checked)". It now says "not checked" on that line, and on stderr for every download (to
// stdout, and under --json, whose document says `checked: false` — a script cannot see stderr's ⚠, and took
// unchecked bytes for verified ones); a download with the digest still says "checked" (`checked: true`).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const BYTES = "line 1\n";
const SHA = createHash("sha256").update(BYTES).digest("hex");

const coordinator = (digest: boolean) =>
  stubCoordinator((_req, reply) => reply.text(200, BYTES, "text/plain", digest ? { "x-content-sha256": SHA } : {}));

describe("an artifact download", () => {
  it("without a recorded digest says it was not checked, wherever the bytes go", async () => {
    const { url } = await coordinator(false);
    const file = join(testTempDir("gf-unchecked-"), "run.log");
    const saved = await captureCli(["artifact", "job_1", "run.log", "-o", file, ...connection(url, "p")]);
    expect(saved.code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(BYTES);
    expect(saved.stdout).toMatch(/^⚠ run\.log: 7 bytes written to .+ \(sha256 [0-9a-f]{12}, not checked\)\n$/);
    expect(saved.stderr).toContain("⚠ run.log: not checked — the answer carried no x-content-sha256");
    const piped = await captureCli(["artifact", "job_1", "run.log", ...connection(url, "p")]);
    expect({ stdout: piped.stdout, code: piped.code }).toEqual({ stdout: BYTES, code: 0 });
    expect(piped.stderr).toContain("not checked");
    const json = await captureCli(["artifact", "job_1", "run.log", "-o", file, "--json", ...connection(url, "p")]);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: "run.log", sha256: SHA, checked: false });
    expect(json.stderr).toContain("not checked");
  });

  it("with the digest says checked, and nothing on stderr", async () => {
    const { url } = await coordinator(true);
    const file = join(testTempDir("gf-checked-"), "run.log");
    const saved = await captureCli(["artifact", "job_1", "run.log", "-o", file, ...connection(url, "p")]);
    expect(saved.code).toBe(0);
    expect(saved.stdout).toMatch(/, checked\)\n$/);
    expect(saved.stderr).toBe("");
    const json = await captureCli(["artifact", "job_1", "run.log", "-o", file, "--json", ...connection(url, "p")]);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: "run.log", sha256: SHA, checked: true });
    expect(json.stderr).toBe("");
  });
});
