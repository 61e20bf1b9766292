// A refused review prints `✘ ERROR conflict: … / …` with a fix that leads somewhere: a verdict fenced to a round the
// job has left (requeued and rebuilt since) says to read its reviews again and look at the current build, and a
// second approval from one token says an approval counts once per token and that the next must come from another —
// over `review approve` and the legacy `approve` alike. The generic "inspect it and retry" retried the same verdict,
// refused the same way. A conflict that is not a review's keeps the generic advice.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const ROUND = {
  type: "about:blank",
  title: "Conflict",
  code: "conflict",
  detail: "job J1 was requeued since the review round you read (7; it is now 9): read its reviews again",
  jobId: "J1",
  round: 7,
  currentRound: 9,
};
const TWICE = {
  type: "about:blank",
  title: "Conflict",
  code: "conflict",
  detail: "alice has already approved job J1",
  jobId: "J1",
  reviewer: "tok_1",
};

async function refusedWith(doc: Record<string, unknown>, argv: string[]): Promise<string> {
  const stub = await stubCoordinator((_req, reply) => reply.problem(409, doc));
  const r = await captureCli([...argv, ...connection(stub.url, "shop")]);
  expect(r.code).toBe(1);
  return r.stderr;
}

describe("a refused review's ✘ ERROR line says what to do next", () => {
  it("a stale round: read the reviews again, then review the build now in review", async () => {
    for (const argv of [
      ["review", "approve", "J1", "--round", "7"],
      ["approve", "J1", "--round", "7"],
    ]) {
      const err = await refusedWith(ROUND, argv);
      expect(err).toMatch(/^✘ ERROR conflict: job J1 was requeued since the review round you read/);
      expect(err).toContain("/ read its reviews again (`gigafactory reviews J1`)");
      expect(err).not.toContain("inspect it and retry");
    }
  });

  it("a second approval from one token: it counts once, the next must come from another token", async () => {
    for (const argv of [
      ["review", "approve", "J1"],
      ["approve", "J1"],
    ]) {
      const err = await refusedWith(TWICE, argv);
      expect(err).toMatch(/^✘ ERROR conflict: alice has already approved job J1 \/ an approval counts once per token/);
      expect(err).toContain("`gigafactory reviews J1`");
    }
  });

  it("another conflict keeps the generic advice", async () => {
    const err = await refusedWith({ type: "about:blank", title: "Conflict", code: "conflict", detail: "busy" }, [
      "cancel",
      "J1",
    ]);
    expect(err).toMatch(/^✘ ERROR conflict: busy \/ the target is in a state that forbids this/);
  });
});
