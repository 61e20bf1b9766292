// `gigafactory jobs --cursor C` reads the page after an earlier one, as `history` and `dead-letters` do: the
// `nextCursor` that `jobs --json` prints, and the "more jobs" hint now names, leads somewhere. Before, the only way past
// the API's 500-job page was `--all` (every job in memory), and the hint said "a larger --limit". A cursor is a
// position only, so the hints of `jobs --stage` and `dead-letters --since` carry the filter: the command they print
// (`--cursor C` alone) listed the next page of every stage, and dead letters older than `--since`. `jobs --help` names
// --cursor, and the page size --all reads at (500: it said only "default 50").
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const job = (n: number) => ({
  id: `job_${n}`,
  title: `t${n}`,
  stage: "queued",
  priority: "medium",
  attempt: 0,
  maxAttempts: 3,
  createdAt: 0,
});

describe("gigafactory jobs --cursor", () => {
  it("asks for the page after the cursor, and the hint names the next one", async () => {
    const stub = await stubCoordinator((req, reply) => {
      const cursor = new URL(req.url, "http://x").searchParams.get("cursor");
      reply.json(200, cursor === "c1" ? { jobs: [job(2)] } : { jobs: [job(1)], nextCursor: "c1" });
    });
    const first = await captureCli(["jobs", "--limit", "1", ...connection(stub.url, "shop")]);
    expect(first.code).toBe(0);
    expect(first.stderr).toBe("… more jobs: pass --all, or --cursor c1\n");
    const next = await captureCli([
      "jobs",
      "--limit",
      "1",
      "--cursor",
      "c1",
      "--json",
      ...connection(stub.url, "shop"),
    ]);
    expect(next.code).toBe(0);
    expect(JSON.parse(next.stdout)).toMatchObject({ jobs: [{ id: "job_2" }], nextCursor: null });
    expect(stub.lines.at(-1)).toBe("GET /api/v1/products/shop/jobs?limit=1&cursor=c1");
  });
});

describe("the 'more' hint of a filtered list", () => {
  it("carries jobs' --stage and dead-letters' --since with the cursor", async () => {
    const stub = await stubCoordinator((req, reply) =>
      req.url.includes("/dead-letters")
        ? reply.json(200, { items: [], nextCursor: "d2" })
        : reply.json(200, { jobs: [job(1)], nextCursor: "c1" }),
    );
    const jobs = await captureCli(["jobs", "--stage", "queued", "--limit", "1", ...connection(stub.url, "shop")]);
    expect(jobs.stderr).toBe("… more jobs: pass --all, or --stage queued --cursor c1\n");
    const letters = await captureCli(["dead-letters", "--since", "5", ...connection(stub.url, "shop")]);
    expect(letters.stderr).toBe("… more dead letters: pass --all, or --since 5 --cursor d2\n");
  });
});

describe("gigafactory jobs --help", () => {
  it("names --cursor and the page size of --all", async () => {
    const r = await captureCli(["jobs", "--help"]);
    expect(r.stdout).toMatch(/--limit N\s+page size \(default 50; 500 with --all\)/);
    expect(r.stdout).toMatch(/--cursor C\s+the page after an earlier one \(its nextCursor\)/);
  });
});
