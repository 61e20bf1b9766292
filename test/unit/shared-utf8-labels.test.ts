// A Content-Type's `charset=utf8` (no dash) — and every other label the WHATWG Encoding Standard maps to UTF-8, in any
// case, quoted or not — is UTF-8: the CLI's and the agent's REST client takes the coordinator's problem+json with it
// as the coordinator's (its code read, not `http_404` from "another server"), the dashboard's mirror agrees, and the
// Worker takes a request body declared so (no 415). `charset=utf8` read as a foreign charset in all three. Another
// charset (latin1, utf-16, `utf-8x`) is still foreign.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { foreignJsonCharset as dashboardCharset } from "../../dashboard/foreign-answer.js";
import { foreignCharset, foreignJsonCharset } from "../../src/shared/foreign-answer.ts";
import { apiErrorOf } from "../../src/shared/http-transport.ts";
import { UTF8_LABELS } from "../../src/shared/utf8-labels.ts";
import { assertUtf8Charset } from "../../src/worker/body-charset.ts";

const PROBLEM = { type: "about:blank", title: "Not found", detail: "job job_1 does not exist", code: "not_found" };
const UTF8 = ["utf8", "UTF8", '"utf8"', "Utf-8", "unicode-1-1-utf-8", "x-unicode20utf8"];
const OTHER = ["latin1", "utf-16", "utf-8x", "utf"];

describe("charset labels of UTF-8", () => {
  it("the coordinator's problem with charset=utf8 is the coordinator's: its code read", async () => {
    for (const label of UTF8) {
      const type = `application/problem+json; charset=${label}`;
      const e = await apiErrorOf(
        new Response(JSON.stringify(PROBLEM), { status: 404, headers: { "content-type": type } }),
      );
      expect([e.code, e.fromCoordinator], type).toEqual(["not_found", true]);
    }
  });

  it("is UTF-8 to the shared reader, the dashboard's mirror and the Worker's body check alike", () => {
    for (const label of UTF8) {
      const type = `application/json; charset=${label}`;
      expect([foreignJsonCharset(type), foreignCharset(type), dashboardCharset(type)], type).toEqual([
        undefined,
        undefined,
        undefined,
      ]);
      expect(() => assertUtf8Charset(type), type).not.toThrow();
    }
    for (const label of UTF8_LABELS)
      expect(dashboardCharset(`application/json; charset=${label}`), label).toBeUndefined();
  });

  it("another charset is still foreign everywhere", () => {
    for (const label of OTHER) {
      const type = `application/json; charset=${label}`;
      expect([foreignJsonCharset(type), dashboardCharset(type)], type).toEqual([label, label]);
      expect(() => assertUtf8Charset(type), type).toThrow(/is not taken/);
    }
  });
});
