// Lists past ~125,000 rows (`jobs --all` of a busy product: the API pages 500 at a time) render: the table's column
// widths and the fit to the terminal took `Math.max(...)` of one argument per row, and the pages were gathered with
// `push(...page)`, which V8 refuses past about 125,000 arguments — `✘ ERROR internal: Maximum call stack size exceeded
// / this is a CLI bug` instead of the list.
import { describe, expect, it } from "vitest";
import { fitLastColumn, renderTable } from "../../src/cli/table.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const ROWS = 200_000;

describe("a table of 200,000 rows", () => {
  it("renders, and fits a terminal, with every row", () => {
    const rows = Array.from({ length: ROWS }, (_, i) => [`job_${i}`, "queued"]);
    const columns = fitLastColumn([{ header: "ID" }, { header: "STAGE" }], rows, 80);
    const lines = renderTable(columns, rows).split("\n");
    expect(lines).toHaveLength(ROWS + 1);
    expect(lines[ROWS]).toBe(`job_${ROWS - 1}  queued`);
  });
});

describe("gigafactory jobs fed one page of 200,000 jobs", () => {
  it("lists them all, exit 0", async () => {
    const job = (n: number) => ({
      id: `job_${n}`,
      title: "t",
      stage: "queued",
      priority: "low",
      attempt: 0,
      maxAttempts: 3,
      createdAt: 0,
    });
    const body = { jobs: Array.from({ length: ROWS }, (_, i) => job(i)) };
    const { url } = await stubCoordinator((_req, reply) => reply.json(200, body));
    const r = await captureCli(["jobs", "--all", ...connection(url, "shop")]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(r.stdout.trimEnd().split("\n")).toHaveLength(ROWS + 1);
  });
});
