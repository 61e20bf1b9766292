/**
 * The benchmark's HTTP client: one call, a hard timeout, no retries — a retry
 * would hide exactly the slowness the benchmark is there to show.
 */

export interface Reply<T> {
  status: number;
  body: T;
}

export async function api<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  token: string,
  json?: unknown,
  timeoutMs = 60_000,
): Promise<Reply<T>> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(json !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: json === undefined ? undefined : JSON.stringify(json),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: res.status, body: body as T };
}

export const productPath = (product: string) => `/api/v1/products/${product}`;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
