// Ctrl-C (SIGINT) during a job action on several ids (`gigafactory ship ID…`, `cancel -`), the real process against a
// stand-in coordinator that holds its answers: the first Ctrl-C tries no further job, waits for the answers on their
// way, prints each job's line and the tally so far (`✔ 7 shipped, ✘ 1 refused, 4 not tried`), names the not-tried
// ids, and ends with exit 130 (`✘ ERROR interrupted`); under --json one document {error, tried, notTried}. It ended at
// once, saying nothing, so which of 56 piped ids had shipped was left to guess. A second Ctrl-C ends at once.
import { describe, expect, it } from "vitest";
import { connection, type StubReply, stubCoordinator } from "../support/cli-harness.ts";
import { startCli, untilCli } from "../support/cli-process.ts";

/** More than the 8 the CLI sends at once, so some are still to try when Ctrl-C comes; job_1 is refused. */
const IDS = Array.from({ length: 12 }, (_, i) => (i === 1 ? "job_bad" : `job_${i}`));

/** A coordinator that holds each action until `release`; job_bad is refused 409. */
async function holdingCoordinator() {
  const held: Array<{ id: string; reply: StubReply }> = [];
  const stub = await stubCoordinator((req, reply) => {
    held.push({ id: /\/jobs\/([^/]+)\/actions\//.exec(req.url)?.[1] ?? "", reply });
  });
  const release = () => {
    for (const { id, reply } of held.splice(0)) {
      if (id !== "job_bad") reply.json(200, { id, stage: "shipped" });
      else reply.problem(409, { title: "Conflict", detail: "cannot ship a job in queued", code: "invalid_transition" });
    }
  };
  return { stub, held, release };
}

describe("Ctrl-C during a job action on several ids", () => {
  it("tries no more, waits for the answers on their way, and prints the tally and the ids not tried (exit 130)", async () => {
    const { stub, held, release } = await holdingCoordinator();
    const run = startCli(["ship", ...IDS, ...connection(stub.url, "acme")]);
    await untilCli(run, "8 actions on their way", () => held.length === 8);
    run.child.kill("SIGINT");
    await untilCli(run, "the stop noted", () => run.stderr().includes("Ctrl-C: no more jobs are tried"));
    expect(run.stderr()).toContain("waiting for the answers for the 8 jobs on their way (");
    release();
    const r = await run.exited;
    expect(r.code).toBe(130);
    expect(stub.lines.length).toBe(8); // nothing sent after the Ctrl-C
    const out = r.stdout.trim().split("\n");
    expect(out).toContain("✔ ship: job job_7 is now shipped");
    expect(out.at(-1)).toBe("✔ 7 shipped, ✘ 1 refused, 4 not tried");
    const lines = r.stderr.split("\n");
    expect(lines).toContain(`not tried (4): ${IDS.slice(8).join(", ")}`);
    expect(r.stderr).toMatch(/^✘ ERROR invalid_transition: job job_bad: cannot ship a job in queued/m);
    expect(r.stderr).toMatch(
      /^✘ ERROR interrupted: stopped by Ctrl-C after 8 of 12 jobs were tried \/ run `gigafactory ship` again on the 4 jobs not tried/m,
    );
  });

  it("under --json, with the ids from standard input, prints one document {error, tried, notTried}", async () => {
    const { stub, held, release } = await holdingCoordinator();
    const run = startCli(["ship", "-", "--json", ...connection(stub.url, "acme")], `${IDS.join("\n")}\n`);
    await untilCli(run, "8 actions on their way", () => held.length === 8);
    run.child.kill("SIGINT");
    await untilCli(run, "the stop noted", () => run.stderr().includes("Ctrl-C: no more jobs are tried"));
    release();
    const r = await run.exited;
    expect(r.code).toBe(130);
    const doc = JSON.parse(r.stdout);
    expect(doc.error).toMatchObject({ code: "interrupted", exitCode: 130 });
    expect(doc.tried).toHaveLength(8);
    expect(doc.tried[0]).toEqual({ id: "job_0", job: { id: "job_0", stage: "shipped" } });
    expect(doc.tried[1]).toMatchObject({ id: "job_bad", error: { code: "invalid_transition" } });
    expect(doc.notTried).toEqual(IDS.slice(8));
  });

  it("a second Ctrl-C ends it at once, with the answers still awaited (exit 130)", async () => {
    const { stub, held } = await holdingCoordinator();
    const run = startCli(["cancel", ...IDS, ...connection(stub.url, "acme")]);
    await untilCli(run, "8 actions on their way", () => held.length === 8);
    run.child.kill("SIGINT");
    await untilCli(run, "the stop noted", () => run.stderr().includes("Ctrl-C: no more jobs are tried"));
    run.child.kill("SIGINT");
    const r = await run.exited; // never released: it ends without the answers
    expect(r.code).toBe(130);
    expect(r.stderr).not.toContain("✘ ERROR");
  });
});
