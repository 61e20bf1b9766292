// `gigafactory history` over a real local socket: a page that has more ends with the `--cursor` of the next; the
// last page of a browse ends with the `--cursor` that shows what reaches D1 later (a late row, a run's outcome) —
// without it a reader had no way on from the end but to read it all again — and an empty page read with that cursor
// says nothing has landed yet and gives the same cursor back. Each line keeps the filter (`--job`) it was read with.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const NOW = 1_700_000_060_000;
const RUN = {
  id: "p:j1:e1",
  productId: "p",
  jobId: "j1",
  attempt: 1,
  factoryId: "f",
  leaseEpoch: 1,
  engine: null,
  startedAt: NOW - 60_000,
  endedAt: null,
  outcome: null,
  rc: null,
  message: null,
  tokensIn: null,
  tokensOut: null,
  costUsd: null,
  ingestSeq: 4,
};

describe("gigafactory history", () => {
  it("ends a page with the cursor of the next, the last one with the cursor that follows what lands later", async () => {
    const { url, lines } = await stubCoordinator(({ url }, reply) => {
      if (url.includes("cursor=FOLLOW"))
        return reply.json(200, { kind: "runs", items: [], more: false, nextCursor: "FOLLOW" });
      if (url.includes("cursor=NEXT"))
        return reply.json(200, { kind: "runs", items: [RUN], more: false, nextCursor: "FOLLOW" });
      return reply.json(200, { kind: "runs", items: [RUN], more: true, nextCursor: "NEXT" });
    });
    const cli = (...argv: string[]) => captureCli([...argv, ...connection(url, "p")], { now: NOW });
    const first = await cli("history", "--kind", "runs", "--job", "j1", "--limit", "1");
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/j1\s+1\s+f\s+1\s+running/);
    expect(first.stdout.trim().split("\n").at(-1)).toBe("more: history --kind runs --job j1 --cursor NEXT");
    const last = await cli("history", "--kind", "runs", "--job", "j1", "--cursor", "NEXT");
    expect(last.stdout.trim().split("\n").at(-1)).toBe("later: history --kind runs --job j1 --cursor FOLLOW");
    const empty = await cli("history", "--kind", "runs", "--cursor", "FOLLOW");
    expect(empty.stdout.trim().split("\n")).toEqual([
      "no runs history after that cursor yet",
      "later: history --kind runs --cursor FOLLOW",
    ]);
    // Beside the fleet list that names a run's factory (cli/factory-names): every other read is a page of history.
    const reads = lines.filter((l) => !l.startsWith("GET /api/v1/products/p/factories"));
    expect(reads.every((l) => l.startsWith("GET /api/v1/products/p/history?"))).toBe(true);
  });
});
