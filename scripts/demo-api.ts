/**
 * @module scripts/demo-api
 * The few calls `npm start` (scripts/start.ts) makes as the demo's admin and operator, and how it shows its
 * children's output: each line prefixed with whose it is.
 */
import type { ChildProcess } from "node:child_process";

/** The demo's product, created by the first `npm start` and found by every later one. */
export const PRODUCT = "demo";

export async function api(
  url: string,
  token: string,
  method: string,
  p: string,
  body?: unknown,
  type = "application/json",
) {
  const res = await fetch(`${url}/api/v1/products/${PRODUCT}${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": type }) },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : null) as Record<string, unknown>;
}

/** Products are created explicitly; idempotent, so a second `npm start` on the same state just finds it. */
export async function createDemoProduct(url: string, token: string): Promise<void> {
  const res = await fetch(`${url}/api/v1/products`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ id: PRODUCT }),
  });
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`create product ${PRODUCT}: ${res.status} ${await res.text()}`);
}

export function prefixed(child: ChildProcess, label: string) {
  for (const stream of [child.stdout, child.stderr]) {
    let buf = "";
    stream?.on("data", (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) console.log(`  [${label}] ${line}`);
    });
  }
}
