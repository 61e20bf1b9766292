// Every request the shared REST client and the CLI make is an operation the OpenAPI document describes: its method
// and path match a documented operation (path parameters in place), and every query parameter it sends is one that
// operation documents. Every method of GigafactoryClient (found by walking its prototypes, so a method added later
// is covered the day it is added) is called against a recording fetch; the CLI commands that build their own
// requests (`client.send`) run against a real local stand-in that records each request line.
import { describe, expect, it } from "vitest";
import { GigafactoryClient } from "../../src/shared/http-client.ts";
import { ApiClientBase } from "../../src/shared/http-client-base.ts";
import { openApiDocument } from "../../src/worker/openapi.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

type Param = { name: string; in: string };
type Doc = { paths: Record<string, Record<string, { parameters: Param[] }>> };
const DOC = openApiDocument() as Doc;

const OPS = Object.entries(DOC.paths).flatMap(([template, methods]) =>
  Object.entries(methods).map(([method, op]) => ({
    method: method.toUpperCase(),
    template,
    pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{\w+\\?\}/g, "[^/]+")}$`),
    query: new Set(op.parameters.filter((p) => p.in === "query").map((p) => p.name)),
  })),
);

/** Why `method url` is not a documented operation, or undefined when it is one. */
function undocumented(method: string, url: string): string | undefined {
  const u = new URL(url, "http://x");
  const op = OPS.find((o) => o.method === method && o.pattern.test(u.pathname));
  if (!op) return `${method} ${u.pathname}: no such operation in the document`;
  const extra = [...u.searchParams.keys()].filter((k) => !op.query.has(k));
  return extra.length > 0 ? `${method} ${op.template}: query ${extra.join(", ")} not documented` : undefined;
}

/** Arguments for the client methods whose arguments shape the request; the rest get ids. */
const ARGS: Record<string, unknown[]> = {
  submit: [{ markdown: "# t" }],
  action: ["job_1", "cancel"],
  listJobs: [{ stage: "queued", limit: 5, cursor: "c" }],
  listEvents: ["job_1", { after: 1, limit: 5 }],
  openEventStream: ["job_1", { after: 3 }],
  history: [{ kind: "runs", jobId: "job_1", since: 1, cursor: "c", limit: 5 }],
  deadLetters: [{ since: 1, limit: 5 }],
  artifactsPage: ["job_1", { cursor: "a.txt", limit: 100 }],
  listSerialGates: [{ limit: 5, cursor: "c" }],
  review: ["job_1", { verdict: "approve" }],
  setFactoryStatus: ["f_1", "draining"],
  heartbeat: [{ seats: 1 }],
  mintToken: [{ role: "viewer", name: "n" }],
  enroll: [{ name: "n" }],
  renewLease: ["job_1", { leaseEpoch: 1 }],
  releaseLease: ["job_1", { leaseEpoch: 1 }],
  addChildren: ["job_1", [{ title: "c" }]],
  downloadArtifact: ["job_1", "log.txt"],
};
const PLUMBING = new Set(["constructor", "send", "call", "productUrl"]);

function clientMethods(): string[] {
  const names = new Set<string>();
  for (let p = GigafactoryClient.prototype; p && p !== ApiClientBase.prototype; p = Object.getPrototypeOf(p)) {
    for (const n of Object.getOwnPropertyNames(p)) if (!PLUMBING.has(n)) names.add(n);
  }
  return [...names].sort();
}

describe("the matcher", () => {
  it("tells a documented request from an unknown path, a wrong method and an undocumented query key", () => {
    expect(undocumented("GET", "/api/v1/products/shop/jobs?stage=queued&limit=5")).toBeUndefined();
    expect(undocumented("GET", "/api/v1/products/shop/jobs/job_1/nope")).toMatch(/no such operation/);
    expect(undocumented("PUT", "/api/v1/products/shop/jobs")).toMatch(/no such operation/);
    expect(undocumented("GET", "/api/v1/products/shop/jobs?bogus=1")).toMatch(/query bogus not documented/);
  });
});

describe("the REST client's requests", () => {
  it("are all documented operations, with documented query parameters", async () => {
    const sent: Array<{ method: string; url: string }> = [];
    const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      sent.push({ method: init?.method ?? "GET", url: String(input) });
      return new Response("{}", { status: 200, headers: { "content-type": "application/json" } });
    }) as typeof globalThis.fetch;
    const client = new GigafactoryClient({ url: "http://gf.test", token: "t", product: "shop", fetch });
    const methods = clientMethods();
    const silent: string[] = [];
    for (const name of methods) {
      const before = sent.length;
      const fn = (client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]!;
      await fn.apply(client, ARGS[name] ?? ["id_1", "id_2"]).catch(() => undefined);
      if (sent.length === before) silent.push(name);
    }
    expect(methods.length).toBeGreaterThan(40);
    expect(silent, "methods that sent nothing (give them ARGS)").toEqual([]);
    expect(sent.map((s) => undocumented(s.method, s.url)).filter(Boolean)).toEqual([]);
  });
});

describe("the CLI's own requests", () => {
  it("are all documented operations, with documented query parameters", async () => {
    const stub = await stubCoordinator((_req, reply) => reply.json(200, {}));
    const lines: string[][] = [
      ["alerts"],
      ["alerts", "--state", "open"],
      ["alerts", "--ack", "al_000000000000"],
      ["health"],
      ["budget"],
      ["budget", "set", "day", "25"],
      ["budget", "pause"],
      ["budget", "resume"],
      ["metrics"],
      ["metrics", "--prometheus"],
      ["stats"],
      ["routing", "recs"],
      ["routing", "rules"],
      ["routing", "unapply", "rr_abc"],
      ["routing", "rebuild"],
      ["routing", "experiment", "show", "ex_abc"],
      ["routing", "experiment", "stop", "ex_abc"],
      ["lessons", "list"],
      ["lessons", "list", "--source", "auto", "--q", "flaky", "--archived"],
      ["lessons", "archive", "les_abc"],
      ["lessons", "restore", "les_abc"],
      ["jobs", "--stage", "queued", "--limit", "5"],
      ["history", "--kind", "runs"],
      ["dead-letters"],
      ["serial", "list"],
      ["factories"],
      ["tokens"],
      ["batch", "b_1"],
      ["queue-state"],
    ];
    for (const argv of lines) await captureCli([...argv, ...connection(stub.url, "shop"), "--json"]);
    expect(stub.lines.length).toBeGreaterThanOrEqual(lines.length);
    const wrong = stub.lines.map((l) => {
      const [method, url] = l.split(" ");
      return undocumented(method!, url!);
    });
    expect(wrong.filter(Boolean)).toEqual([]);
  });
});
