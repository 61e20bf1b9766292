// `gigafactory artifact ID NAME -o LINK` where LINK is a symbolic link to a file: the link stays a link and its
// target gets the artifact whole, or keeps what it held — a download cut mid-body, or bytes whose SHA-256 is not the
// recorded one, leave the target as it was and no partial file beside it. (Written through the link, the target was
// truncated at once and held the broken or unchecked bytes.) A dangling link is still written through. A file replaced
// keeps its permission bits (renamed onto a 0600 file, the download was 0644: readable by everyone).
import { createHash } from "node:crypto";
import { chmodSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const BYTES = "line 1\nline 2\n";
const sha = (s: string) => createHash("sha256").update(s).digest("hex");

async function coordinator(recorded: string) {
  return stubCoordinator((_req, reply) => reply.text(200, BYTES, "text/plain", { "x-content-sha256": recorded }));
}

/** A coordinator that promises 100,000 bytes, sends 1000 of them, and cuts the connection. */
async function cutMidBody(): Promise<string> {
  const server = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": "100000" });
    res.write("x".repeat(1000), () => req.socket.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A directory holding `target.log` (with `held`) and `link.log` → it; answers the two paths. */
function linked(held: string) {
  const dir = testTempDir("gf-artifact-link-");
  const target = join(dir, "target.log");
  const link = join(dir, "link.log");
  writeFileSync(target, held);
  symlinkSync(target, link);
  return { dir, target, link };
}

describe("gigafactory artifact -o a symbolic link", () => {
  it("replaces the link's target whole once checked, and the link stays", async () => {
    const { dir, target, link } = linked("the previous download\n");
    const stub = await coordinator(sha(BYTES));
    const run = await captureCli(["artifact", "job_1", "run.log", "-o", link, ...connection(stub.url, "p")]);
    expect(run.code).toBe(0);
    expect(readFileSync(target, "utf8")).toBe(BYTES);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(["link.log", "target.log"]);
  });

  it("a checksum mismatch leaves the target as it was", async () => {
    const { dir, target, link } = linked("the previous download\n");
    const stub = await coordinator(sha("something else"));
    const run = await captureCli(["artifact", "job_1", "run.log", "-o", link, ...connection(stub.url, "p")]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^✘ ERROR checksum_mismatch: /);
    expect(readFileSync(target, "utf8")).toBe("the previous download\n");
    expect(readdirSync(dir).sort()).toEqual(["link.log", "target.log"]);
  });

  it("a download cut mid-body leaves the target as it was", async () => {
    const { dir, target, link } = linked("the previous download\n");
    const run = await captureCli(["artifact", "job_1", "run.log", "-o", link, ...connection(await cutMidBody(), "p")]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^✘ ERROR download_interrupted: /);
    expect(readFileSync(target, "utf8")).toBe("the previous download\n");
    expect(readdirSync(dir).sort()).toEqual(["link.log", "target.log"]);
  });

  it("a dangling link is written through: its target is created", async () => {
    const dir = testTempDir("gf-artifact-link-");
    const link = join(dir, "link.log");
    symlinkSync(join(dir, "new.log"), link);
    const stub = await coordinator(sha(BYTES));
    const run = await captureCli(["artifact", "job_1", "run.log", "-o", link, ...connection(stub.url, "p")]);
    expect(run.code).toBe(0);
    expect(readFileSync(join(dir, "new.log"), "utf8")).toBe(BYTES);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });
});

describe("gigafactory artifact -o a file the owner restricted", () => {
  it("keeps its permission bits: a 0600 file (or the 0600 target of a link) stays 0600", async () => {
    const stub = await coordinator(sha(BYTES));
    const { target, link } = linked("secret\n");
    chmodSync(target, 0o600);
    const file = join(testTempDir("gf-artifact-mode-"), "own.log");
    writeFileSync(file, "secret\n", { mode: 0o600 });
    for (const path of [file, link]) {
      const run = await captureCli(["artifact", "job_1", "run.log", "-o", path, ...connection(stub.url, "p")]);
      expect(run.code).toBe(0);
      expect({ path, mode: statSync(path).mode & 0o777 }).toEqual({ path, mode: 0o600 });
      expect(readFileSync(path, "utf8")).toBe(BYTES);
    }
  });
});
