// The OpenAPI document declares every success status the routes answer with, and no other. Read from the Worker's
// own router table (buildApp().routes, so a route added in any file is covered the day it is added): each handler's
// source is scanned for `c.json(…, NNN)` / `c.body(…, NNN)` (no status = 200, a `created ? 201 : 200` = both), and
// that set must equal the 1xx/2xx statuses its operation declares. Handlers that hand the request to a Durable Object
// and answer with its response (the sockets, SSE) cannot be read that way: they are listed below with what the
// object answers, and a new one must be added there. Also: every route is in the document and vice versa.
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/worker/app";
import { openApiDocument } from "../../src/worker/openapi";

type Doc = { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };

/** Handlers answering with what a Durable Object answered: a WebSocket upgrade (101) or an event stream (200). */
const PROXIED: Record<string, string[]> = {
  "get /api/v1/products/{productId}/jobs/{jobId}/events/ws": ["101"],
  "get /api/v1/products/{productId}/jobs/{jobId}/events/stream": ["200"],
  "get /api/v1/products/{productId}/factories/connect": ["101"],
};

/** The arguments of the call whose `(` is at `open`, split at top-level commas (strings and templates skipped). */
function argsAt(source: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === '"' || ch === "'" || ch === "`") {
      for (i++; i < source.length && source[i] !== ch; i++) if (source[i] === "\\") i++;
    } else if ("([{".includes(ch)) depth++;
    else if (")]}".includes(ch)) {
      depth--;
      if (depth === 0) {
        args.push(source.slice(start, i));
        return args.map((a) => a.trim()).filter((a) => a !== "");
      }
    } else if (ch === "," && depth === 1) {
      args.push(source.slice(start, i));
      start = i + 1;
    }
  }
  throw new Error(`unbalanced call at ${open}`);
}

/** The statuses a handler's source answers with; null when it answers with a response it did not make. */
function statusesIn(source: string): string[] | null {
  const found = new Set<string>();
  for (const m of source.matchAll(/\bc\.(json|body)\(/g)) {
    const status = argsAt(source, m.index + m[0].length - 1)[1];
    if (status === undefined) {
      found.add("200");
      continue;
    }
    const literals = status.match(/\b[1-5]\d\d\b/g);
    if (!literals) throw new Error(`a status that is not a literal: ${status}`);
    for (const s of literals) found.add(s);
  }
  for (const m of source.matchAll(/\bnew Response\(/g)) {
    const init = argsAt(source, m.index + m[0].length - 1)[1] ?? "";
    found.add(init.match(/status:\s*(\d{3})/)?.[1] ?? "200");
  }
  if (/\.fetch\(/.test(source)) return null;
  return [...found].sort();
}

const ROUTES = buildApp()
  .routes.filter((r) => r.method !== "ALL")
  .map((r) => ({
    key: `${r.method.toLowerCase()} ${r.path.replace(/\/:(\w+)/g, "/{$1}")}`,
    source: r.handler.toString(),
  }));

describe("the OpenAPI document's success statuses", () => {
  const doc = openApiDocument() as Doc;
  const declared = (key: string): string[] | undefined => {
    const [method, path] = key.split(" ") as [string, string];
    const op = doc.paths[path]?.[method];
    return (
      op &&
      Object.keys(op.responses)
        .filter((s) => /^[123]\d\d$/.test(s))
        .sort()
    );
  };

  it("the scan reads the route forms in use", () => {
    expect(statusesIn("async (c) => { return c.json(x); }")).toEqual(["200"]);
    expect(statusesIn("async (c) => c.json({ a: f(1, 2) }, created ? 201 : 200)")).toEqual(["200", "201"]);
    expect(statusesIn("async (c) => { if (!x) return c.body(null, 204); return c.json(x, 202); }")).toEqual([
      "202",
      "204",
    ]);
    expect(statusesIn('(c) => c.json({ s: "a, 999)" }, 201)')).toEqual(["201"]);
    expect(statusesIn("(c) => c.get('x').fetch(req)")).toBeNull();
  });

  it("every route is an operation of the document, and every operation a route", () => {
    const routes = new Set(ROUTES.map((r) => r.key));
    const ops = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(ops.filter((k) => !routes.has(k)).sort()).toEqual([]);
    expect([...routes].filter((k) => !ops.includes(k)).sort()).toEqual([]);
  });

  it("each operation declares exactly the success statuses its handler answers with", () => {
    const wrong: string[] = [];
    for (const r of ROUTES) {
      const scanned = statusesIn(r.source);
      const expected = scanned ?? PROXIED[r.key];
      if (!expected) {
        wrong.push(`${r.key}: answers with a response it did not make; add it to PROXIED`);
        continue;
      }
      const has = declared(r.key);
      if (JSON.stringify(has) !== JSON.stringify(expected)) wrong.push(`${r.key}: sends ${expected}, declares ${has}`);
    }
    expect(wrong).toEqual([]);
    expect(ROUTES.length).toBeGreaterThan(70);
  });
});
