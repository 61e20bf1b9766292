// A mirror's HEAD put back for the engine user (agent/mirror-head `repairHead`, the agent root): it was written, then
// chowned by path — and the engine user owns the mirror, so a link it swapped in for HEAD between the two calls had
// root give it the link's target (/etc/shadow, say). Now HEAD is created exclusively and chowned through its
// descriptor (agent/exclusive-file). The swap is made deterministic: node:fs's writes are wrapped to put the link in
// right after the agent's write. Runs only as root (a chown to `nobody`). Kept out of the shared workers
// (vitest.unit.config.ts isolates a file whose text names `vi.spyOn`): its node:fs mock must reach no other file.
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { lookupUser, type RunAs } from "../../src/agent/engine-user.ts";
import { repairHead } from "../../src/agent/mirror-head.ts";

/** Set by the test: runs after each write through node:fs (the engine user's swap). */
const afterWrite: { run?: () => void } = {};

vi.mock("node:fs", async (original) => {
  const real = await original<typeof import("node:fs")>();
  const after =
    <A extends unknown[], R>(write: (...args: A) => R) =>
    (...args: A): R => {
      const out = write(...args);
      afterWrite.run?.();
      return out;
    };
  return { ...real, writeFileSync: after(real.writeFileSync), writeSync: after(real.writeSync) };
});

const root = fs.mkdtempSync(path.join(tmpdir(), "gf-mirror-head-owner-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const asRoot = process.getuid?.() === 0;

describe.runIf(asRoot)("a mirror's HEAD put back for the engine user", () => {
  it("is given to that user through its descriptor, never the target of a link swapped in after the write", async () => {
    const user = lookupUser("nobody") as RunAs;
    const mirror = path.join(root, "mirror.git");
    fs.mkdirSync(mirror);
    const head = path.join(mirror, "HEAD");
    fs.writeFileSync(head, "garbage\n");
    const victim = path.join(root, "shadow");
    fs.writeFileSync(victim, "root's secret\n");
    afterWrite.run = () => {
      afterWrite.run = undefined;
      fs.rmSync(head, { force: true });
      fs.symlinkSync(victim, head);
    };
    await repairHead(mirror, user);
    afterWrite.run = undefined;
    expect(fs.statSync(victim).uid).toBe(0);
    expect(fs.readFileSync(victim, "utf8")).toBe("root's secret\n");
  });
});
