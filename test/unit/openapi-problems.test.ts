// The OpenAPI document declares the error answers the routes really give, with the codes they carry: every operation
// declares a 4XX and a 5XX problem+json (worker/problem's shape), each listing exactly the codes of its status range
// (core/errors ERROR_CODES, plus `internal` for a bug) — so each code is listed once, under its own status. And every
// "NNN code" an operation's own text names (its summary and description, its body's description) is one of those
// codes with that very status, declared on that operation: five summaries named 503 unavailable while only 4XX was
// declared.
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../src/core/errors.ts";
import { openApiDocument } from "../../src/worker/openapi.ts";

type Schema = { required?: string[]; properties?: Record<string, { enum?: string[] }> };
type Response = { description?: string; content?: Record<string, { schema?: Schema }> };
type Operation = {
  summary: string;
  description?: string;
  requestBody?: { description?: string };
  responses: Record<string, Response>;
};

const paths = (openApiDocument() as { paths: Record<string, Record<string, Operation>> }).paths;
const operations = Object.entries(paths).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => ({ where: `${method} ${path}`, op })),
);
const STATUS_OF: Record<string, number> = { ...ERROR_CODES, internal: 500 };

/** The codes a problem answer under `status` (e.g. "4XX") lists, or undefined when it is not a problem+json. */
function problemCodes(op: Operation, status: string): string[] | undefined {
  const schema = op.responses[status]?.content?.["application/problem+json"]?.schema;
  if (!schema) return undefined;
  expect(schema.required).toEqual(["type", "title", "status", "detail", "code"]);
  return schema.properties?.code?.enum;
}

describe("the OpenAPI document's error answers", () => {
  it("every operation declares a 4XX and a 5XX problem, each listing the codes of its range and no other", () => {
    const byRange = (r: number) => Object.keys(STATUS_OF).filter((c) => Math.floor(STATUS_OF[c]! / 100) === r);
    for (const { where, op } of operations) {
      expect([...(problemCodes(op, "4XX") ?? [])].sort(), where).toEqual(byRange(4).sort());
      expect([...(problemCodes(op, "5XX") ?? [])].sort(), where).toEqual(["internal", "unavailable"]);
    }
  });

  it("every status and code an operation's text names is declared on it, under that code's own status", () => {
    let named = 0;
    for (const { where, op } of operations) {
      const text = `${op.summary} ${op.description ?? ""} ${op.requestBody?.description ?? ""}`;
      for (const [, status, code] of text.matchAll(/\b([45]\d\d) `?([a-z_]+)/g)) {
        if (!(code! in STATUS_OF)) continue; // "500 per unit", "413 over …": a number, not a problem
        named++;
        expect(STATUS_OF[code!], `${where}: "${status} ${code}"`).toBe(Number(status));
        const declared = op.responses[status!] ? [code] : (problemCodes(op, `${status![0]}XX`) ?? []);
        expect(declared, `${where}: "${status} ${code}" is not declared`).toContain(code);
      }
    }
    expect(named).toBeGreaterThan(50); // the texts do name their refusals: the scan found them
  });
});
