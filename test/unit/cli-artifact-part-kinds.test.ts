// `gigafactory artifact ID NAME -o FILE` when what lies at the resumable part's name (`FILE.<sha256>.part`) is not a
// file: a symbolic link there (to a file the user cares about) is neither followed nor a failure — the run said
// `✘ ERROR file_unwritable: cannot write FILE (ELOOP) / check the path` for a FILE that was fine — and a FIFO there
// no longer blocks the real CLI process for ever (its open waited for a reader that never comes). Each download
// succeeds through a part of its own, checked and renamed onto FILE, and leaves the link, its target and the FIFO as
// they were (not the CLI's to remove). `-o DIR`, a directory, is refused before any request, naming the file path to
// pass (it asked the coordinator, then said "cannot write DIR (EISDIR) / check the path"), and so is -o into a folder
// that does not exist or is a file (a link's target's folder for a link): it asked for the whole artifact first, then
// said "cannot write FILE (ENOENT) / check the path". Against a real HTTP server
// on 127.0.0.1 serving the artifact with its digest.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, onTestFinished } from "vitest";
import { captureCli, connection } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const BIN = fileURLToPath(new URL("../../bin/gigafactory.mjs", import.meta.url));
const BYTES = Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 13 + 5) % 256));
const SHA = createHash("sha256").update(BYTES).digest("hex");

/** A stand-in coordinator serving BYTES whole at …/artifacts/run.log, with its ETag and digest; `asked` counts. */
async function artifactServer(asked = { count: 0 }): Promise<string> {
  const server = createServer((_req, res) => {
    asked.count++;
    res.writeHead(200, {
      "content-type": "text/plain",
      etag: `"${SHA}"`,
      "x-content-sha256": SHA,
      "accept-ranges": "bytes",
      "content-length": String(BYTES.length),
    });
    res.end(BYTES);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("gigafactory artifact -o FILE: something other than a file at the part's name", () => {
  it("a symbolic link there is not followed and fails nothing: FILE gets the artifact, the link's target is kept", async () => {
    const url = await artifactServer();
    const dir = testTempDir("gf-artifact-part-kind-");
    const file = join(dir, "run.log");
    const precious = join(dir, "precious.txt");
    writeFileSync(precious, "mine\n");
    const part = join(dir, `run.log.${SHA}.part`);
    symlinkSync(precious, part);
    const run = await captureCli(["artifact", "job_1", "run.log", "-o", file, ...connection(url, "p")]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(readFileSync(file)).toEqual(BYTES);
    expect(readFileSync(precious, "utf8")).toBe("mine\n");
    expect(readlinkSync(part)).toBe(precious);
    expect(readdirSync(dir).sort()).toEqual(["precious.txt", "run.log", `run.log.${SHA}.part`]);
  });

  it("a FIFO there does not hang the real CLI: it exits 0 with FILE written, the FIFO left as it was", async () => {
    const url = await artifactServer();
    const dir = testTempDir("gf-artifact-part-kind-");
    const file = join(dir, "run.log");
    const fifo = join(dir, `run.log.${SHA}.part`);
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const child = spawn(process.execPath, [BIN, "artifact", "job_1", "run.log", "-o", file, ...connection(url, "p")], {
      env: { ...process.env, HOME: dir, GIGAFACTORY_CONFIG: join(dir, "none.json") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.resume();
    const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(readFileSync(file)).toEqual(BYTES);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(["run.log", `run.log.${SHA}.part`]);
  });

  it("-o DIR, a directory, is refused before any request, naming the file to pass", async () => {
    const asked = { count: 0 };
    const url = await artifactServer(asked);
    const dir = testTempDir("gf-artifact-part-kind-");
    for (const given of [dir, `${dir}/`]) {
      const run = await captureCli(["artifact", "job_1", "run.log", "-o", given, ...connection(url, "p")]);
      expect(run.code).toBe(2); // the path the command line names, as every file_unwritable (cli/exit-codes)
      expect(run.stderr).toBe(
        `✘ ERROR file_unwritable: ${given} is a directory: -o names the file to write / pass -o ${join(dir, "run.log")}\n`,
      );
    }
    expect(asked.count).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("-o into a folder that is missing or is a file is refused before any request, with the fix", async () => {
    const asked = { count: 0 };
    const url = await artifactServer(asked);
    const dir = testTempDir("gf-artifact-part-kind-");
    const run = (given: string) => captureCli(["artifact", "job_1", "run.log", "-o", given, ...connection(url, "p")]);
    const missing = await run(join(dir, "out", "logs", "run.log"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `✘ ERROR file_unwritable: cannot write ${join(dir, "out", "logs", "run.log")}: its folder ${join(dir, "out", "logs")} does not exist / create it first (\`mkdir -p ${join(dir, "out", "logs")}\`), or pass -o a path in a folder that exists; nothing was downloaded\n`,
    );
    writeFileSync(join(dir, "notes"), "mine");
    const file = await run(join(dir, "notes", "run.log"));
    expect(file.code).toBe(2);
    expect(file.stderr).toMatch(
      /^✘ ERROR file_unwritable: cannot write .*notes\/run\.log: .*notes is not a folder \/ /,
    );
    // A link written through lands in its target's folder: that one is checked.
    symlinkSync(join(dir, "gone", "run.log"), join(dir, "link.log"));
    const linked = await run(join(dir, "link.log"));
    expect(linked.stderr).toContain(`its folder ${join(dir, "gone")} does not exist`);
    const json = await captureCli([
      "artifact",
      "job_1",
      "run.log",
      "-o",
      join(dir, "x", "y"),
      "--json",
      ...connection(url, "p"),
    ]);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: "file_unwritable", exitCode: 2 });
    expect(asked.count).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(["link.log", "notes"]);
  });
});
