// The demo's operator (scripts/demo-api shipFirstTested), which `npm start` runs unawaited beside the demo: a ship
// the coordinator refuses (the job was shipped or cancelled first, as the README invites a newcomer to do) is
// reported and ends its part — it used to reject, an unhandled rejection that crashed `npm start` and left its agents
// behind — and a job title's control characters are shown, not sent to the terminal.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { shipFirstTested } from "../../scripts/demo-api.ts";

const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
});

/** A coordinator with one job in testing whose ship answers `shipStatus`. */
async function coordinator(title: string, shipStatus: number): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const ship = req.method === "POST";
    res.writeHead(ship ? shipStatus : 200, { "content-type": "application/json" });
    res.end(
      JSON.stringify(
        ship ? { code: "illegal_transition", detail: "job is shipped" } : { jobs: [{ id: "job_1", title }] },
      ),
    );
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must not get through
const RAW_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe("the demo operator", () => {
  it("reports a refused ship and resolves, instead of rejecting beside the demo", async () => {
    const { url, seen } = await coordinator("Write a note", 409);
    const lines: string[] = [];
    await expect(shipFirstTested(url, "t", new AbortController().signal, (l) => lines.push(l))).resolves.toBe(
      undefined,
    );
    expect(seen).toEqual([
      "GET /api/v1/products/demo/jobs?stage=testing&limit=1",
      "POST /api/v1/products/demo/jobs/job_1/actions/ship",
    ]);
    expect(lines).toEqual([expect.stringMatching(/^ {2}\[operator\] could not ship job_1: POST .+: 409 /)]);
  });

  it("shows a title's control characters instead of obeying them", async () => {
    const { url } = await coordinator("ok\u001b]52;c;ZXZpbA==\u0007\u001b[2Jcleared", 200);
    const lines: string[] = [];
    await shipFirstTested(url, "t", new AbortController().signal, (l) => lines.push(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('[operator] shipped job_1 "ok');
    expect(lines[0]).not.toMatch(RAW_CONTROLS);
  });
});
