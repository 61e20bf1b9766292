// Every route refuses every credential its role does not admit. The operations are read from the OpenAPI document
// (OPS, which openapi-statuses proves is the Worker's whole router table), and each is called on product A with:
// A's enrollment code, viewer, operator (refused the admin's routes: tokens) and (non-holding) factory tokens; B's
// operator, viewer, factory and enrollment tokens; A's revoked operator token, its rotated-away and deregistered
// factory tokens; no token; a malformed header. Each refusal is a 401/403 problem+json (never a 5xx, never a 2xx),
// A is unchanged afterwards, and the enrollment code shown around is still unused.
import { beforeAll, describe, expect, it } from "vitest";
import { OPS } from "../../src/worker/openapi";
import { ADMIN, api, claim, enroll, P, rawApi, submit } from "./client";

type Role = (typeof OPS)[number]["role"];

async function mint(product: string, role: "operator" | "viewer") {
  const r = await api<{ id: string; token: string }>("POST", `${P(product)}/tokens`, {
    token: ADMIN,
    json: { role, name: `${role}-${product}` },
  });
  expect(r.status).toBe(201);
  return r.body;
}

async function code(product: string) {
  const r = await api<{ code: string }>("POST", `${P(product)}/factories/enrollment-codes`, { token: ADMIN, json: {} });
  expect(r.status).toBe(201);
  return r.body.code;
}

/** What A looks like to its admin: jobs, factories, tokens, settings, webhook, budget, lessons, rules. */
async function snapshot(product: string) {
  const out: Record<string, unknown> = {};
  for (const path of ["jobs", "factories", "tokens", "settings", "budget", "lessons", "routing/rules", "serial"]) {
    const r = await api("GET", `${P(product)}/${path}`, { token: ADMIN });
    // A factory's health follows the clock (its last heartbeat's age), not any request.
    out[path] = JSON.parse(JSON.stringify(r.body), (k, v) => (k === "health" ? undefined : v));
  }
  return out;
}

/** The roles each credential passes (none needs no token; lease-holder is a factory's, then fenced by the lease). */
const ADMITS: Record<string, Role[]> = {
  enrollmentA: ["none", "enrollment"],
  viewerA: ["none", "member", "viewer", "job-reader"],
  factoryA: ["none", "member", "factory", "lease-holder", "uploader"],
  operatorA: ["none", "member", "viewer", "job-reader", "operator", "enrollment", "uploader"],
};

interface World {
  creds: Record<string, string | undefined>;
  vars: Record<string, string>;
  before: Record<string, unknown>;
}

const A = "matrix-a";
const B = "matrix-b";

async function world(): Promise<World> {
  // An hour's lease: the matrix's ~900 calls must not outlive it (an expiry would change A on its own).
  await submit(A, { title: "a's job", leaseTtlSeconds: 3600 });
  const holder = await enroll(A, "holder");
  const held = await claim(A, holder.token, 3600);
  expect(held.status).toBe(200);
  const idle = await enroll(A, "idle");
  const rotated = await enroll(A, "rotated");
  const rot = await api("POST", `${P(A)}/factories/${rotated.factoryId}/token/rotate`, { token: ADMIN });
  expect(rot.status).toBe(200);
  const gone = await enroll(A, "gone");
  expect((await api("DELETE", `${P(A)}/factories/${gone.factoryId}`, { token: ADMIN })).status).toBe(200);
  const revokedOp = await mint(A, "operator");
  expect((await api("DELETE", `${P(A)}/tokens/${revokedOp.id}`, { token: ADMIN })).status).toBe(200);
  const creds: Record<string, string | undefined> = {
    enrollmentA: await code(A),
    viewerA: (await mint(A, "viewer")).token,
    factoryA: idle.token,
    operatorA: (await mint(A, "operator")).token,
    operatorB: (await mint(B, "operator")).token,
    viewerB: (await mint(B, "viewer")).token,
    factoryB: (await enroll(B, "b")).token,
    enrollmentB: await code(B),
    revokedOperatorA: revokedOp.token,
    rotatedFactoryA: rotated.token,
    deregisteredFactoryA: gone.token,
    none: undefined,
    malformed: "Basic Zm9vOmJhcg==",
  };
  const vars: Record<string, string> = {
    productId: A,
    jobId: held.body.job.id,
    factoryId: holder.factoryId,
    tokenId: "tok_x",
    codeId: "enr_x",
    batchId: "bat_x",
    key: "repo",
    lessonId: "les_x",
    alertId: "alr_x",
    ruleId: "rul_x",
    experimentId: "exp_x",
    name: "log.txt",
    action: "cancel",
  };
  return { creds, vars, before: await snapshot(A) };
}

const PRODUCT_OPS = OPS.filter((op) => op.path.includes("{productId}") && op.role !== "none");

describe("every route against every wrong credential", () => {
  let w: World;
  beforeAll(async () => {
    w = await world();
  });

  it.each(PRODUCT_OPS.map((op) => [`${op.method} ${op.path}`, op] as const))("%s", async (_name, op) => {
    const path = op.path.replace(/\{(\w+)\}/g, (_m, n: string) => encodeURIComponent(w.vars[n] ?? "x"));
    // The credentials at once: each is refused at the boundary, so nothing they do can interleave with another.
    const calls = Object.entries(w.creds)
      .filter(([who]) => !(ADMITS[who] ?? []).includes(op.role))
      .map(async ([who, token]) => {
        const headers: Record<string, string> = {};
        if (who === "malformed") headers.authorization = token!;
        const r = await rawApi(
          op.method.toUpperCase(),
          `${path}${op.path.endsWith("artifacts") ? "?name=x&leaseEpoch=1" : ""}`,
          {
            ...(token !== undefined && who !== "malformed" ? { token } : {}),
            headers,
            ...(op.method === "get" || op.method === "delete" ? {} : { json: {} }),
          },
        );
        const code = (r.body as { code?: string } | null)?.code;
        const ok =
          [401, 403].includes(r.status) && (r.headers.get("content-type") ?? "").includes("application/problem+json");
        return ok ? [] : [`${who} → ${r.status} ${code ?? ""}`];
      });
    const wrong = (await Promise.all(calls)).flat();
    expect(wrong).toEqual([]);
  });

  it("left A unchanged, and the enrollment code shown to every route still enrolls once", async () => {
    expect(await snapshot(A)).toEqual(w.before);
    const used = await rawApi("POST", `${P(A)}/factories/enroll`, {
      token: w.creds.enrollmentA,
      json: { name: "late", capabilities: [], seats: 1 },
    });
    expect(used.status).toBe(201);
  });
});
