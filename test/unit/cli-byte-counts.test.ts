// A byte count the CLI prints agrees with its number (core/counted): a one-byte artifact saved with -o FILE said
// "1 bytes written", and a download whose connection broke after its first byte "the connection broke after 1 bytes";
// now "1 byte" in both, and any other count still plural ("0 bytes", "7 bytes").
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

/** A coordinator that promises 10 bytes, sends `sent` of them, and cuts the connection. */
async function cutAfter(sent: number): Promise<string> {
  const server = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": "10" });
    res.write("x".repeat(sent), () => req.socket.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("byte counts in the CLI's artifact lines", () => {
  it("a one-byte artifact saved is '1 byte written', a longer one 'bytes'", async () => {
    for (const [body, said] of [
      ["x", "1 byte written"],
      ["line 1\n", "7 bytes written"],
    ] as const) {
      const { url } = await stubCoordinator((_req, reply) => reply.text(200, body, "text/plain"));
      const file = join(testTempDir("gf-bytes-"), "run.log");
      const run = await captureCli(["artifact", "job_1", "run.log", "-o", file, ...connection(url, "p")]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`run.log: ${said} to ${file}`);
    }
  });

  it("a download cut after its first byte says '1 byte' of the artifact came", async () => {
    const run = await captureCli(["artifact", "job_1", "run.log", ...connection(await cutAfter(1), "p")]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^✘ ERROR download_interrupted: the connection broke after 1 byte of the artifact /);
  });
});
