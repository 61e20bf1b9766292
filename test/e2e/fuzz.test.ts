// Fuzz: over 1,000 malformed or hostile requests, spread over every route of the REST API, are each
// answered with a problem+json 4xx (never a 5xx, a hang or a dropped connection), and after them every
// job, factory, token, feed, artifact, queue version and history row reads exactly as before, and no
// new Durable Object storage exists. Every request is invalid by construction (bad auth, wrong role, bad
// body, bad id, stale epoch, illegal move, a known idempotency key or tracker id with a changed body), so any
// other answer, and any change, is a server bug. UTF-8-heavy and astral-plane text goes everywhere, and bodies
// sit at each cap's edge in bytes (limit − 1 and limit refused by schema, limit + 1 by size); 20 concurrent
// replays of a keyed submit get one job back, and bulk items at the queue's byte limit are judged one by one.
// A barrage judges the server only: it starts on no pooled connection workerd closed for idleness meanwhile.
// FUZZ_SEED=<the seed the run prints> reproduces a run.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonBytes } from "../../src/core/bytes.ts";
import { validateManifest } from "../../src/core/manifest.ts";
import { maxItemBytes } from "../../src/worker/queues/messages.ts";
import { mulberry32 } from "../support/seeded-random.ts";
import { ADMIN, call, type Harness, P, startHarness } from "./harness.ts";
import { keepBeating, setLongLived } from "./long-lived.ts";
import { ProductClient } from "./product-client.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eedf022);
const A = "e2e-fuzz";
const B = "e2e-fuzz-other";
const RANDOM_REQUESTS = 1150;
/** 16 in flight: the barrage takes seconds on two cores, and no request waits in line into its timeout. */
const CONCURRENCY = 16;
/** A request unanswered this long counts as a hang. */
const TIMEOUT_MS = 20_000;

type Body = string | Uint8Array | (() => ReadableStream<Uint8Array>);
interface Req {
  what: string;
  method: string;
  /** Appended raw to the base URL: percent-escapes in it reach the server as written. */
  path: string;
  auth?: string;
  body?: Body;
  /** The exact status where the case pins one; otherwise any 4xx will do. */
  status?: number;
  type?: string;
  headers?: Record<string, string>;
}
const mk = (what: string, method: string, path: string, auth?: string, body?: Body, status?: number, type?: string) =>
  ({ what, method, path, auth, body, status, type: type ?? (body === undefined ? "" : "application/json") }) as Req;

const rng = mulberry32(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const rint = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
const chars = (n: number, alphabet: string) => Array.from({ length: n }, () => pick([...alphabet])).join("");
const words = (s: string) => s.trim().split(/\s+/);
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const HOSTILE = "abcXYZ019-_.~!$&'()*+,;=:@/?#[]% \"<>\\^`{|}\u00e9\u4e2d\u{1f600}\u0000\u007f";
/** Every width of UTF-8, astral-plane characters, lone surrogates (JSON escapes them) and a NUL. */
const WIDE = "é漢字\u{1f600}\u{1f469}\u200d\u{1f4bb}\u{10ffff}\ud800\udfff\u0000\ufeff";
/** WIDE without its NUL: what a title may hold (a control character in one is a 400 before any key is looked at). */
const WIDE_TITLE = WIDE.replace("\u0000", "");
const KEYED = { key: "fuzz-key-1", title: "keyed" };
const TRACKED = { source: "github", externalId: "fuzz-1", title: "tracked", body: "original" };
const json = (x: unknown) => JSON.stringify(x);
const pad = (n: number) => "x".repeat(n);
const bearer = (t: string) => `Bearer ${t}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** `base` with `key` set to the raw JSON `src`, appended last (of a duplicate key, JSON.parse keeps the last). */
const withField = (base: object, key: string, src: string) =>
  `${json(base).slice(0, -1)}${Object.keys(base).length ? "," : ""}${json(key)}:${src}}`;
/** Sent chunked, with no Content-Length: only the server's running byte count can stop it. */
const stream = (bytes: number) => () =>
  new ReadableStream<Uint8Array>({
    pull(c) {
      c.enqueue(new Uint8Array(Math.min(16_384, bytes)).fill(0x78));
      bytes -= 16_384;
      if (bytes <= 0) c.close();
    },
  });

const ACTIONS = words("requeue cancel ship approve reject");
const BAD_ACTIONS = words("delete APPROVE approve%20 __proto__ constructor toString ship%00 cancel%2F");
/** Who may call a route; `upload` is an operator, or the factory holding the job's lease. */
type Role = "viewer" | "operator" | "admin" | "factory" | "enrollment" | "upload";
const ROUTES = `POST /jobs operator; GET /jobs viewer; GET /jobs/:job viewer; GET /jobs/:job/explain viewer;
  GET /jobs/:job/runs viewer; POST /jobs/:job/actions/:action operator; POST /claim factory; PATCH /jobs/:job factory;
  POST /jobs/:job/lease/renew factory; POST /jobs/:job/lease/release factory; POST /factories/heartbeat factory;
  GET /factories/connect factory; POST /factories/enroll enrollment; POST /factories/enrollment-codes operator;
  GET /factories viewer; GET /factories/:fac viewer; POST /factories/:fac/status operator; DELETE /factories/:fac operator;
  POST /factories/:fac/capabilities/approve operator; POST /factories/:fac/token/rotate operator; POST /factories/:fac/token/revoke operator; POST /tokens admin;
  GET /tokens admin; DELETE /tokens/:tok admin; GET /queue-state viewer; GET /history viewer; GET /dead-letters operator;
  POST /jobs:batch operator; POST /tracker/ingest operator; GET /jobs/:job/events viewer; GET /jobs/:job/events/ws viewer;
  GET /jobs/:job/events/stream viewer; POST /jobs/:job/events/ticket viewer; GET /jobs/:job/artifacts viewer;
  POST /jobs/:job/artifacts?name=a.txt upload; GET /jobs/:job/artifacts/:name viewer;
  DELETE /jobs/:job/artifacts/:name operator`
  .split(";")
  .map((line) => words(line) as [string, string, Role]);

/** Not JSON, or JSON no schema takes (10k-deep arrays, 5k-deep unknown keys), or not UTF-8. */
const MALFORMED: Body[] = [
  ...`{"leaseEpoch": 1 | {"a": 1}} | {"a": 1} trailing | {"leaseEpoch": NaN} | {"leaseTtlSeconds": Infinity}
    | {'single': 1} | {"a": 1,} | [1, 2, | nul | undefined | {"n": 01} | {"s": "\\x41"} | // comment\n{} | \uFEFF{
    | \uFEFF\uFEFF{}`.split(/\n? +\| /),
  `${"[".repeat(10_000)}${"]".repeat(10_000)}`,
  "[".repeat(20_000),
  `${'{"a":'.repeat(5000)}1${"}".repeat(5000)}`,
  ...["fffe7b7d", "7b226e223a22c328227d", "eda080", "007b"].map((hex) => Uint8Array.from(Buffer.from(hex, "hex"))),
];

/** Markdown manifests the YAML-subset parser, the manifest schema or the coordinator must refuse. */
const BAD_MARKDOWN = [
  ...`just prose: no frontmatter, no heading | ---\ntitle: never closed\n | ---\ntitle: x\npriority: urgent\n---\n
    | ---\n\ttitle: tabbed\n---\n | ---\ntitle: a\ntitle: b\n---\n | ---\ntitle: x\nrequires: [[nested]]\n---\n
    | ---\ntitle: x\nowner: me\n---\n | ---\ntitle: 'unterminated\n---\n | ---\ntitle: "bad \\q escape"\n---\n
    | ---\n  title: indented\n---\n | ---\ntitle: x\nbudget:\n  usd: -5\n---\n | ---\n__proto__: x\ntitle: y\n---\n
    | ---\ntitle: x\nrequires:\n  - os:linux\n    - deeper\n---\n | ---\ntitle: x\ndeps: [job_does_not_exist]\n---\n
    | ---\ntitle: x\nparentId: job_missing\n---\n | ---\ntitle: x\nrequires: {a: 1}\n---\n | ---\ntitle:\n---\n
    | \`\`\`\n# a comment in a fence is no title\n\`\`\`\n | ---\r\ntitle: crlf\r\npriority: urgent\r\n---\r\n
    | \uFEFF---\ntitle: x\nkind: epic\n---\n`.split(/\n? +\| /),
  "",
  `# ${pad(10_000)}\n`,
  `---\ntitle: x\nrequires: [${Array.from({ length: 1000 }, (_, i) => `cap${i}`).join(", ")}]\n---\n`,
];

