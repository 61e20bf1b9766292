// Each operation's `x-role` in the OpenAPI document is who its route lets in: every operation is called through the
// Worker with no token and with the admin's, an operator's, a viewer's and a factory's token, and the callers that
// were not refused (401 no or bad token, 403 the wrong role) must be exactly the ones its role names
// (worker/openapi-params ROLES). The roles that also depend on the job (job-reader, lease-holder, uploader) or take a
// one-time code (enrollment) are checked for the callers the role settles alone: who is always let in, and that a
// call with no token is 401. Ids are well-formed and unknown, so a call let in is refused later (404, 400) or harmless.
// A guard for the document, not a fix: every x-role was right when it was written (and an op's role changed from
// viewer to member in the document fails it).
import { describe, expect, it } from "vitest";
import { OPS } from "../../src/worker/openapi.ts";
import type { OpRole } from "../../src/worker/openapi-params.ts";
import { ADMIN, createProduct, enroll, mintToken } from "./client.ts";
import { directStatus } from "./openapi-call.ts";

const PRODUCT = "oa-roles";
type Caller = "none" | "admin" | "operator" | "viewer" | "factory";
const CALLERS: Caller[] = ["none", "admin", "operator", "viewer", "factory"];

/** Who each role lets in whatever the job or code; for the roles that settle it alone, that is everyone they let in. */
const LET_IN: Record<OpRole, { always: Caller[]; exact: boolean }> = {
  none: { always: CALLERS, exact: true },
  member: { always: ["admin", "operator", "viewer", "factory"], exact: true },
  viewer: { always: ["admin", "operator", "viewer"], exact: true },
  "job-reader": { always: ["admin", "operator", "viewer"], exact: false },
  operator: { always: ["admin", "operator"], exact: true },
  admin: { always: ["admin"], exact: true },
  factory: { always: ["factory"], exact: true },
  "lease-holder": { always: [], exact: false },
  uploader: { always: ["admin", "operator"], exact: false },
  enrollment: { always: ["admin", "operator"], exact: false },
};

describe("x-role is who the route lets in", () => {
  it("every operation lets in the callers its role names, and refuses the others with 401 or 403", async () => {
    await createProduct(PRODUCT);
    const tokens: Record<Caller, string | undefined> = {
      none: undefined,
      admin: ADMIN,
      operator: (await mintToken(PRODUCT, "operator")).token,
      viewer: (await mintToken(PRODUCT, "viewer")).token,
      factory: (await enroll(PRODUCT, "caller")).token,
    };
    const ids: Record<string, string> = { productId: PRODUCT, action: "cancel", name: "log.txt", key: "k" };
    const problems: string[] = [];
    for (const op of OPS) {
      const path = op.path.replace(/\{(\w+)\}/g, (_m, n: string) => encodeURIComponent(ids[n] ?? "unknown-1"));
      const letIn: Caller[] = [];
      for (const caller of CALLERS) {
        const s = await directStatus(op.method.toUpperCase(), path, tokens[caller]);
        if (caller === "none" && op.role !== "none" && s !== 401)
          problems.push(`${op.method} ${op.path}: no token → ${s}`);
        if (s !== 401 && s !== 403) letIn.push(caller);
      }
      const { always, exact } = LET_IN[op.role];
      const missing = always.filter((c) => !letIn.includes(c));
      const extra = exact ? letIn.filter((c) => !always.includes(c)) : [];
      if (missing.length || extra.length)
        problems.push(`${op.method} ${op.path} (x-role ${op.role}): let in ${letIn.join(", ") || "nobody"}`);
    }
    expect(problems).toEqual([]);
  });
});
