// The port pick for a runtime that binds a moment later (scripts/free-port) stays out of the kernel's ephemeral range,
// where any outgoing connection on the machine could take it before the runtime binds (CI, pass 26: bench-floor's
// runtime died with "Address already in use" on a port the OS had just handed out): picks land in
// [PICK_FLOOR, the range's start) and are free; the range is read from the kernel's file, and an unreadable or odd one
// falls back to the OS's own choice.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ephemeralLow, freePort, PICK_FLOOR } from "../../scripts/free-port.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-free-port-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rangeFile(text: string): string {
  const file = path.join(dir, `range-${Math.random()}`);
  writeFileSync(file, text);
  return file;
}

/** Binds `port` on loopback and releases it: throws when something holds it. */
async function bindAndRelease(port: number): Promise<void> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once("error", reject);
    srv.listen(port, "127.0.0.1", () => resolve());
  });
  await new Promise<void>((r) => srv.close(() => r()));
}

describe("freePort", () => {
  it("picks free ports below the ephemeral range, never in it", async () => {
    for (let i = 0; i < 20; i++) {
      const port = await freePort(32_768);
      expect(port).toBeGreaterThanOrEqual(PICK_FLOOR);
      expect(port).toBeLessThan(32_768);
      await bindAndRelease(port);
    }
  });

  it("reads the kernel's range where it can, as the default pick does", async () => {
    const low = ephemeralLow();
    if (low === undefined || low <= PICK_FLOOR) return; // not Linux, or a range the pick cannot stay below
    const port = await freePort();
    expect(port).toBeLessThan(low);
  });

  it("parses the range file, and takes the OS's choice for one it cannot use", async () => {
    expect(ephemeralLow(rangeFile("32768\t60999\n"))).toBe(32_768);
    expect(ephemeralLow(rangeFile("  1024 65535"))).toBe(1024);
    expect(ephemeralLow(rangeFile("nonsense"))).toBeUndefined();
    expect(ephemeralLow(rangeFile("70000 80000"))).toBeUndefined();
    expect(ephemeralLow(path.join(dir, "absent"))).toBeUndefined();
    // A range starting at or below the floor leaves nothing outside it to pick from: the OS chooses, and it binds.
    const port = await freePort(PICK_FLOOR);
    expect(port).toBeGreaterThan(0);
    await bindAndRelease(port);
  });
});