const BAD_IDS = [
  ...words("..%2F..%2Fetc%2Fpasswd %C3%BC \u00fc %00 job%00 a%20b %E0%A4%A % %25 job%2Fx \u{1f600} a+b a;b a'b"),
  ...["%0d%0aSet-Cookie:x", pad(65), pad(3000)],
];
const BAD_PRODUCTS = [...words("UPPER -start a_b %C3%A9t%C3%A9 %00 a%2Fb e2e-fuzz%20 e2e.fuzz"), pad(64)];

type World = Awaited<ReturnType<typeof setup>>;

/**
 * Product A: operator, viewer and a revoked viewer token; a live and a used-up enrollment code; factory
 * fa1 holding job `leased` (building, an hour's lease: it cannot expire mid-test) and kept up by heartbeats (their
 * stop pushed on `stops`, also when the set-up fails), idle fa2, revoked fa3; jobs `queued`, `blocked` (on `leased`)
 * and `cancelled`; a feed ticket for `leased`. Product B: an operator, factory fb1 and one job, for cross-product
 * attempts.
 */
async function setup(url: string, stops: Array<() => void>) {
  const must = async <T>(method: string, path: string, body?: unknown, token = ADMIN, status = 200): Promise<T> => {
    const r = await call<T>(url, method, path, token, body);
    if (r.status !== status) throw new Error(`setup ${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  type Secret = { id: string; factoryId: string; token: string; code: string; ticket: string };
  const enroll = (p: string, name: string, token = ADMIN) =>
    must<Secret>("POST", `${P(p)}/factories/enroll`, { name }, token, 201);
  const mint = (p: string, role: string) => must<Secret>("POST", `${P(p)}/tokens`, { role, name: role }, ADMIN, 201);
  const code = async () => (await must<Secret>("POST", `${P(A)}/factories/enrollment-codes`, {}, ADMIN, 201)).code;
  const submit = async (p: string, title: string, more = {}) =>
    (await must<{ id: string }>("POST", `${P(p)}/jobs`, { manifest: { title, ...more } }, ADMIN, 201)).id;

  const [fa1, fa2, fa3, fb1] = await Promise.all([
    enroll(A, "fa1"),
    enroll(A, "fa2"),
    enroll(A, "fa3"),
    enroll(B, "fb1"),
  ]);
  const [op, viewer, gone, opB] = await Promise.all([
    mint(A, "operator"),
    mint(A, "viewer"),
    mint(A, "viewer"),
    mint(B, "operator"),
  ]);
  const [liveCode, usedCode] = await Promise.all([code(), code()]);
  await enroll(A, "fa4", usedCode);
  await must("POST", `${P(A)}/factories/${fa3.factoryId}/token/revoke`);
  await must("DELETE", `${P(A)}/tokens/${gone.id}`);
  // The file outlives a minute on a loaded box, and the product's timers would change A meanwhile, which every
  // snapshot compares (red with a 70 s pause: the claim's 3600 s granted the default 60 s, the lease lapsed — the job
  // requeued, fa1 excluded and its breaker counting it; fa1 silent for 60 s went down — `connected` false, the queued
  // jobs' reason no_factory_connected): the longest lease, and fa1 beats (long-lived.ts).
  await setLongLived(new ProductClient(url, A));
  stops.push(keepBeating(new ProductClient(url, A), () => [fa1.token]));
  const leased = await submit(A, "leased");
  type Claimed = { job: { id: string }; lease: { leaseEpoch: number } };
  const claim = await must<Claimed>("POST", `${P(A)}/claim`, { leaseTtlSeconds: 3600 }, fa1.token);
  if (claim.job.id !== leased) throw new Error("setup: fa1 claimed the wrong job");
  const epoch = claim.lease.leaseEpoch;
  await must("PATCH", `${P(A)}/jobs/${leased}`, { leaseEpoch: epoch, stage: "building" }, fa1.token);
  const [queued, blocked, cancelled, other] = await Promise.all([
    submit(A, "queued"),
    submit(A, "blocked", { deps: [leased] }),
    submit(A, "cancelled"),
    submit(B, "other"),
  ]);
  await must("POST", `${P(A)}/jobs/${cancelled}/actions/cancel`, {});
  // A job under an idempotency key and one from a tracker item: the same keys with changed bodies must be 409s.
  const keyed = await submit(A, "keyed", { idempotencyKey: KEYED.key });
  await must("POST", `${P(A)}/tracker/ingest`, TRACKED, ADMIN, 202);
  for (const deadline = Date.now() + 30_000; ; await sleep(100)) {
    const { jobs } = await must<{ jobs: Array<{ title: string }> }>("GET", `${P(A)}/jobs?limit=500`);
    if (jobs.some((j) => j.title === TRACKED.title)) break;
    if (Date.now() > deadline) throw new Error("setup: the tracker item never became a job");
  }
  const { ticket } = await must<Secret>("POST", `${P(A)}/jobs/${leased}/events/ticket`, {}, viewer.token, 201);
  const tok = { op, viewer, holder: fa1, idle: fa2, gone, revokedFactory: fa3, otherFactory: fb1, otherOp: opB };
  return {
    epoch,
    ticket,
    job: { leased, queued, blocked, cancelled, other, keyed },
    fac: { holder: fa1.factoryId, idle: fa2.factoryId, revoked: fa3.factoryId, other: fb1.factoryId },
    tok: {
      ...(Object.fromEntries(Object.entries(tok).map(([k, v]) => [k, v.token])) as Record<keyof typeof tok, string>),
      ...{ code: liveCode, usedCode },
    },
    tokId: { op: op.id, viewer: viewer.id, otherOp: opB.id },
  };
}

/**
 * Each route that reads a JSON body, with credentials and a target good enough that only the body can be
 * wrong, and per field the raw JSON values (space-separated) its schema refuses.
 */
function bodyRoutes(w: World, p: string) {
  const mine = p === A;
  const [holder, op, job, e] = mine
    ? [w.tok.holder, w.tok.op, w.job.leased, w.epoch]
    : [w.tok.otherFactory, w.tok.otherOp, w.job.other, 0];
  const [fac, long] = [mine ? w.fac.idle : w.fac.other, (n: number) => json(pad(n))];
  const ttl = `0 4 3601 -5 5.5 "60" null [] {} true 1e309 -1e309 1e20`;
  const epoch = `-1 1.5 "${e}" null [] {} 9007199254740992 1e309 true`;
  const capabilities = `"os:linux" [""] ["-x"] [1] [null] ${json(Array(65).fill("a"))} ${json([pad(70)])}`;
  const seats = `0 65 1.5 "2" -1 null 1e309`;
  const action = { reviewer: `"" 5 [] ${long(401)}`, note: `1 {} ${long(16_001)}` };
  const enroll = { name: `"" "-x" "a/b" 5 null ${long(65)}`, capabilities, seats };
  const mint = { role: `"admin" "factory" "" null`, name: `"" 1 ${long(401)}` };
  const items = `[] "x" null {} [{}] [null] [{"markdown":""}] [{"markdown":1}] [{"manifest":"x"}] [{"markdown":"#","x":1}]`;
  const batch = { items: `${items} ${json(Array(10_001).fill({ markdown: "# t" }))}` };
  // Engine "Claude", repo "" and serialKey "" pass the ingest schema, and the manifest schema refuses them.
  const tracker = {
    ...{ source: `"" "GitHub" "-x" 1 ${long(33)}`, externalId: `"" 1 ${long(513)}`, title: `"" null ${long(801)}` },
    ...{ body: "1 null", priority: `"urgent"`, requires: `["-x"] "a"`, engine: `"Claude" ${long(33)}` },
    ...{ repo: `"" ${long(501)}`, serialKey: `"" ${long(801)}` },
  };
  const patch = {
    leaseEpoch: epoch,
    stage: `"nope" "" 1 null "BUILDING" ["building"]`,
    checkpoint: `"main" {"sha":"XYZ1234"} {"sha":"abc"} {"branch":""} {"x":1} [] {"note":${long(8001)}}`,
    progress: `{"pct":101} {"pct":-0.1} {"pct":"5"} {"note":4} {"eta":1} 5`,
    result: `{} {"outcome":"win"} {"outcome":"success","rc":1025} {"outcome":"success","rc":1.5} {"retryable":"no"}`,
    insights: `{"tokensIn":-1} {"costUsd":1e7} {"diffStat":{"files":1}} {"tokensOut":1e13} {"x":1}`,
  };
  const table: Array<[string, string, string, object, Record<string, string>]> = [
    ["POST", `/jobs/${job}/actions/${pick(ACTIONS)}`, op, {}, action],
    ["POST", "/claim", holder, {}, { leaseTtlSeconds: ttl }],
    ["POST", "/factories/heartbeat", holder, {}, { capabilities, seats }],
    ["POST", `/jobs/${job}/lease/renew`, holder, { leaseEpoch: e }, { leaseEpoch: epoch, leaseTtlSeconds: ttl }],
    ["POST", `/jobs/${job}/lease/release`, holder, { leaseEpoch: e }, { leaseEpoch: epoch }],
    ["POST", "/factories/enroll", mine ? pick([op, w.tok.code]) : op, { name: "fuzz-new" }, enroll],
    ["POST", "/factories/enrollment-codes", op, {}, { ttlSeconds: `59 604801 "3600" 1.5 null -1 1e309` }],
    ["POST", `/factories/${fac}/status`, op, { status: "active" }, { status: `"revoked" 1 null` }],
    ["POST", `/factories/${fac}/capabilities/approve`, op, {}, { capabilities, seatLimit: seats }],
    ["POST", "/tokens", ADMIN, { role: "viewer", name: "x" }, mint],
    ["POST", "/jobs:batch", op, { items: [{ markdown: "# t" }] }, batch],
    ["POST", "/tracker/ingest", op, { source: "github", externalId: "1", title: "t" }, tracker],
    ["PATCH", `/jobs/${job}`, holder, { leaseEpoch: e }, patch],
  ];
  return table.map(([method, sub, t, base, fields]) => ({
    method,
    path: `${P(p)}${sub}`,
    auth: bearer(t),
    base,
    fields,
  }));
}

/** Per manifest field, raw JSON values the schema (or, for deps and parents, the coordinator) refuses. */
const badManifestFields = (w: World): Record<string, string> => ({
  title: `"" 5 null ["x"] ${json(pad(10_000))}`,
  priority: `"urgent" "HIGH" 1`,
  requires: `["-bad"] "os:linux" [""] ${json(Array.from({ length: 1000 }, (_, i) => `cap${i}`))}`,
  ...{ prefers: "[1] {}", engine: `"Claude" ${json(pad(40))}`, repo: `"" ${json(pad(501))}` },
  budget: `{"usd":-1} {"usd":0} {"wallSeconds":604801} {"tokens":1.5} {"gpus":1} "5"`,
  deps: `["job_nope"] ["../x"] "x" ${json([w.job.other])} ${json(Array.from({ length: 101 }, (_, i) => `j${i}`))}`,
  parentId: `"job_missing" "a/b" "${w.job.other}"`,
  ...{ depsMode: `"some"`, maxAttempts: "0 21 1.5", serialKey: `""`, idempotencyKey: `"" ${json(pad(801))}` },
  ...{ reviewers: "-1 11", onReject: `"retry"`, kind: `"epic"`, titel: `"typo"` },
});

/** UTF-8 bytes of a string, as the server counts body caps. */
const bytesOf = (s: string) => Buffer.byteLength(s, "utf8");
/** `prefix + fill + suffix` of exactly `bytes` UTF-8 bytes, the fill mostly astral (4-byte) characters. */
function exactly(bytes: number, prefix: string, suffix: string): string {
  const n = bytes - bytesOf(prefix + suffix);
  return `${prefix}${"\u{1f600}".repeat(Math.floor(n / 4))}${["", "a", "é", "漢"][n % 4]}${suffix}`;
}

/**
 * Requests about text and sizes: at each body cap, in bytes, limit − 1 and limit with a bad field (400) and limit + 1
 * (413); wide text in fields that refuse it; a known idempotency key or tracker id with a changed body (409).
 */
function unicodeRequests(w: World, a: string): Req[] {
  const { op, holder } = w.tok;
  const out: Req[] = [];
  // [route, token, content type, cap in bytes (src/worker/validate.ts), JSON before and after the fill]
  const caps: Array<[string, string, string, string, number, string, string]> = [
    ["POST", "/claim", holder, "application/json", 64 * 1024, '{"leaseTtlSeconds":"', '"}'],
    ["PATCH", `/jobs/${w.job.leased}`, holder, "application/json", 64 * 1024, '{"leaseEpoch":"', '"}'],
    ["POST", "/tokens", ADMIN, "application/json", 64 * 1024, '{"name":"x","role":"', '"}'],
    ["POST", "/jobs", op, "application/json", 256 * 1024 + 4096, '{"manifest":{"title":"t","priority":"', '"}}'],
    ["POST", "/jobs", op, "text/markdown", 256 * 1024, "---\ntitle: x\npriority: urgent\n---\n", ""],
  ];
  for (const [method, path, tok, type, cap, before, after] of caps) {
    for (const d of [-1, 0, 1]) {
      const body = exactly(cap + d, before, after);
      out.push(
        mk(
          `cap${d === 1 ? "+1" : d === 0 ? "" : "-1"}`,
          method,
          `${a}${path}`,
          bearer(tok),
          body,
          d > 0 ? 413 : 400,
          type,
        ),
      );
    }
  }
  const wide = (n: number) => chars(n, WIDE);
  for (let i = 0; i < 60; i++) {
    const [method, path, tok, body, status] = pick<[string, string, string, unknown, number]>([
      // Too long in bytes for the title (800 bytes of UTF-8: 804 here, in only 402 UTF-16 units).
      ["POST", "/jobs", op, { manifest: { title: "\u{1f600}".repeat(201) } }, 400],
      ["POST", "/jobs", op, { manifest: { title: "t", requires: [wide(rint(1, 8))] } }, 400],
      ["POST", "/jobs", op, { manifest: { title: "t", [wide(rint(1, 8))]: wide(rint(0, 50)) } }, 400],
      ["POST", "/jobs", op, { markdown: `---\ntitle: ${wide(rint(1, 40))}\n${wide(rint(1, 8))}: x\n---\n` }, 400],
      ["POST", "/tracker/ingest", op, { ...TRACKED, source: wide(rint(1, 8)) }, 400],
      ["POST", "/tracker/ingest", op, { ...TRACKED, externalId: "\u{1f600}".repeat(129) }, 400],
      ["POST", "/jobs:batch", op, { items: [{ markdown: wide(rint(1, 50)), [wide(2)]: 1 }] }, 400],
      ["PATCH", `/jobs/${w.job.leased}`, holder, { leaseEpoch: w.epoch, [wide(rint(1, 8))]: wide(rint(0, 99)) }, 400],
      // A known key or tracker id with a changed body: 409, and the first job stays as it was.
      [
        "POST",
        "/jobs",
        op,
        { manifest: { title: KEYED.title, idempotencyKey: KEYED.key }, bodyMd: wide(rint(1, 400)) },
        409,
      ],
      ["POST", "/jobs", op, { manifest: { title: chars(rint(1, 50), WIDE_TITLE), idempotencyKey: KEYED.key } }, 409],
      ["POST", "/tracker/ingest", op, { ...TRACKED, body: wide(rint(1, 400)) }, 409],
      ["POST", "/tracker/ingest", op, { ...TRACKED, title: `${TRACKED.title} ${chars(rint(1, 20), WIDE_TITLE)}` }, 409],
    ]);
    out.push(mk("unicode", method, `${a}${path}`, bearer(tok), json(body), status));
  }
  // The Idempotency-Key header names the keyed job too (a header is Latin-1: no wide text there).
  const headed = mk("header-key", "POST", `${a}/jobs`, bearer(op), json({ manifest: { title: "changed" } }), 409);
  out.push({ ...headed, headers: { "idempotency-key": KEYED.key } });
  return out;
}

function buildRequests(w: World): Req[] {
  const { leased, queued, blocked, cancelled, other } = w.job;
  const { op, viewer, holder, idle, code } = w.tok;
  const [a, e] = [P(A), w.epoch];
  const fill = (template: string, p: string) =>
    template
      .replace(":job", p === A ? pick([leased, queued, blocked, cancelled]) : other)
      .replace(":fac", p === A ? pick([w.fac.holder, w.fac.idle, w.fac.revoked]) : w.fac.other)
      .replace(":tok", p === A ? pick([w.tokId.op, w.tokId.viewer]) : w.tokId.otherOp)
      .replace(":action", pick(ACTIONS))
      .replace(":name", "a.txt");
  // A body the route would accept, so that only the credentials are at fault.
  const plausible = (method: string, path: string): string | undefined => {
    if (method === "GET") return undefined;
    if (path.endsWith("/jobs")) return json({ manifest: { title: "only the credentials are wrong" } });
    if (path.endsWith("/enroll")) return json({ name: "intruder" });
    if (path.endsWith("/status")) return json({ status: "quarantined" });
    if (path.endsWith("/tokens")) return json({ role: "operator", name: "intruder" });
    if (path.endsWith(":batch")) return json({ items: [{ markdown: "# intruder" }] });
    if (path.endsWith("/ingest")) return json({ source: "github", externalId: "1", title: "intruder" });
    if (path.includes("/artifacts?")) return "artifact bytes";
    return /\/lease\/|\/jobs\/[^/]+$/.test(path) ? json({ leaseEpoch: e, stage: "testing" }) : "{}";
  };
  // Missing, malformed, unknown (also of products nobody created), revoked, used up → 401; another product's → 403.
  const badAuth = (p: string): [string | undefined, number] => {
    const s = chars(43, B64URL);
    const gf = [
      ...[`gf_${p}_${s}`, `gfe_${p}_${s}`, `gf_${p}_${s.slice(1)}`, `gf_${p.toUpperCase()}_${s}`],
      ...[`gf_ghost-${chars(8, "xyz")}_${s}`, `gfe_ghost-${chars(8, "xyz")}_${s}`, w.tok.usedCode],
    ];
    const unknown = [...gf, pad(600), w.tok.gone, w.tok.revokedFactory, `${ADMIN}x`, `${ADMIN} extra`].map(bearer);
    unknown.push(`Basic ${btoa(`admin:${ADMIN}`)}`, "Bearer", ADMIN, bearer(chars(rint(1, 99), `${B64URL}!$%&*~.`)));
    const foreign = p === A ? [w.tok.otherFactory, w.tok.otherOp] : [holder, op];
    return rng() < 0.1 ? [undefined, 401] : rng() < 0.8 ? [pick(unknown), 401] : [bearer(pick(foreign)), 403];
  };
  const wrongRole: Record<Role, string[]> = {
    ...{ viewer: [code], operator: [viewer, holder, idle, code], admin: [op, viewer, holder, code] },
    ...{ factory: [ADMIN, op, viewer, code], enrollment: [viewer, holder, idle], upload: [viewer, code] },
  };
  const generators: Array<() => Req> = [
    // Bad credentials on any route, with a body the route would otherwise take.
    () => {
      const [p, [method, template]] = [pick([A, A, B]), pick(ROUTES)];
      const [path, [auth, status]] = [`${P(p)}${fill(template, p)}`, badAuth(p)];
      return mk("auth", method, path, auth, plausible(method, path), status);
    },
    // Real credentials, wrong role: an enrollment code only enrolls, viewers and factories do not operate, ….
    () => {
      const [method, template, role] = pick(ROUTES);
      const path = `${a}${fill(template, A)}`;
      return mk("role", method, path, bearer(pick(wrongRole[role])), plausible(method, path), 403);
    },
    // Malformed JSON, a content type that is not JSON, or no body where one is required.
    () => {
      const r = pick(bodyRoutes(w, pick([A, B])));
      const k = rint(0, 5);
      const type = pick(words("text/plain application/x-www-form-urlencoded multipart/form-data application/jsonp"));
      if (k === 0) return mk("content-type", r.method, r.path, r.auth, '{"x":1}', 415, type);
      if (k === 1 && Object.keys(r.base).length) return mk("empty", r.method, r.path, r.auth, pick(["", " \n"]), 400);
      const jsonType = pick(["application/json", "application/json; charset=utf-8", "application/problem+json"]);
      return mk("malformed", r.method, r.path, r.auth, pick(MALFORMED), 400, jsonType);
    },
    // Wrong types, out-of-range values and unknown fields, one field at a time; or not an object at all.
    () => {
      const r = pick(bodyRoutes(w, pick([A, A, B])));
      const [key, bad] = pick(Object.entries(r.fields));
      const unknown = withField(r.base, pick(words("extra factoryId productId Stage leaseepoch id")), "1");
      const [u, wrongShape] = [rng(), pick(words(`null 1 "str" [] true [{}] ${json([r.base])}`))];
      const body = u < 0.15 ? wrongShape : u < 0.3 ? unknown : withField(r.base, key, pick(words(bad)));
      return mk("field", r.method, r.path, r.auth, body, 400);
    },
    // Submissions: a JSON manifest with one bad field, bad markdown (as text and in JSON), bad shapes.
    () => {
      const auth = bearer(pick([op, ADMIN]));
      const [[field, bad], md] = [pick(Object.entries(badManifestFields(w))), pick(BAD_MARKDOWN)];
      const manifest = `{"manifest":${withField({ title: "t" }, field, pick(words(bad)))}}`;
      const shape = pick(
        words(`{"markdown":1} {"manifest":"x"} {"manifest":[]} {"manifest":null} {"bodyMd":""} {}
        {"markdown":"#t","manifest":{}} {"manifest":{"title":"t"},"bodyMd":5} {"manifest":{"title":"t"},"x":1}`),
      );
      const k = rint(0, 4);
      if (k === 0) return mk("manifest", "POST", `${a}/jobs`, auth, manifest, 400);
      if (k === 1) return mk("markdown", "POST", `${a}/jobs`, auth, md, 400, pick(["text/markdown", "text/plain"]));
      if (k === 2) return mk("markdown", "POST", `${a}/jobs`, auth, json({ markdown: md }), 400);
      if (k === 3) return mk("submit-shape", "POST", `${a}/jobs`, auth, shape, 400);
      // A valid manifest with a bad Idempotency-Key header: too long, or contradicting the manifest's own key.
      const [key, body] = pick([
        [pad(801), { title: "t" }], // over the 800 bytes a key may have, in the header as in the manifest
        ["k1", { title: "t", idempotencyKey: "k2" }],
      ] as const);
      const r = mk("idempotency", "POST", `${a}/jobs`, auth, json({ manifest: body }), 400);
      return { ...r, headers: { "idempotency-key": key } };
    },
    // Bad or unknown ids, artifact names and actions in paths, and bad product ids, with credentials that would
    // otherwise do. (`job_nope` and the other product's ids are well-formed but do not exist here.)
    () => {
      const [method, template, role] = pick(ROUTES);
      const bogus = [...BAD_IDS, encodeURIComponent(chars(rint(3, 80), HOSTILE)), "job_nope", "fac_nope", "tok_nope"];
      const badProduct = !template.includes(":") || rng() < 0.15;
      const [badAction, badName] = [
        template.includes(":action") && rng() < 0.5,
        template.includes(":name") && rng() < 0.5,
      ];
      const id = badAction || badName ? queued : pick([...bogus, other, w.fac.other, w.tokId.otherOp]);
      const name = badName ? pick([...BAD_IDS, ".hidden", pad(129)]) : "a.txt";
      const action = pick(badAction ? BAD_ACTIONS : ACTIONS);
      const sub = template
        .replace(/:(job|fac|tok)/, id)
        .replace(":action", action)
        .replace(":name", name);
      const tok = badProduct
        ? ADMIN
        : { admin: ADMIN, factory: holder, operator: op, upload: op, viewer, enrollment: code }[role];
      const body =
        role === "factory" ? json({ leaseEpoch: e }) : template.endsWith("status") ? '{"status":"draining"}' : "{}";
      const path = `${P(badProduct ? pick(BAD_PRODUCTS) : A)}${sub}`;
      return mk(badProduct ? "bad-product" : "bad-id", method, path, bearer(tok), method === "GET" ? undefined : body);
    },
    // Bad query strings on the routes that read one.
    () => {
      const cursors = ["x:y", "1:", "9007199254740993:a"].map((c) => `cursor=${encodeURIComponent(btoa(c))}`);
      const forged = `${btoa(json({ p: A, j: leased, exp: 9e15 }))}.${chars(43, B64URL)}`;
      const queries: Array<[string, string, string]> = [
        [
          "jobs",
          viewer,
          `limit=0 limit=501 limit=-1 limit=abc limit=1.5 limit= limit=1e999 stage=nope stage=QUEUED
          stage= cursor= cursor=!!! cursor=%E0%A4%A cursor=${pad(201)} foo=1 limit=10&extra= limit=1&limit=2 ${cursors.join(" ")}`,
        ],
        [
          "history",
          viewer, // not a factory: history and the audit log are refused to factory tokens (403)
          `kind=nope kind= jobId=..%2Fx jobId=${pad(65)} since=-1 since=abc since=1.5 since=1e999
          limit=0 limit=501 limit=abc page=2 kind=audit&order=desc`,
        ],
        ["dead-letters", op, "since=-1 since=x limit=0 limit=501 limit= after=1"],
        [`jobs/${leased}/events`, viewer, "after=-1 after=abc after=1e999 limit=0 limit=501 cursor=1 after=0&after=9"],
        [
          `jobs/${leased}/events/${pick(["ws", "stream"])}`,
          viewer,
          `after=-1 after=x ticket= ticket=${pad(513)} foo=1`,
        ],
        [`jobs/${leased}/artifacts`, op, `name=..%2Fx name=.x name= name=${pad(129)} name=a.txt&leaseEpoch=-1 x=1`],
      ];
      const [route, tok, qs] = pick(queries);
      const method = route.endsWith("artifacts") ? "POST" : "GET";
      const r = mk(
        "query",
        method,
        `${a}/${route}?${pick(words(qs))}`,
        bearer(tok),
        method === "GET" ? undefined : "x",
        400,
      );
      // A feed opened with a forged ticket, or a real one for another job or product, and no header: 401.
      if (rng() < 0.15) {
        const [job, ticket] = pick([
          [leased, forged],
          [queued, w.ticket],
          [leased, `${w.ticket}x`],
        ] as const);
        const path = `${P(job === leased && rng() < 0.3 ? B : A)}/jobs/${job}/events/${pick(["ws", "stream"])}`;
        return mk("ticket", "GET", `${path}?ticket=${encodeURIComponent(ticket)}`, undefined, undefined, 401);
      }
      return r;
    },
    // Requests whose only fault is the state they meet: stale or foreign lease epochs, stages a factory may not
    // report, operator moves the stage table forbids, a taken factory name, a revoked factory. 409.
    () => {
      const [stale, renewOrRelease, unleased] = [
        pick([e - 1, e + 1, e + 1000]),
        pick(["renew", "release"]),
        pick([queued, blocked, cancelled]),
      ];
      const illegalReport = pick(words("queued assigned blocked shipped cancelled dead_letter review"));
      const upload = `/jobs/${leased}/artifacts?name=a.txt&leaseEpoch=`;
      const [method, path, tok, body] = pick<[string, string, string, object | string]>([
        ["PATCH", `/jobs/${leased}`, holder, { leaseEpoch: stale, stage: "testing", progress: { pct: 50 } }],
        ["POST", `/jobs/${leased}/lease/${renewOrRelease}`, holder, { leaseEpoch: stale }],
        ["PATCH", `/jobs/${leased}`, idle, { leaseEpoch: e, stage: "testing" }],
        ["POST", `/jobs/${leased}/lease/${renewOrRelease}`, idle, { leaseEpoch: e }],
        ["PATCH", `/jobs/${unleased}`, holder, { leaseEpoch: 0, stage: "building" }],
        ["POST", `/jobs/${unleased}/lease/${renewOrRelease}`, holder, { leaseEpoch: 0 }],
        ["PATCH", `/jobs/${leased}`, holder, { leaseEpoch: e, stage: illegalReport, progress: { pct: 99 } }],
        ["POST", `${upload}${stale}`, holder, "artifact bytes"],
        ["POST", `${upload}${e}`, idle, "artifact bytes"],
        ["POST", `/jobs/${pick([leased, queued, blocked, cancelled])}/actions/${pick(["approve", "ship"])}`, op, {}],
        ["POST", `/jobs/${pick([queued, cancelled])}/actions/requeue`, ADMIN, { note: "n" }],
        ["POST", `/jobs/${cancelled}/actions/cancel`, op, {}],
        ["POST", `/jobs/${unleased}/actions/reject`, op, { reviewer: "r" }],
        ["POST", "/factories/enroll", pick([op, code]), { name: "fa1" }],
        // Rotate takes no body (a body is refused as 400 before the state is read): only `status` gets one.
        pick<[string, string, string, object | string]>([
          ["POST", `/factories/${w.fac.revoked}/status`, ADMIN, { status: "active" }],
          ["POST", `/factories/${w.fac.revoked}/token/rotate`, ADMIN, ""],
        ]),
      ]);
      const raw = typeof body === "string" ? body : json(body);
      return mk("conflict", method, `${a}${path}`, bearer(tok), raw, 409);
    },
  ];
  const reqs = Array.from({ length: RANDOM_REQUESTS }, () => pick(generators)());

  // Bodies over the caps with a declared length: 413, whatever they say.
  const huge: Array<[string, string, string, string, string?]> = [
    ["POST", "/jobs", op, json({ manifest: { title: "big" }, bodyMd: pad(300 * 1024) })],
    ["POST", "/jobs", op, `# big\n${pad(300 * 1024)}`, "text/markdown"],
    ["POST", "/jobs:batch", op, json({ items: [{ markdown: `# big\n${pad(9 << 20)}` }] })],
    ["PATCH", `/jobs/${leased}`, holder, json({ leaseEpoch: e, progress: { note: pad(70 * 1024) } })],
    ["POST", "/claim", holder, json({ leaseTtlSeconds: 60, pad: pad(70 * 1024) })],
    ["POST", "/factories/heartbeat", holder, json({ capabilities: Array(9000).fill("os:linux") })],
    ["POST", `/jobs/${leased}/lease/release`, holder, json({ leaseEpoch: e, x: pad(70 * 1024) })],
    ["POST", "/factories/enroll", code, json({ name: "big", capabilities: Array(9000).fill("os:linux") })],
    ["POST", `/factories/${w.fac.idle}/status`, op, json({ status: "draining", x: pad(70 * 1024) })],
    ["POST", "/tokens", ADMIN, json({ role: "viewer", name: pad(70 * 1024) })],
    // A tracker item is read up to its manifest's 256 KiB, then bounded by one queue message (~100 KiB): over that, 413.
    ["POST", "/tracker/ingest", op, json({ source: "github", externalId: "1", title: "t", body: pad(130 * 1024) })],
    ["POST", "/tracker/ingest", op, json({ source: "github", externalId: "2", title: "t", body: pad(400 * 1024) })],
    ["POST", `/jobs/${queued}/actions/cancel`, op, json({ note: pad(70 * 1024) })],
  ];
  for (const [method, path, tok, body, type] of huge)
    reqs.push(mk("huge", method, `${a}${path}`, bearer(tok), body, 413, type));
  reqs.push(...unicodeRequests(w, a));
  // Exposed every run, not left to the dice: a `__proto__` key must be refused like any other unknown manifest key
  // (the markdown parser refuses it), and an artifact of a job that does not exist must not create its feed.
  const proto = '{"manifest":{"title":"proto","__proto__":{"priority":"critical"}}}';
  reqs.push(mk("manifest", "POST", `${a}/jobs`, bearer(op), proto, 400));
  reqs.push(mk("bad-id", "GET", `${a}/jobs/job_nope/artifacts/a.txt`, bearer(viewer), undefined, 404));
  reqs.push(mk("bad-id", "DELETE", `${a}/jobs/job_nope2/artifacts/a.txt`, bearer(op), undefined, 404));
  // Routes that do not exist, outside and inside a product: a problem+json 404 too; a routed path with a method it
  // does not take: 405 (worker/method-not-allowed).
  const noRoute = `GET /api/v1/nope; GET /api/v2/products/${A}/jobs; GET ${a}; GET ${a}/jobs/${queued}/nope`;
  for (const [method, path] of noRoute.split(";").map(words))
    reqs.push(mk("no-route", method!, path!, bearer(ADMIN), undefined, 404));
  const noMethod = `POST /api/v1/health; DELETE /api/v1/openapi.json; PUT ${a}/jobs; POST ${a}/factories;
    PATCH ${a}/jobs:batch`;
  for (const [method, path] of noMethod.split(";").map(words))
    reqs.push(mk("no-method", method!, path!, bearer(ADMIN), undefined, 405));
  // Random bytes (invalid UTF-8 by construction: the first is 0xFF) with random methods to known paths;
  // routes that act without reading a body (rotate, revoke, deregister, artifact upload) are left out.
  const known = words(`/jobs /jobs/${leased} /jobs/${queued}/actions/cancel /jobs/${leased}/actions/requeue /claim
    /jobs/${leased}/lease/renew /jobs/${leased}/lease/release /factories/heartbeat /factories/enroll /tokens
    /factories/${w.fac.idle}/status /queue-state /history /factories /jobs:batch /tracker/ingest /factories/enrollment-codes`);
  for (let i = 0; i < 20; i++) {
    const [method, path] = [pick(words("GET POST PATCH PUT DELETE")), `${a}${pick(known)}`];
    const bytes = Uint8Array.from([0xff, ...Array.from({ length: rint(1, 4096) }, () => rint(0, 255))]);
    if (method === "GET") reqs.push(mk("random", method, path, badAuth(A)[0]));
    else reqs.push(mk("random", method, path, bearer(pick([ADMIN, op, holder])), bytes, undefined, ""));
  }
  // Shuffled, so that concurrent requests mix routes and kinds of damage.
  for (let i = reqs.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [reqs[i], reqs[j]] = [reqs[j]!, reqs[i]!];
  }
  return reqs;
}

/** Sends `reqs`, `CONCURRENCY` at a time; returns every bad answer: none, not a 4xx, not the pinned status, not problem+json. */
async function barrage(base: string, reqs: Req[], tally = new Map<string, number>()): Promise<string[]> {
  const violations: string[] = [];
  const judge = async (r: Req): Promise<string | undefined> => {
    const tag = `[${r.what}] ${r.method} ${r.path.slice(0, 160)}`;
    const headers = {
      ...(r.auth ? { authorization: r.auth } : {}),
      ...(r.type ? { "content-type": r.type } : {}),
      ...r.headers,
    };
    const body = typeof r.body === "function" ? r.body() : r.body;
    const init = { method: r.method, headers, body, duplex: "half", signal: AbortSignal.timeout(TIMEOUT_MS) };
    const res = await fetch(`${base}${r.path}`, init as RequestInit).catch((err: Error) => `${err} ${err.cause ?? ""}`);
    if (typeof res === "string") return `${tag} → no response: ${res}`;
    const text = await res.text().catch((err: Error) => `(body cut off: ${err} ${err.cause ?? ""})`);
    tally.set(`${r.what} ${res.status}`, (tally.get(`${r.what} ${res.status}`) ?? 0) + 1);
    const seen = `${tag} → ${res.status} ${text.slice(0, 200)}`;
    if (res.status < 400 || res.status > 499) return seen;
    if (r.status !== undefined && res.status !== r.status) return `${seen} (expected ${r.status})`;
    if (!res.headers.get("content-type")?.startsWith("application/problem+json")) return `${seen} (not problem+json)`;
    const p = (await new Response(text).json().catch(() => undefined)) as Record<string, unknown> | undefined;
    const ok =
      p && ["type", "title", "detail", "code"].every((k) => typeof p[k] === "string") && p.status === res.status;
    return ok ? undefined : `${seen} (not a problem document)`;
  };
  await takePooledConnections(base);
  let next = 0;
  const worker = async () => {
    while (next < reqs.length) {
      const v = await judge(reqs[next++]!);
      if (v) violations.push(v);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return violations;
}

/**
 * Puts every pooled connection the barrage will use to one retried request first (`call` retries a connection that
 * fails). workerd closes a keep-alive connection left idle for ~5 s; undici retires its own at 4 s, but only when its
 * event loop runs: after seconds of synchronous work (building the request list took 2 s on an idle machine, more
 * under load) it sent the first `CONCURRENCY` requests on connections workerd had closed, and each got "other side
 * closed" — a client-side race (nodejs/undici#3492, "fetch may try to use a closed connection"), not the server's
 * answer to anything. The barrage then runs on connections just used; it takes the pool's first free ones in order.
 */
async function takePooledConnections(base: string): Promise<void> {
  const health = () => call(base, "GET", "/api/v1/health", undefined);
  await Promise.all(Array.from({ length: CONCURRENCY }, health));
}

/**
 * Everything a client can read about both products, by path, minus `health` (derived from the clock) and the
 * holder fa1's `lastHeartbeatAt` (the instant of the test's own latest beat: setup); and whether the live enrollment
 * code is still live (recognised, so 403 on a read, not 401).
 */
async function snapshot(url: string, w: World): Promise<Record<string, { status: number; body: unknown }>> {
  const state: Record<string, { status: number; body: unknown }> = {};
  function unclocked(this: { id?: unknown }, k: string, v: unknown) {
    if (k === "health") return undefined;
    return k === "lastHeartbeatAt" && this.id === w.fac.holder ? undefined : v;
  }
  const get = async (path: string, token = ADMIN) => {
    const { status, body } = await call<unknown>(url, "GET", path, token);
    state[`${path}${token === ADMIN ? "" : " (enrollment code)"}`] = JSON.parse(
      JSON.stringify({ status, body }, unclocked),
    );
    return body as { jobs: Array<{ id: string }>; factories: Array<{ id: string }> };
  };
  for (const p of [A, B]) {
    const [{ jobs }, { factories }] = [await get(`${P(p)}/jobs?limit=500`), await get(`${P(p)}/factories`)];
    const paths = [...words("queue-state tokens dead-letters"), ...factories.map((f) => `factories/${f.id}`)];
    paths.push(...words("snapshots runs audit").map((k) => `history?kind=${k}&limit=500`));
    for (const j of jobs) paths.push(...words(`jobs/${j.id} jobs/${j.id}/runs jobs/${j.id}/artifacts`));
    paths.push(...jobs.map((j) => `jobs/${j.id}/events?limit=500`));
    await Promise.all(paths.map((sub) => get(`${P(p)}/${sub}`)));
  }
  await get(`${P(A)}/queue-state`, w.tok.code);
  // The lessons `historyCaughtUp` adds are the test's own: their audit rows, and the page's follow cursor after them.
  for (const p of [A, B]) {
    const page = state[`${P(p)}/history?kind=audit&limit=500`]?.body as { items?: Audit[]; nextCursor?: unknown };
    if (!page?.items) continue;
    page.items = page.items.filter((i) => !(i.action === "lesson.create" && i.detail.text === SENTINEL));
    delete page.nextCursor;
  }
  return state;
}

type Audit = { action: string; target: string; detail: Record<string, unknown> };
/** The text of the lessons `historyCaughtUp` adds: their audit rows are left out of every snapshot. */
const SENTINEL = "fuzz: a record written after every other, to see history caught up";

/**
 * Once D1 history holds every record A's and B's coordinators had written when it was called, in whatever order
 * delivery lands them — not write order: a record whose send failed waits for its retry while later ones go
 * (outbox/due-rows keeps order only for a job's feed events), a round's history above one message (100 KiB) goes as
 * several messages at once, and a message the history consumer failed to write comes back up to 60 s later, behind
 * later batches (worker/queues/retry). So a record written last says nothing of the others by arriving. First, every
 * coordinator's outbox holds no history record (`outboxHistoryLeft`): each has been handed to the history queue, or
 * dead-lettered (a dead letter is in the snapshot). Then a lesson is added to each product, whose `lesson.create`
 * entry reaches the queue behind all of them, and is read back from D1: the local queue hands its consumer batches
 * in the order it took their messages. Left: a message whose write failed (D1 failing) and was retried, or a batch
 * run beside another when over 100 messages wait, may land after it.
 */
async function historyCaughtUp(h: Harness): Promise<void> {
  for (const deadline = Date.now() + 60_000; outboxHistoryLeft(h.persistTo) > 0; await sleep(100))
    if (Date.now() > deadline) throw new Error("the coordinators' outboxes still held history after 60 s");
  for (const p of [A, B]) {
    const added = await call<{ id: string; updatedAt: number }>(h.url, "POST", `${P(p)}/lessons`, ADMIN, {
      text: SENTINEL,
    });
    expect(added.status).toBe(201);
    const since = `history?kind=audit&since=${added.body.updatedAt - 1}&limit=500`;
    for (const deadline = Date.now() + 60_000; ; await sleep(100)) {
      const { body } = await call<{ items: Audit[] }>(h.url, "GET", `${P(p)}/${since}`, ADMIN);
      if (body.items?.some((i) => i.action === "lesson.create" && i.target === added.body.id)) break;
      if (Date.now() > deadline) throw new Error(`history did not catch up with ${p}'s coordinator within 60 s`);
    }
  }
}

/**
 * History records (not feed events, not webhook deliveries) left in the outboxes of every coordinator of the server
 * persisting to `persistTo`, read from their SQLite files (read-only, beside the runtime: WAL lets both read); a
 * coordinator that never made its tables holds none.
 */
function outboxHistoryLeft(persistTo: string): number {
  const dir = path.join(persistTo, "v3/do/gigafactory-ProductCoordinator");
  let left = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")) {
    const db = new DatabaseSync(path.join(dir, file), { readOnly: true });
    try {
      if (db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'outbox'").get() === undefined) continue;
      const row = db.prepare("SELECT count(*) AS n FROM outbox WHERE kind NOT IN ('event', 'webhook')").get();
      left += Number((row as { n: number }).n);
    } finally {
      db.close();
    }
  }
  return left;
}

/**
 * A snapshot once history has caught up (`historyCaughtUp`: it trails the coordinator by the outbox and the history
 * queue, a second or two, more after a failed delivery), and holds every job's current revision.
 */
async function settled(h: Harness, w: World): Promise<Record<string, unknown>> {
  await historyCaughtUp(h);
  for (const deadline = Date.now() + 60_000; ; await sleep(500)) {
    const s = await snapshot(h.url, w);
    const caughtUp = [A, B].every((p) => {
      const { items } = s[`${P(p)}/history?kind=snapshots&limit=500`]!.body as {
        items: Array<{ jobId: string; rev: number }>;
      };
      const { jobs } = s[`${P(p)}/jobs?limit=500`]!.body as { jobs: Array<{ id: string; rev: number }> };
      return jobs.every((j) => items.some((i) => i.jobId === j.id && i.rev === j.rev));
    });
    if (caughtUp) return s;
    if (Date.now() > deadline) throw new Error("history did not catch up with the coordinator within 60 s");
  }
}

/** The TCP state (/proc/net/tcp's hex: 01 established, 08 closed by the peer) of each connection to loopback `port`. */
function connectionStates(port: number): string[] {
  const remote = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  return readFileSync("/proc/net/tcp", "utf8")
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((cols) => cols[2] === remote)
    .map((cols) => cols[3]!);
}
const [ESTABLISHED, CLOSE_WAIT] = ["01", "08"];

describe("fuzzing the REST API with malformed and hostile requests", () => {
  let h: Harness;
  let w: World;
  let before: Record<string, unknown>;
  /** SQLite databases per Durable Object class: a request about something that does not exist must not add one. */
  const databases = () =>
    Object.fromEntries(
      ["ProductCoordinator", "JobFeed"].map((cls) => {
        const dir = path.join(h.persistTo, `v3/do/gigafactory-${cls}`);
        return [cls, readdirSync(dir).filter((f) => f.endsWith(".sqlite")).length];
      }),
    );
  let databasesBefore: Record<string, number>;

  /** Stops what setup started to run on (fa1's heartbeats). */
  const stops: Array<() => void> = [];

  beforeAll(async () => {
    h = await startHarness();
    w = await setup(h.url, stops);
    before = await settled(h, w);
    databasesBefore = databases();
  });
  afterAll(async () => {
    for (const stop of stops) stop();
    await h?.close();
  });

  it("answers over 1,000 malformed or hostile requests with problem+json 4xx only, and changes no state", async () => {
    const reqs = buildRequests(w);
    const tally = new Map<string, number>();
    const violations = await barrage(h.url, reqs, tally);
    console.log(`fuzz: seed ${SEED} (FUZZ_SEED reproduces it), ${reqs.length} requests`, Object.fromEntries(tally));
    expect(reqs.length).toBeGreaterThanOrEqual(1000);
    expect.soft(violations, `${violations.length} of ${reqs.length} requests misanswered`).toEqual([]);
    // History a bad request might have written reaches D1 before the snapshot is read (`settled`); its events are read
    // through the feed's flush: a state, not a wait.
    expect.soft(await settled(h, w)).toEqual(before);
    expect(databases(), "requests about products or jobs that do not exist created storage").toEqual(databasesBefore);
  });

  it("gives 20 concurrent replays of a keyed submit or tracker item their one job, refuses 20 changed ones, changes nothing", async () => {
    const submit = (bodyMd: string) =>
      call<{ id: string; code: string; detail: string }>(h.url, "POST", `${P(A)}/jobs`, w.tok.op, {
        manifest: { title: KEYED.title, idempotencyKey: KEYED.key },
        bodyMd,
      });
    const ingest = (body: string) =>
      call<{ jobId: string; code: string }>(h.url, "POST", `${P(A)}/tracker/ingest`, w.tok.op, { ...TRACKED, body });
    const [same, changed, sameTracked, changedTracked] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, () => submit(""))),
      Promise.all(Array.from({ length: 20 }, (_, i) => submit(`changed ${i} ${chars(50, WIDE)}`))),
      Promise.all(Array.from({ length: 20 }, () => ingest(TRACKED.body))),
      Promise.all(Array.from({ length: 20 }, (_, i) => ingest(`changed ${i} \u{1f600}`))),
    ]);
    expect(same.map((r) => [r.status, r.body.id])).toEqual(same.map(() => [200, w.job.keyed]));
    expect(changed.map((r) => [r.status, r.body.code])).toEqual(changed.map(() => [409, "conflict"]));
    expect(changed[0]?.body.detail).toContain(`"${KEYED.key}"`);
    expect(new Set(sameTracked.map((r) => `${r.status} ${r.body.jobId}`)).size).toBe(1);
    expect(sameTracked[0]?.status).toBe(200);
    expect(changedTracked.map((r) => r.status)).toEqual(changedTracked.map(() => 409));
    expect(await settled(h, w)).toEqual(before);
  });

  it("judges bulk items at the queue's byte limit one by one: limit − 1 and limit queued, limit + 1 a 413", async () => {
    const C = "e2e-fuzz-bulk";
    const limit = maxItemBytes({
      kind: "submit",
      productId: C,
      actor: "admin",
      origin: `batch:${crypto.randomUUID()}`,
    });
    const item = (d: number) => {
      const key = `edge${d}`;
      const empty = { manifest: validateManifest({ title: key, idempotencyKey: key }), bodyMd: "" };
      const bodyMd = exactly(limit + d - jsonBytes(empty), "", "");
      expect(jsonBytes({ ...empty, bodyMd })).toBe(limit + d);
      return { manifest: { title: key, idempotencyKey: key }, bodyMd };
    };
    const items = [item(-1), item(0), item(1)];
    type Batch = {
      items: Array<{ index: number; status: string }>;
      rejected: Array<{ index: number; status: number }>;
    };
    const r = await call<Batch>(h.url, "POST", `${P(C)}/jobs:batch`, ADMIN, { items });
    expect(r.status).toBe(202);
    expect(r.body.items.map((i) => [i.index, i.status])).toEqual([
      [0, "queued"],
      [1, "queued"],
    ]);
    expect(r.body.rejected.map((i) => [i.index, i.status])).toEqual([[2, 413]]);
    const titles = async () =>
      (await call<{ jobs: Array<{ title: string }> }>(h.url, "GET", `${P(C)}/jobs`, ADMIN)).body.jobs.map(
        (j) => j.title,
      );
    for (const deadline = Date.now() + 30_000; (await titles()).length < 2 && Date.now() < deadline; ) await sleep(100);
    expect((await titles()).sort()).toEqual(["edge-1", "edge0"]);
    const again = await call<Batch>(h.url, "POST", `${P(C)}/jobs:batch`, ADMIN, { items });
    expect(again.body.items.map((i) => i.status)).toEqual(["exists", "exists"]);
    expect((await titles()).length).toBe(2);
  });

  it("keeps a connection reusable when it refuses a request before reading its body", async () => {
    // workerd closes a connection whose request body was left unread; a keep-alive client that reused it in the
    // meantime saw "other side closed" for an unrelated request (about 1 in 8 here, before every body was drained).
    const refused = Array.from({ length: 400 }, (_, i) =>
      mk("early-refusal", "POST", `${P(A)}/jobs`, bearer(`gf_${A}_not-a-token-${i}`), json({ pad: pad(2048) }), 401),
    );
    expect(await barrage(h.url, refused)).toEqual([]);
  });

  it.skipIf(!existsSync("/proc/net/tcp"))(
    "judges no request on a pooled connection workerd closed while this process was busy",
    async () => {
      // Sixteen pooled connections, then synchronous work (this process busy, as building the request list was) until
      // workerd has closed every one of them for idleness: what made 16 of the default seed's requests "no response".
      const port = Number(new URL(h.url).port);
      await Promise.all(Array.from({ length: 16 }, () => call(h.url, "GET", "/api/v1/health", undefined)));
      for (const deadline = Date.now() + 30_000; ; ) {
        const states = connectionStates(port);
        if (states.includes(CLOSE_WAIT) && !states.includes(ESTABLISHED)) break;
        if (Date.now() > deadline) throw new Error(`workerd kept the idle connections open: ${states.join(" ")}`);
      }
      const plain = Array.from({ length: 16 }, () =>
        mk("after-idle", "GET", `${P(A)}/jobs?limit=0`, bearer(ADMIN), undefined, 400),
      );
      expect(await barrage(h.url, plain)).toEqual([]);
    },
  );

  // Last: if the server falls over here, the barrage above has already been judged.
  it("refuses bodies over the cap sent without a Content-Length with 413, and keeps serving", async () => {
    const streamed: Array<[string, string, string, number, string?]> = [
      ["PATCH", `/jobs/${w.job.leased}`, w.tok.holder, 64 * 1024],
      ["POST", "/claim", w.tok.holder, 64 * 1024],
      ["POST", `/jobs/${w.job.queued}/actions/cancel`, w.tok.op, 64 * 1024],
      ["POST", "/jobs", w.tok.op, 256 * 1024, "text/markdown"],
    ];
    const violations: string[] = [];
    for (const [method, path, tok, cap, type] of streamed) {
      // Twice the route's cap, then an ordinary bad request, which must still get its 400.
      const big = mk("streamed", method, `${P(A)}${path}`, bearer(tok), stream(2 * cap), 413, type);
      const after = mk("after-stream", "GET", `${P(A)}/jobs?limit=0`, bearer(ADMIN), undefined, 400);
      violations.push(...(await barrage(h.url, [big])), ...(await barrage(h.url, [after])));
    }
    expect(violations).toEqual([]);
    expect(await settled(h, w)).toEqual(before);
  });
});
