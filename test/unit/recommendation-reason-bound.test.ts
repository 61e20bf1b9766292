// A recommendation can always be applied (core/recommendations `finding`, core/routing-rules RULE_REASON_MAX_BYTES):
// its rule's reason — the finding's sentence, which quotes the job class — is cut to the byte limit `POST
// …/routing/rules` takes (shared/api-routing RuleBody), so `routing apply` of a finding for a class of 32 long
// capabilities is not a 400. The finding's own message keeps the whole sentence. For any class, factory and engine
// a job can have (fast-check), the proposed rule passes RuleBody.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { utf8Bytes } from "../../src/core/bytes.ts";
import { type KeyedTrack, recommend } from "../../src/core/recommendations.ts";
import { RULE_REASON_MAX_BYTES } from "../../src/core/routing-rules.ts";
import { addOutcome, emptyRecord, jobClassOf, type TrackRecord } from "../../src/core/track-record.ts";
import { RuleBody } from "../../src/shared/api-routing.ts";

const NOW = 1_700_000_000_000;

function record(n: number, fails: number): TrackRecord {
  let r = emptyRecord(NOW);
  for (let i = 0; i < n; i++) r = addOutcome(r, { ok: i >= fails, durationMs: 60_000, costUsd: 0.1 }, NOW);
  return r;
}

/** A failing factory and two good ones on one (engine, class): one failure_rate finding. */
const findingsFor = (jobClass: string, factoryId: string, engine: string) =>
  recommend(
    [
      { factoryId, engine, jobClass, record: record(20, 10) },
      { factoryId: "ok-1", engine, jobClass, record: record(20, 0) },
      { factoryId: "ok-2", engine, jobClass, record: record(20, 0) },
    ] satisfies KeyedTrack[],
    NOW,
  );

describe("a recommendation's rule reason", () => {
  it("fits RuleBody for a class of 32 capabilities of 64 characters and a label", () => {
    const caps = Array.from({ length: 32 }, (_, i) => `cap${String(i).padStart(2, "0")}:${"x".repeat(58)}`);
    const jobClass = jobClassOf(caps, "y".repeat(64));
    const [f] = findingsFor(jobClass, "f".repeat(64), "codex");
    expect(f?.kind).toBe("failure_rate");
    expect(utf8Bytes(f?.message ?? "")).toBeGreaterThan(RULE_REASON_MAX_BYTES); // the message keeps it all
    expect(utf8Bytes(f?.rule.reason ?? "")).toBeLessThanOrEqual(RULE_REASON_MAX_BYTES);
    const body = RuleBody.safeParse({ ...f?.rule, fromRecommendation: f?.id });
    expect(body.success, JSON.stringify(body.error?.issues)).toBe(true);
  });

  it("fits RuleBody for any class a job can have (property)", () => {
    // 24–32 distinct capabilities of any length a manifest allows (1–64): `c<i>` and up to 60 more characters,
    // mostly the longest — the classes where the limit bites (short ones fit by far).
    const length = fc.oneof({ arbitrary: fc.constant(60), weight: 9 }, { arbitrary: fc.nat(60), weight: 1 });
    const caps = fc
      .array(length, { minLength: 24, maxLength: 32 })
      .map((lens) => lens.map((n, i) => `c${i}${"x".repeat(n)}`));
    fc.assert(
      fc.property(
        caps,
        fc.option(fc.stringMatching(/^[a-z0-9][a-z0-9._:/-]{0,63}$/), { nil: undefined }),
        fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
        (caps, label, factoryId) => {
          for (const f of findingsFor(jobClassOf(caps, label), factoryId, "codex")) {
            const body = RuleBody.safeParse({ ...f.rule, fromRecommendation: f.id });
            expect(body.success, JSON.stringify(body.error?.issues)).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
