// The shared REST client asks for the rest of an artifact itself (shared/http-client `downloadArtifact` with a
// resume: `Range: bytes=N-` and `If-Range` the held version's ETag), and `gigafactory artifact ID NAME -o FILE`
// resumes through it: the CLI built that ranged request outside the client (`client.send` with headers of its own),
// so a caller of the client (the dashboard's tests, a script) could not resume, and the CLI's request was not the
// client's. Over a real local socket that records each request's headers; the CLI's resume is driven in-process
// with its client's `downloadArtifact` watched.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { downloadToFile } from "../../src/cli/artifact-download.ts";
import { GigafactoryClient } from "../../src/shared/http-client.ts";
import type { StubRequest } from "../support/cli-harness.ts";
import { stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const BYTES = Buffer.from("0123456789abcdefghij");
const SHA = createHash("sha256").update(BYTES).digest("hex");
const ETAG = `"${SHA}"`;

/** Serves BYTES at …/artifacts/a.txt, a 206 of the rest for `bytes=N-` under a matching If-Range; records headers. */
async function artifactServer() {
  const asked: StubRequest["headers"][] = [];
  const stub = await stubCoordinator((req, reply) => {
    asked.push(req.headers);
    const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? "")?.[1] ?? Number.NaN);
    const base = { etag: ETAG, "x-content-sha256": SHA };
    if (Number.isInteger(from) && req.headers["if-range"] === ETAG) {
      const range = `bytes ${from}-${BYTES.length - 1}/${BYTES.length}`;
      return reply.text(206, BYTES.subarray(from).toString(), "text/plain", { ...base, "content-range": range });
    }
    return reply.text(200, BYTES.toString(), "text/plain", base);
  });
  return { url: stub.url, asked };
}

describe("downloadArtifact's resume", () => {
  it("sends Range and If-Range when asked, and neither otherwise", async () => {
    const { url, asked } = await artifactServer();
    const client = new GigafactoryClient({ url, token: "t", product: "shop" });
    const rest = await client.downloadArtifact("job_1", "a.txt", { from: 12, etag: ETAG });
    expect(rest.status).toBe(206);
    expect(await rest.text()).toBe("cdefghij");
    const whole = await client.downloadArtifact("job_1", "a.txt");
    expect(whole.status).toBe(200);
    expect(await whole.text()).toBe(BYTES.toString());
    expect(asked.map((h) => [h.range, h["if-range"]])).toEqual([
      ["bytes=12-", ETAG],
      [undefined, undefined],
    ]);
  });

  it("is what `gigafactory artifact -o FILE` resumes with", async () => {
    const { url, asked } = await artifactServer();
    const dir = testTempDir("gf-artifact-client-range-");
    const file = join(dir, "a.txt");
    writeFileSync(join(dir, `a.txt.${SHA}.part`), BYTES.subarray(0, 8)); // the bytes a cut run kept
    const client = new GigafactoryClient({ url, token: "t", product: "shop" });
    const calls: unknown[][] = [];
    const download = client.downloadArtifact.bind(client);
    client.downloadArtifact = (...args) => {
      calls.push(args);
      return download(...args);
    };
    const got = await downloadToFile(client, "job_1", "a.txt", file);
    expect(got).toMatchObject({ size: BYTES.length, sha256: SHA, checked: true, resumedFrom: 8 });
    expect(readFileSync(file)).toEqual(BYTES);
    expect(calls).toEqual([["job_1", "a.txt", { from: 8, etag: ETAG }]]);
    expect(asked.map((h) => h.range)).toEqual(["bytes=8-"]);
  });
});
