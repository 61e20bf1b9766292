/**
 * @module shared/request-hash
 * The hash an idempotency key is stored with: SHA-256 of the normalised request. The Worker's bulk path and
 * the coordinator's submit must compute it identically, so it lives here, with the refusal for a key reused
 * with a different request.
 */
import { createHash } from "node:crypto";
import { DomainError } from "../core/errors.ts";
import type { SubmitInput } from "./coordinator-rpc.ts";

/** What a key stands for: the request as submitted, after validation. */
export type KeyedRequest = SubmitInput;

/**
 * The normalised request as canonical JSON: object keys sorted at every depth,
 * `undefined` fields dropped, the key itself left out (it is what is compared
 * against, not part of the request).
 */
export function normalizedRequest(input: KeyedRequest): string {
  const { idempotencyKey: _key, ...manifest } = input.manifest;
  return JSON.stringify({ bodyMd: input.bodyMd, manifest }, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** SHA-256 of the normalised request, as 64 lowercase hex digits. */
export function requestHash(input: KeyedRequest): string {
  return createHash("sha256").update(normalizedRequest(input), "utf8").digest("hex");
}

/** The refusal for a key reused with a different request; details carry the key and the job it names. */
export function keyConflict(key: string, jobId: string): DomainError {
  return new DomainError(
    "conflict",
    `idempotency key "${key}" was already used for a different request (job ${jobId}); ` +
      "resend the original request to get that job, or use a new key for a new job",
    { idempotencyKey: key, jobId },
  );
}
