// `gigafactory dead-letters` over a real local socket pages as `jobs` and `lessons list` do: one page says how to go
// on (`--all`, or `--cursor` with the page's nextCursor, which it sends back as `cursor`); `--all` follows nextCursor
// to the end (500 a page, a running count on a terminal's stderr, nothing on a pipe or under --json) and stops with
// `✘ ERROR bad_response` on a cursor handed out twice; `--json` is the API's page, `nextCursor` kept while more
// follow; a page read without D1 (`partial`) is said.
import { describe, expect, it } from "vitest";
import type { DeadLetterView } from "../../src/shared/http-client-types.ts";
import { captureCli, connection, runCli, stubCoordinator } from "../support/cli-harness.ts";

const letter = (n: number): DeadLetterView => ({
  id: `msg-${n}:0`,
  productId: "p",
  source: "queue:history",
  reason: `poison ${n}`,
  body: { n },
  attempts: 5,
  at: 1_700_000_000_000,
});

/** Three pages of two; the cursor names the next page's first letter. */
async function threePages(extra: Record<string, unknown> = {}) {
  return stubCoordinator((req, reply) => {
    const at = Number(new URL(req.url, "http://x").searchParams.get("cursor") ?? 0);
    reply.json(200, {
      items: [letter(at), letter(at + 1)],
      ...(at < 4 ? { nextCursor: String(at + 2) } : {}),
      ...extra,
    });
  });
}

async function onTerminal(argv: string[]) {
  let [stdout, stderr] = ["", ""];
  const code = await runCli(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    stderrIsTTY: true,
    env: { HOME: "/nonexistent", GIGAFACTORY_CONFIG: "/nonexistent/config.json" },
    now: () => 0,
  });
  return { code, stdout, stderr };
}

describe("gigafactory dead-letters", () => {
  it("lists one page and says how to read on; --cursor reads the page after it", async () => {
    const stub = await threePages();
    const first = await captureCli(["dead-letters", ...connection(stub.url, "p")]);
    expect(first.code).toBe(0);
    expect(first.stdout.trim().split("\n")).toHaveLength(3); // header + 2
    expect(first.stderr).toBe("… more dead letters: pass --all, or --cursor 2\n");
    const next = await captureCli(["dead-letters", "--cursor", "2", "--limit", "2", ...connection(stub.url, "p")]);
    expect(next.stdout).toContain("msg-3:0");
    expect(stub.lines[1]).toMatch(/^GET \/api\/v1\/products\/p\/dead-letters\?(?=.*limit=2)(?=.*cursor=2)/);
    const json = await captureCli(["dead-letters", "--json", ...connection(stub.url, "p")]);
    expect(JSON.parse(json.stdout)).toEqual({ items: [letter(0), letter(1)], nextCursor: "2" });
    expect(json.stderr).toBe("");
  });

  it("--all reads every page, counting on a terminal and quiet on a pipe and under --json", async () => {
    const stub = await threePages();
    const tty = await onTerminal(["dead-letters", "--all", ...connection(stub.url, "p")]);
    expect(tty.code).toBe(0);
    expect(tty.stdout.trim().split("\n")).toHaveLength(7); // header + 6
    expect(tty.stderr).toContain("… 4 dead letters read");
    expect(tty.stderr).not.toContain("more dead letters");
    expect(stub.lines.slice(0, 3).map((l) => new URL(l.slice(4), "http://x").searchParams.toString())).toEqual([
      "limit=500",
      "limit=500&cursor=2",
      "limit=500&cursor=4",
    ]);
    const piped = await captureCli(["dead-letters", "--all", ...connection(stub.url, "p")]);
    expect(piped.stderr).toBe("");
    const json = await onTerminal(["dead-letters", "--all", "--json", ...connection(stub.url, "p")]);
    expect(json.stderr).toBe("");
    expect(JSON.parse(json.stdout)).toEqual({ items: [0, 1, 2, 3, 4, 5].map(letter) });
  });

  it("stops with bad_response on a cursor handed out twice, and says when D1 was left out", async () => {
    const same = await stubCoordinator((_req, reply) => reply.json(200, { items: [letter(1)], nextCursor: "same" }));
    const r = await captureCli(["dead-letters", "--all", ...connection(same.url, "p")]);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: "" });
    expect(r.stderr).toMatch(/^✘ ERROR bad_response: the coordinator handed out the page cursor "same" twice/);
    const partial = await threePages({ partial: true });
    const p = await captureCli(["dead-letters", "--json", ...connection(partial.url, "p")]);
    expect(JSON.parse(p.stdout)).toMatchObject({ nextCursor: "2", partial: true });
    expect(p.stderr).toContain("D1 could not be read");
  });
});
