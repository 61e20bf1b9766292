// A new job's JSON size against the assignment bound (core/job-size): a manifest at every schema bound, each text of control characters, stays within JOB_FIELDS_JSON_BOUND besides its body; a body the cheap bound clears is not serialized; past it the job is measured exactly (a long plain body fits, a body of control characters does not, its size named).
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonBytes } from "../../src/core/bytes.ts";
import { JOB_FIELDS_JSON_BOUND, oversizedJob } from "../../src/core/job-size.ts";
import type { Job, Manifest } from "../../src/core/model.ts";
import { MAX_ASSIGNED_JOB_BYTES } from "../../src/shared/protocol.ts";

/** `n` UTF-16 units that each escape to six bytes of JSON. */
const worst = (n: number) => "\u0001".repeat(n);
const ids = (n: number) => Array.from({ length: n }, (_, k) => `${k}`.padStart(64, "x"));

/** Every manifest field at its schema bound (core/manifest-schema), free text as control characters. */
function worstJob(bodyMd: string): Job {
  const manifest: Manifest = {
    title: worst(800),
    priority: "critical",
    requires: ids(32),
    prefers: ids(32),
    engine: "e".repeat(32),
    repo: worst(500),
    budget: { usd: 99_999.123456, wallSeconds: 604_800, tokens: 1e9 },
    deps: ids(100),
    depsMode: "any",
    maxAttempts: 20,
    serialKey: worst(800),
    idempotencyKey: worst(800),
    reviewers: 10,
    onReject: "requeue",
    kind: "composite",
    parentId: "p".repeat(64),
    leaseTtlSeconds: 86_400,
    onChildFailure: "continue",
    class: "c".repeat(64),
  } as Manifest;
  const { title, priority, requires, prefers, engine, repo, budget, deps, depsMode, parentId, kind } = manifest;
  const { idempotencyKey, maxAttempts, serialKey } = manifest;
  return {
    id: `job_${"9".repeat(40)}`,
    productId: "q".repeat(63),
    ...{ title, bodyMd, manifest, stage: "blocked", priority, requires, prefers, engine, repo, budget, deps },
    ...{ depsMode, parentId, kind, idempotencyKey, rev: 1, leaseEpoch: 0, attempt: 0, maxAttempts, serialKey },
    createdAt: 9_999_999_999_999,
    updatedAt: 9_999_999_999_999,
    queuedAt: 9_999_999_999_999,
  } as Job;
}

afterEach(() => vi.restoreAllMocks());

describe("a new job's size against the assignment bound", () => {
  it("bounds everything but the body of a manifest at every limit", () => {
    expect(jsonBytes(worstJob(""))).toBeLessThanOrEqual(JOB_FIELDS_JSON_BOUND);
  });

  it("clears a body the cheap bound proves fits, without serializing the job", () => {
    const spy = vi.spyOn(JSON, "stringify");
    const units = Math.floor((MAX_ASSIGNED_JOB_BYTES - JOB_FIELDS_JSON_BOUND) / 6);
    expect(oversizedJob(worstJob(worst(units)), MAX_ASSIGNED_JOB_BYTES)).toBeUndefined();
    expect(spy).not.toHaveBeenCalled();
  });

  it("measures past the cheap bound: a long plain body fits, a body of control characters is named by its size", () => {
    expect(oversizedJob(worstJob("a".repeat(200_000)), MAX_ASSIGNED_JOB_BYTES)).toBeUndefined();
    const big = worstJob(worst(200_000));
    expect(oversizedJob(big, MAX_ASSIGNED_JOB_BYTES)).toBe(jsonBytes(big));
    expect(jsonBytes(big)).toBeGreaterThan(MAX_ASSIGNED_JOB_BYTES);
  });
});
