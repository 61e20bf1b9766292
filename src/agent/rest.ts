/**
 * @module agent/rest
 * The agent's REST calls beside its WebSocket — enrollment and artifact
 * upload — over the shared typed client (shared/http-client). Kept as a thin
 * adapter so the rest of the agent sees one error type, `RestError`, whose
 * `code` tells "refused token" from "server down" (`unreachable`).
 */
import { ApiError, ConnectionError, type Enrolled, GigafactoryClient } from "../shared/http-client.ts";

export type { Enrolled };

export class RestError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  constructor(status: number, code: string, detail: string) {
    super(`${code}: ${detail}`);
    this.name = "RestError";
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

export interface RestTarget {
  url: string;
  product: string;
  token: string;
}

/** 60 s: an artifact of up to 25 MiB over a slow uplink; anything slower is better reported than waited on. */
const REQUEST_TIMEOUT_MS = 60_000;

async function translate<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError) throw new RestError(err.status, err.code, err.detail);
    if (err instanceof ConnectionError) throw new RestError(0, "unreachable", err.message);
    if (err instanceof Error && err.name === "TimeoutError") throw new RestError(0, "timeout", "no answer within 60 s");
    throw err;
  }
}

function client(t: RestTarget): GigafactoryClient {
  return new GigafactoryClient({ url: t.url, product: t.product, token: t.token });
}

/** Exchange an enrollment code (`t.token` = `gfe_…`, or an operator token) for a factory token. */
export function enroll(
  t: RestTarget,
  body: { name: string; capabilities: string[]; seats: number },
): Promise<Enrolled> {
  return translate(() => client(t).enroll(body));
}

export interface ArtifactInfo {
  name: string;
  size: number;
  sha256: string;
  contentType: string;
}

/** Upload one text artifact of the job we hold at `leaseEpoch` (logs and `git diff --binary` are text). */
export function uploadArtifact(
  t: RestTarget,
  jobId: string,
  leaseEpoch: number,
  name: string,
  text: string,
  contentType: string,
): Promise<ArtifactInfo> {
  return translate(async () => {
    const c = client(t);
    const url = c.productUrl(`/jobs/${encodeURIComponent(jobId)}/artifacts`, { name, leaseEpoch });
    const res = await c.send("POST", url, {
      text,
      headers: { "content-type": contentType },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return (await res.json()) as ArtifactInfo;
  });
}
