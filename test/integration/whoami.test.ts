// `GET …/whoami` tells each token who it is on the product: the admin, an operator, a viewer and a factory each get
// their own role, the audit log's name for them (`actorOf`) and — a minted token — its id and name (a factory, its id
// and the name it enrolled under, which its token may not read from the fleet list),
// never the token nor its hash; every answer is what the OpenAPI document declares (openapi-call). Another product's
// token is refused 403, an unknown one or none 401, a one-time enrollment code 403, and a query parameter 400
// problem+json. It costs nothing beyond authentication: once the product is known, no D1 statement and one coordinator
// call (the token's lookup) — the same as `GET …/queue-state`, the cheapest read there was.
import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/worker/index.ts";
import { ADMIN, api, enroll, mintToken, P, rawApi } from "./client.ts";
import { checker, newChecked } from "./openapi-call.ts";

const PRODUCT = "whoami-a";
const OTHER = "whoami-b";
const call = checker(newChecked());
const WHOAMI = `${P("{productId}")}/whoami`;

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("GET …/whoami", () => {
  it("gives each role its own role and actor, a minted token its id and name, never the token or its hash", async () => {
    const operator = await mintToken(PRODUCT, "operator", "ann");
    const viewer = await mintToken(PRODUCT, "viewer", "val");
    const factory = await enroll(PRODUCT, "box-1");
    const v = { productId: PRODUCT };
    const cases = [
      { token: ADMIN, want: { product: PRODUCT, role: "admin", actor: "admin" } },
      {
        token: operator.token,
        want: { product: PRODUCT, role: "operator", actor: "operator:ann", tokenId: operator.id, tokenName: "ann" },
      },
      {
        token: viewer.token,
        want: { product: PRODUCT, role: "viewer", actor: "viewer:val", tokenId: viewer.id, tokenName: "val" },
      },
      {
        token: factory.token,
        want: {
          product: PRODUCT,
          role: "factory",
          actor: `factory:${factory.factoryId}`,
          factoryId: factory.factoryId,
          factoryName: "box-1",
        },
      },
    ];
    for (const { token, want } of cases) {
      const r = await call("GET", WHOAMI, v, { token });
      expect(r.status, want.role).toBe(200);
      expect(r.body).toEqual(want);
      const text = JSON.stringify(r.body);
      expect(text).not.toContain(token);
      expect(text).not.toContain(await sha256Hex(token));
    }
  });

  it("refuses another product's token 403, an unknown one or none 401, an enrollment code 403", async () => {
    const theirs = await mintToken(OTHER, "operator", "bob");
    const theirFactory = await enroll(OTHER, "box-2");
    await api("GET", `${P(PRODUCT)}/whoami`, { token: ADMIN }); // the product exists
    for (const token of [theirs.token, theirFactory.token]) {
      const r = await rawApi("GET", `${P(PRODUCT)}/whoami`, { token });
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ code: "forbidden", title: expect.any(String), detail: expect.any(String) });
    }
    const unknown = `gf_${PRODUCT}_${"A".repeat(43)}`;
    for (const token of [unknown, undefined]) {
      const r = await rawApi("GET", `${P(PRODUCT)}/whoami`, token === undefined ? {} : { token });
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ code: "unauthorized" });
    }
    const code = await api<{ code: string }>("POST", `${P(PRODUCT)}/factories/enrollment-codes`, {
      token: ADMIN,
      json: { name: "box-3" },
    });
    expect(code.status).toBe(201);
    const r = await rawApi("GET", `${P(PRODUCT)}/whoami`, { token: code.body.code });
    expect(r.status).toBe(403);
    // Asking did not use the code up: it still enrolls its host.
    const enrolled = await rawApi("POST", `${P(PRODUCT)}/factories/enroll`, {
      token: code.body.code,
      json: { name: "box-3" },
    });
    expect(enrolled.status).toBe(201);
  });

  it("refuses a query parameter with 400 problem+json", async () => {
    const viewer = await mintToken(PRODUCT, "viewer", "q");
    const r = await rawApi("GET", `${P(PRODUCT)}/whoami?role=admin`, { token: viewer.token });
    expect(r.status).toBe(400);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    expect(r.body).toMatchObject({ code: "validation_failed", detail: expect.stringContaining("role") });
  });

  it("reads no D1 and calls the coordinator once, as the queue version does", async () => {
    const viewer = await mintToken(PRODUCT, "viewer", "cost");
    const costOf = async (path: string) => {
      const count = { d1: 0, coordinator: [] as string[] };
      const counted = {
        ...env,
        DB: new Proxy(env.DB, {
          get(target, key) {
            if (key === "prepare" || key === "batch" || key === "exec") count.d1++;
            const value = Reflect.get(target, key) as unknown;
            return typeof value === "function" ? value.bind(target) : value;
          },
        }),
        COORDINATOR: new Proxy(env.COORDINATOR, {
          get(target, key) {
            const value = Reflect.get(target, key) as unknown;
            if (key !== "getByName" || typeof value !== "function") return value;
            return (name: string) =>
              new Proxy(target.getByName(name), {
                get(stub, method) {
                  count.coordinator.push(String(method));
                  return Reflect.get(stub, method) as unknown;
                },
              });
          },
        }),
      } as typeof env;
      const request = new Request(`http://gf.test${P(PRODUCT)}${path}`, {
        headers: { authorization: `Bearer ${viewer.token}` },
      });
      const res = await worker.fetch(request as Parameters<typeof worker.fetch>[0], counted, createExecutionContext());
      expect(res.status, path).toBe(200);
      await res.text();
      return count;
    };
    await costOf("/whoami"); // the product is known to this isolate from here on
    const whoami = await costOf("/whoami");
    expect(whoami).toEqual({ d1: 0, coordinator: ["authenticate"] });
    const queueState = await costOf("/queue-state");
    expect(queueState.d1).toBe(0);
    expect(queueState.coordinator).toContain("authenticate");
  });
});
