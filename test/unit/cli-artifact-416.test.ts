// `gigafactory artifact ID NAME -o FILE` drops a part kept for a resume only on a 416 that says the part is past the
// artifact's end (`Content-Range: bytes */N`, N at most the part's size: the coordinator's). Any other 416 — a proxy's
// page naming no length, or one naming a longer artifact — says nothing of the part: it is kept as it is while the
// artifact comes whole into a file of its own, so a whole download cut too leaves it for the next run, and one that
// completes removes it. Every 416 dropped it (a part of gigabytes, lost to a proxy's refusal of the Range).
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { captureCli, connection } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const BYTES = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 11 + 3) % 256));
const KEPT = BYTES.subarray(0, 30_000);

/**
 * A stand-in that answers every ranged GET with a 416 of `refusal`'s headers (no body worth reading), and a whole GET
 * with the artifact, cut after `cutAfter` bytes while that is set. Records each request's headers.
 */
async function refusingServer(refusal: Record<string, string>, whole: { cutAfter?: number }) {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    if (req.headers.range) {
      res.writeHead(416, refusal);
      return res.end("<html><body>416 Requested Range Not Satisfiable</body></html>");
    }
    const headers = { "content-type": "text/plain", etag: `"${sha(BYTES)}"`, "x-content-sha256": sha(BYTES) };
    res.writeHead(200, { ...headers, "content-length": String(BYTES.length) });
    if (whole.cutAfter === undefined) return res.end(BYTES);
    res.write(BYTES.subarray(0, whole.cutAfter), () => req.socket.end());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const REFUSALS: Record<string, Record<string, string>> = {
  "a proxy's page naming no length": { "content-type": "text/html" },
  "one naming a longer artifact": { "content-type": "text/html", "content-range": "bytes */100000" },
};

describe("a 416 that does not say the part is past the end", () => {
  for (const [what, refusal] of Object.entries(REFUSALS)) {
    it(`${what}: the part is kept through a cut whole download, and gone once one completes`, async () => {
      const whole = { cutAfter: 10_000 as number | undefined };
      const { url, seen } = await refusingServer(refusal, whole);
      const dir = testTempDir("gf-artifact-416-");
      const file = join(dir, "run.log");
      const part = `run.log.${sha(BYTES)}.part`;
      writeFileSync(join(dir, part), KEPT);
      const argv = ["artifact", "job_1", "run.log", "-o", file, ...connection(url, "p")];

      const cut = await captureCli(argv);
      expect(cut.code, cut.stderr).toBe(1);
      expect(seen.map((h) => h.range)).toEqual(["bytes=30000-", undefined]);
      expect(readdirSync(dir)).toEqual([part]);
      expect(readFileSync(join(dir, part))).toEqual(KEPT);

      whole.cutAfter = undefined;
      const done = await captureCli(argv);
      expect(done.code, done.stderr).toBe(0);
      expect(readFileSync(file)).toEqual(BYTES);
      expect(readdirSync(dir)).toEqual(["run.log"]);
    });
  }
});
