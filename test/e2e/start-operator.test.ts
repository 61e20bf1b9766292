// The demo's operator (scripts/demo-api shipFirstOwnTested), which `npm start` runs unawaited beside the demo: it
// ships only a job this run of the demo submitted — a job the user put in `testing` (shipping is terminal) is never
// touched, nor is one an example's idempotencyKey replayed (it used to ship whatever `GET /jobs?stage=testing`
// answered first, on every start over existing state) — a ship the coordinator refuses (the job was shipped or
// cancelled first, as the README invites a newcomer to do) is reported and ends its part — it used to reject, an
// unhandled rejection that crashed `npm start` and left its agents behind — and a job title's control characters are
// shown, not sent to the terminal.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { shipFirstOwnTested } from "../../scripts/demo-api.ts";

const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
});

/**
 * A coordinator whose jobs are `stages` (id → stage; every one listed in `testing` by `GET /jobs?stage=testing`)
 * and whose ship answers `shipStatus`. A job the demo reads twice moves from `queued` to `testing`.
 */
async function coordinator(
  title: string,
  shipStatus: number,
  stages: Record<string, string> = { job_1: "testing" },
): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const ship = req.method === "POST";
    const id = /\/jobs\/([^/?]+)/.exec(req.url ?? "")?.[1];
    let body: unknown;
    if (ship) body = { code: "illegal_transition", detail: "job is shipped" };
    else if (id === undefined)
      body = { jobs: Object.entries(stages).map(([job, stage]) => ({ id: job, title, stage })) };
    else {
      body = { id, title, stage: stages[id] };
      if (stages[id] === "queued") stages[id] = "testing";
    }
    res.writeHead(ship ? shipStatus : id && !stages[id] ? 404 : 200, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must not get through
const RAW_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe("the demo operator", () => {
  it("ships its own job once it reaches testing and never touches the user's job already in testing", async () => {
    const { url, seen } = await coordinator("Write a note", 200, { job_user: "testing", job_demo: "queued" });
    const lines: string[] = [];
    await shipFirstOwnTested(url, "t", ["job_demo"], new AbortController().signal, (l) => lines.push(l));
    expect(seen.filter((r) => r.startsWith("POST"))).toEqual(["POST /api/v1/products/demo/jobs/job_demo/actions/ship"]);
    expect(seen.some((r) => r.includes("job_user"))).toBe(false);
    expect(lines).toEqual([expect.stringContaining("[operator] shipped job_demo")]);
  });

  it("with nothing submitted in this run (every example replayed) ships nothing and says so", async () => {
    const { url, seen } = await coordinator("Write a note", 200, { job_user: "testing" });
    const lines: string[] = [];
    await shipFirstOwnTested(url, "t", [], new AbortController().signal, (l) => lines.push(l));
    expect(seen).toEqual([]);
    expect(lines).toEqual([expect.stringContaining("ships only jobs it submitted in this run")]);
  });

  it("stops looking once every own job ended without reaching testing", async () => {
    const { url, seen } = await coordinator("Write a note", 200, { job_user: "testing", job_demo: "cancelled" });
    await shipFirstOwnTested(url, "t", ["job_demo"], new AbortController().signal, () => {});
    expect(seen).toEqual(["GET /api/v1/products/demo/jobs/job_demo"]);
  });

  it("reports a refused ship and resolves, instead of rejecting beside the demo", async () => {
    const { url, seen } = await coordinator("Write a note", 409);
    const lines: string[] = [];
    await expect(
      shipFirstOwnTested(url, "t", ["job_1"], new AbortController().signal, (l) => lines.push(l)),
    ).resolves.toBe(undefined);
    expect(seen).toEqual([
      "GET /api/v1/products/demo/jobs/job_1",
      "POST /api/v1/products/demo/jobs/job_1/actions/ship",
    ]);
    expect(lines).toEqual([expect.stringMatching(/^ {2}\[operator\] could not ship job_1: POST .+: 409 /)]);
  });

  it("shows a title's control characters instead of obeying them", async () => {
    const { url } = await coordinator("ok\u001b]52;c;ZXZpbA==\u0007\u001b[2Jcleared", 200);
    const lines: string[] = [];
    await shipFirstOwnTested(url, "t", ["job_1"], new AbortController().signal, (l) => lines.push(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('[operator] shipped job_1 "ok');
    expect(lines[0]).not.toMatch(RAW_CONTROLS);
  });
});
