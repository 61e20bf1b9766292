// The end-of-run artifacts against a recording HTTP server and real git: diff.patch arrives byte for byte (a
// Latin-1 file's bytes are not re-encoded), and a diff that cannot be made or an upload that is refused is an
// operator warning (`artifact.failed` in the seat), while the log still goes.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishRun } from "../../src/agent/artifacts.ts";
import { snapshot } from "../../src/agent/checkpoint.ts";
import { JobLog } from "../../src/agent/job-log.ts";
import { prepareWorkspace } from "../../src/agent/workspace.ts";
import type { Job } from "../../src/core/model.ts";

interface Upload {
  name: string;
  type: string;
  body: Buffer;
}
const root = mkdtempSync(path.join(tmpdir(), "gf-agent-publish-"));
const uploads: Upload[] = [];
let refuse = "";
let server: Server;
let url = "";
beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const name = new URL(req.url ?? "", "http://x").searchParams.get("name") ?? "";
      if (name === refuse) {
        res.writeHead(409, { "content-type": "application/problem+json" });
        return res.end(
          JSON.stringify({ type: "about:blank", title: "fenced", code: "fenced", detail: "epoch 1 is not current" }),
        );
      }
      uploads.push({ name, type: req.headers["content-type"] ?? "", body: Buffer.concat(chunks) });
      res.writeHead(201, { "content-type": "application/json" });
      res.end(JSON.stringify({ name, size: 0, sha256: "", contentType: "" }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(root, { recursive: true, force: true });
});

async function run(id: string, content: Buffer, sha?: string) {
  const host = { workDir: path.join(root, id), checkpointRemote: path.join(root, "cp.git") };
  const ws = await prepareWorkspace({ id, title: id, attempt: 1, leaseEpoch: 1, budget: {} } as Job, host);
  writeFileSync(path.join(ws.dir, "f.txt"), content);
  const fin = await snapshot(ws, undefined, "final", true);
  const log = new JobLog(path.join(root, `${id}.log`), () => undefined);
  log.write("agent", "hello");
  const warnings: string[] = [];
  const rest = { url, product: "p", token: "gf_test" };
  const stat = await publishRun(rest, { jobId: id, leaseEpoch: 1 }, ws, sha ?? fin.sha, log, (t) => warnings.push(t));
  return { stat, warnings };
}

describe("publishing a run's artifacts", () => {
  it("sends a Latin-1 patch as its own bytes, not relabelled or re-encoded as UTF-8", async () => {
    uploads.length = 0;
    const { warnings } = await run("job_p1", Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    expect(warnings).toEqual([]);
    const patch = uploads.find((u) => u.name === "diff.patch");
    expect(patch?.type).toBe("text/x-diff");
    expect(patch?.body.includes(Buffer.from([0x2b, 0x63, 0x61, 0x66, 0xe9, 0x0a]))).toBe(true);
    expect(patch?.body.includes(Buffer.from([0xef, 0xbf, 0xbd]))).toBe(false); // no U+FFFD
  });

  it("a diff that cannot be made is a warning, and the log is uploaded anyway", async () => {
    uploads.length = 0;
    const { stat, warnings } = await run("job_p2", Buffer.from("x\n"), "0".repeat(40));
    expect(stat).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/^artifact diff\.patch not made: git diff/)]);
    expect(uploads.map((u) => u.name)).toEqual(["log.txt"]);
  });

  it("an upload the coordinator refuses is a warning naming the artifact", async () => {
    uploads.length = 0;
    refuse = "diff.patch";
    try {
      const { warnings } = await run("job_p3", Buffer.from("y\n"));
      expect(warnings).toEqual([expect.stringMatching(/^artifact diff\.patch not uploaded: fenced/)]);
      expect(uploads.map((u) => u.name)).toEqual(["log.txt"]);
    } finally {
      refuse = "";
    }
  });
});
