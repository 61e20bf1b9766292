// Ctrl-C (SIGINT) during `gigafactory submit` of several files, the real process against a stand-in coordinator that
// holds its answers: the first Ctrl-C sends no more files, waits for the answers on their way, and ends with exit 130
// saying which files were submitted, refused and not sent — one stderr line per outcome, and under --json one
// document {error: {code: "interrupted"}, sent, notSent}. It ended at once, saying nothing, so a user could not tell
// which files to submit again (one without an idempotencyKey, sent twice, makes two jobs). A second Ctrl-C ends at once.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { connection, type StubReply, stubCoordinator } from "../support/cli-harness.ts";
import { startCli as start, untilCli as until } from "../support/cli-process.ts";
import { testTempDir } from "../support/temp-dir.ts";

/** More than the 8 the CLI sends at once, so some are still to send when Ctrl-C comes. */
const FILES = 12;

/** A coordinator that holds each submission until `release`; the manifest titled `bad` is refused 400. */
async function holdingCoordinator() {
  const held: Array<{ title: string; reply: StubReply }> = [];
  const stub = await stubCoordinator((req, reply) => {
    held.push({ title: /title: (\w+)/.exec(req.text)?.[1] ?? "", reply });
  });
  const release = () => {
    for (const { title, reply } of held.splice(0)) {
      if (title === "bad") {
        reply.problem(400, { type: "x", title: "t", status: 400, detail: "line 2: no", code: "invalid_manifest" });
      } else reply.json(201, { id: `job_${title}`, title, stage: "queued" });
    }
  };
  return { stub, held, release };
}

/** FILES manifests, the second titled `bad`; their paths in order. */
function manifests(): string[] {
  const dir = testTempDir("gf-submit-int-");
  return Array.from({ length: FILES }, (_, i) => {
    const file = path.join(dir, `m${i}.md`);
    writeFileSync(file, `---\ntitle: ${i === 1 ? "bad" : `t${i}`}\n---\n`);
    return file;
  });
}

describe("Ctrl-C during submit", () => {
  it("sends no more, waits for the answers on their way, and says per outcome which files went in (exit 130)", async () => {
    const { stub, held, release } = await holdingCoordinator();
    const files = manifests();
    const run = start(["submit", ...files, ...connection(stub.url, "acme")]);
    await until(run, "8 submissions on their way", () => held.length === 8);
    run.child.kill("SIGINT");
    await until(run, "the stop noted", () => run.stderr().includes("Ctrl-C: no more files are sent"));
    expect(run.stderr()).toContain("waiting for the answers for the 8 on their way");
    release();
    const r = await run.exited;
    expect(r.code).toBe(130);
    expect(stub.lines.length).toBe(8); // nothing sent after the Ctrl-C
    const sent = files.slice(0, 8);
    const lines = r.stderr.split("\n");
    expect(lines).toContain(`submitted (7): ${sent.filter((_, i) => i !== 1).join(", ")}`);
    expect(lines).toContain(`failed (1; refused, see its ✘ ERROR line): ${files[1]}`);
    expect(lines).toContain(`not sent (4): ${files.slice(8).join(", ")}`);
    expect(r.stderr).toMatch(/✘ ERROR interrupted: stopped by Ctrl-C after 8 of 12 files were sent \/ submit the 4/);
    expect(r.stdout).toContain("job_t7"); // the table of the jobs that went in
  });

  it("under --json prints one document with both lists: {error, sent, notSent}", async () => {
    const { stub, held, release } = await holdingCoordinator();
    const files = manifests();
    const run = start(["submit", ...files, "--json", ...connection(stub.url, "acme")]);
    await until(run, "8 submissions on their way", () => held.length === 8);
    run.child.kill("SIGINT");
    await until(run, "the stop noted", () => run.stderr().includes("Ctrl-C: no more files are sent"));
    release();
    const r = await run.exited;
    expect(r.code).toBe(130);
    const doc = JSON.parse(r.stdout);
    expect(doc.error).toMatchObject({ code: "interrupted", exitCode: 130 });
    expect(doc.sent).toHaveLength(8);
    expect(doc.sent[0]).toEqual({
      file: files[0],
      result: "created",
      job: { id: "job_t0", title: "t0", stage: "queued" },
    });
    expect(doc.sent[1]).toMatchObject({ file: files[1], error: { code: "invalid_manifest" } });
    expect(doc.notSent).toEqual(files.slice(8));
  });

  it("a second Ctrl-C ends it at once, with the answers still awaited (exit 130)", async () => {
    const { stub, held } = await holdingCoordinator();
    const run = start(["submit", ...manifests(), ...connection(stub.url, "acme")]);
    await until(run, "8 submissions on their way", () => held.length === 8);
    run.child.kill("SIGINT");
    await until(run, "the stop noted", () => run.stderr().includes("Ctrl-C: no more files are sent"));
    run.child.kill("SIGINT");
    const r = await run.exited; // never released: it ends without the answers
    expect(r.code).toBe(130);
    expect(r.stderr).not.toContain("✘ ERROR");
  });
});
