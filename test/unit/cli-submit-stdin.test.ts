// `gigafactory submit -` reads one manifest from standard input (`generate-manifest | gigafactory submit -`), sent as
// a file's would be, its FILE shown as `-`: it read a file named "-" and said `file_unreadable: -: cannot read the
// file (ENOENT)`. `-` twice is a usage error before anything is sent (standard input holds one manifest); without a
// standard input to read (an Io that has none) it is that file's failure; files and `-` mix. Standard input is read
// no further than the coordinator takes (MAX_MANIFEST_BYTES): past it, file_too_large (exit 2) and nothing sent, as
// for a file — it was read to its end (`yes | gigafactory submit -` filled the memory), by the real CLI too.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MAX_MANIFEST_BYTES } from "../../src/core/manifest-schema.ts";
import { connection, runCli, stubCoordinator } from "../support/cli-harness.ts";

const BIN = fileURLToPath(new URL("../../bin/gigafactory.mjs", import.meta.url));

async function coordinator() {
  return stubCoordinator((req, reply) => {
    const title = /title: (\w+)/.exec(req.text)?.[1] ?? "";
    reply.json(201, { id: `job_${title}`, title, stage: "queued" });
  });
}

/** `submit` with `stdin` as its standard input (undefined: none to read). */
async function submit(argv: string[], stdin: string | AsyncIterable<Uint8Array> | undefined) {
  let [stdout, stderr] = ["", ""];
  const code = await runCli(["submit", ...argv], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    stderrIsTTY: false,
    ...(stdin === undefined ? {} : { stdin: () => (typeof stdin === "string" ? once(stdin) : stdin) }),
    env: { HOME: "/nonexistent", GIGAFACTORY_CONFIG: "/nonexistent/config.json" },
    now: () => 0,
  });
  return { code, stdout, stderr };
}

/** `text` as standard input gives it: one chunk. */
async function* once(text: string): AsyncIterable<Uint8Array> {
  yield new TextEncoder().encode(text);
}

describe("gigafactory submit -", () => {
  it("submits the manifest on standard input, its FILE shown as -", async () => {
    const stub = await coordinator();
    const r = await submit(["-", "--json", ...connection(stub.url, "p")], "---\ntitle: piped\n---\nDo it.\n");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { file: "-", result: "created", job: { id: "job_piped", title: "piped", stage: "queued" } },
    ]);
    expect(stub.seen.map((s) => s.line)).toEqual(["POST /api/v1/products/p/jobs"]);
  });

  it("refuses - twice before sending anything, and says so when there is no standard input", async () => {
    const stub = await coordinator();
    const twice = await submit(["-", "-", ...connection(stub.url, "p")], "---\ntitle: x\n---\n");
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/^✘ ERROR usage: `-` \(standard input\) is given twice/);
    const none = await submit(["-", ...connection(stub.url, "p")], undefined);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^✘ ERROR file_unreadable: -: no standard input to read/);
    expect(stub.lines).toEqual([]);
  });

  it("reads no further than the coordinator takes: file_too_large, exit 2, nothing sent", async () => {
    const stub = await coordinator();
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let pulled = 0;
    // 64 MiB on offer: read to its end, it was all taken in before anything was said.
    async function* endless(): AsyncIterable<Uint8Array> {
      for (; pulled < 1024; pulled++) yield pulled === 0 ? new TextEncoder().encode("---\ntitle: big\n---\n") : chunk;
    }
    const r = await submit(["-", ...connection(stub.url, "p")], endless());
    expect([r.code, /^✘ ERROR (\w+)/.exec(r.stderr)?.[1]], r.stderr).toEqual([2, "file_too_large"]);
    expect(pulled).toBeLessThanOrEqual(Math.ceil(MAX_MANIFEST_BYTES / chunk.length) + 1);
    expect(stub.lines).toEqual([]);
  });

  it("the real CLI's standard input is bounded too: a pipe past the bound is refused, nothing sent", async () => {
    const stub = await coordinator();
    const cli = spawn(process.execPath, [BIN, "submit", "-", ...connection(stub.url, "p", "admin-token")]);
    let stderr = "";
    cli.stderr.on("data", (d: Buffer) => {
      stderr += d;
    });
    cli.stdin.on("error", () => {}); // the CLI stops reading: the rest of the pipe is refused (EPIPE)
    cli.stdin.end(`---\ntitle: big\n---\n${"x".repeat(MAX_MANIFEST_BYTES + 1024)}`);
    const code = await new Promise((r) => cli.once("exit", r));
    expect([code, /^✘ ERROR (\w+)/.exec(stderr)?.[1]], stderr).toEqual([2, "file_too_large"]);
    expect(stub.lines).toEqual([]);
  });
});
