// A request on a routed path with a method the path does not take is 405 method_not_allowed with an `Allow` header
// (RFC 9110 §15.5.6), for every path of the OpenAPI document: `Allow` names exactly the methods the document gives
// the path (HEAD with GET), and nothing changes. It was 404 "no route", which told a client sending DELETE …/budget
// that the budget did not exist. A path no route has stays 404; the 405 comes after authentication, as a 404 did.
import { describe, expect, it } from "vitest";
import { pathMatcher } from "../../src/worker/method-not-allowed.ts";
import { openApiDocument } from "../../src/worker/openapi.ts";
import { ADMIN, api, P, rawApi, submit } from "./client.ts";

const PRODUCT = "method-405";
const DOC = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/** The documented methods for a concrete `path`: those of every document path whose template matches it. */
function documented(path: string): string[] {
  const methods = new Set<string>();
  for (const [template, ops] of Object.entries(DOC.paths)) {
    if (!pathMatcher(template.replace(/\{(\w+)\}/g, ":$1")).test(path)) continue;
    for (const m of Object.keys(ops)) methods.add(m.toUpperCase());
  }
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
}

describe("a routed path with another method", () => {
  it("answers 405 with Allow naming the documented methods, for every documented path", async () => {
    const job = await submit(PRODUCT, { title: "405" });
    const problems: string[] = [];
    let refused = 0;
    for (const template of Object.keys(DOC.paths)) {
      const path = template
        .replace("{productId}", PRODUCT)
        .replace("{jobId}", job.id)
        .replace(/\{(\w+)\}/g, "x1");
      const allow = documented(path);
      for (const method of METHODS.filter((m) => !allow.includes(m))) {
        const r = await rawApi<{ code?: string }>(method, path, { token: ADMIN });
        refused++;
        const got = `${r.status} ${r.body?.code} allow=${r.headers.get("allow")}`;
        if (got !== `405 method_not_allowed allow=${allow.join(", ")}`) problems.push(`${method} ${path}: ${got}`);
      }
    }
    expect(problems).toEqual([]);
    expect(refused).toBeGreaterThan(100); // the document's paths were really walked
    // Nothing changed: the job is as it was submitted.
    expect((await api<{ stage: string }>("GET", `${P(PRODUCT)}/jobs/${job.id}`, { token: ADMIN })).body.stage).toBe(
      job.stage,
    );
  });

  it("DELETE …/budget is 405 (GET, HEAD, PUT), not 404; a path no route has stays 404; no token stays 401", async () => {
    await api("GET", `${P(PRODUCT)}/budget`, { token: ADMIN }); // the product exists
    const del = await rawApi<{ code: string; detail: string }>("DELETE", `${P(PRODUCT)}/budget`, { token: ADMIN });
    expect([del.status, del.body.code, del.headers.get("allow")]).toEqual([
      405,
      "method_not_allowed",
      "GET, HEAD, PUT",
    ]);
    expect(del.headers.get("content-type")).toContain("application/problem+json");
    expect(del.body.detail).toContain("not DELETE");
    const none = await rawApi<{ code: string }>("GET", `${P(PRODUCT)}/no-such-thing`, { token: ADMIN });
    expect([none.status, none.body.code, none.headers.get("allow")]).toEqual([404, "not_found", null]);
    const anon = await rawApi("DELETE", `${P(PRODUCT)}/budget`, {});
    expect(anon.status).toBe(401);
  });
});
