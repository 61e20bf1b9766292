/**
 * @module shared/coordinator-rpc
 * The contract between the Worker and the ProductCoordinator's RPC methods: who is calling (`Principal`), what a
 * submission carries (`SubmitInput`), who commits an artifact (`ArtifactUploader`), and how a job's feed object is
 * named (`feedName`). Kept here so the Worker never imports the coordinator's internals.
 */
import type { Manifest } from "../core/model.ts";
import type { TokenRole } from "./responses.ts";

/** What a token hash authenticates as (coordinator/access/feed-readers/tokens `authenticate`). */
export type Principal =
  | { kind: "token"; role: TokenRole; tokenId: string; name: string }
  /** `name`: the name it enrolled under (whoami says it; absent from an older coordinator's answer). */
  | { kind: "factory"; factoryId: string; name?: string }
  /** `spent`: a code already exchanged, whose exchange may still be resumed with its nonce (enroll only). */
  | { kind: "enrollment"; codeId: string; spent?: true };

/** One submission: the validated manifest and the job's body. */
export interface SubmitInput {
  manifest: Manifest;
  bodyMd: string;
}

/** Who is committing an artifact: a factory under a lease, or an operator (not bound to any lease). */
export type ArtifactUploader = { kind: "factory"; factoryId: string; leaseEpoch: number } | { kind: "operator" };

/** The name of a job's JobFeed Durable Object: one per job, scoped by product. */
export function feedName(productId: string, jobId: string): string {
  return `${productId}:${jobId}`;
}
