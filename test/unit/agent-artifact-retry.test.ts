// An end-of-run artifact upload that fails for the moment is tried again, against a real HTTP server on 127.0.0.1:
// a 503 `unavailable` (storage did not take the bytes: the coordinator says to send again), a 502 or 504 from a proxy,
// or a connection refused is retried after 1 s and 3 s (waited through the injected sleep, never really), and the
// artifact arrives without a warning; a refusal (409 fenced) is sent once and warned about; a 503 that persists is
// warned about after three tries, with its last error. Before, the first 503 lost the artifact.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { UPLOAD_RETRY_DELAYS_MS, uploadRunArtifacts } from "../../src/agent/artifacts.ts";

/** The statuses the server answers with, one per request, then 201. */
let script: number[] = [];
const seen: Array<{ name: string; body: string }> = [];
let server: Server;
let url = "";

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const name = new URL(req.url ?? "", "http://x").searchParams.get("name") ?? "";
      seen.push({ name, body: Buffer.concat(chunks).toString() });
      const status = script.shift() ?? 201;
      if (status !== 201) {
        const code = status === 409 ? "fenced" : "unavailable";
        res.writeHead(status, { "content-type": "application/problem+json" });
        return res.end(JSON.stringify({ type: "about:blank", title: code, code, detail: `said ${status}` }));
      }
      res.writeHead(201, { "content-type": "application/json" });
      res.end(JSON.stringify({ name, size: 0, sha256: "", contentType: "" }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));
beforeEach(() => {
  script = [];
  seen.length = 0;
});

async function upload(target = url) {
  const warnings: string[] = [];
  const waits: number[] = [];
  const sleep = async (ms: number) => void waits.push(ms);
  const rest = { url: target, product: "p", token: "gf_test" };
  const names = await uploadRunArtifacts(rest, "job_1", 1, "the log", undefined, (w) => warnings.push(w), sleep);
  return { names, warnings, waits };
}

describe("an artifact upload that fails for the moment", () => {
  it("is tried again after 1 s and 3 s on 503, 502 and 504, and arrives without a warning", async () => {
    for (const status of [503, 502, 504]) {
      script = [status, status];
      seen.length = 0;
      const r = await upload();
      expect([r.names, r.warnings, r.waits], String(status)).toEqual([["log.txt"], [], [...UPLOAD_RETRY_DELAYS_MS]]);
      expect(seen.map((s) => s.body)).toEqual(["the log", "the log", "the log"]);
    }
  });

  it("is warned about after three tries when storage stays unavailable, with its last error", async () => {
    script = [503, 503, 503];
    const r = await upload();
    expect(r.names).toEqual([]);
    expect(r.warnings).toEqual(["artifact log.txt not uploaded (after 3 tries): unavailable: said 503"]);
    expect(seen).toHaveLength(3);
  });

  it("is not tried again when refused: a fenced upload is sent once", async () => {
    script = [409];
    const r = await upload();
    expect([r.names, r.waits, seen.length]).toEqual([[], [], 1]);
    expect(r.warnings).toEqual(["artifact log.txt not uploaded: fenced: said 409"]);
  });

  it("is tried again when the coordinator cannot be reached", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r)); // nothing listens there now: connection refused
    const r = await upload(`http://127.0.0.1:${port}`);
    expect(r.waits).toEqual([...UPLOAD_RETRY_DELAYS_MS]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^artifact log\.txt not uploaded \(after 3 tries\): unreachable/);
  });
});
