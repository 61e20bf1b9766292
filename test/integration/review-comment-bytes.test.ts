// A review record keeps at most MAX_COMMENT_BYTES (500) of UTF-8 of its comment, whichever endpoint wrote it: the
// legacy `…/actions/approve|reject` take a 16,000-byte note, which was stored whole as the review's comment (and
// kept, up to 50 reviews, in the job's document and its history snapshots) though `POST …/reviews` refuses a comment
// over 500 bytes. The note is cut on a code-point boundary, counted in bytes (400 "é" is 400 characters, 800 bytes);
// a reject's whole note still reaches the next attempt as its feedback.
import { describe, expect, it } from "vitest";
import { MAX_COMMENT_BYTES } from "../../src/core/review.ts";
import { ADMIN, api, claim, enroll, getJob, mintToken, P, submit } from "./client.ts";

const bytes = (s: string) => new TextEncoder().encode(s).length;

/** A job in `review`, built by a factory over HTTP. */
async function inReview(product: string, manifest: Record<string, unknown>) {
  const f = await enroll(product, "f");
  const job = await submit(product, { title: "reviewed", ...manifest });
  const epoch = (await claim(product, f.token)).body.lease.leaseEpoch;
  for (const stage of ["building", "review"]) {
    const r = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
      token: f.token,
      json: { leaseEpoch: epoch, stage },
    });
    expect(r.status).toBe(200);
  }
  return job;
}

type Reviews = { reviews: Array<{ verdict: string; comment?: string }> };
const reviewsOf = async (product: string, id: string) =>
  (await api<Reviews>("GET", `${P(product)}/jobs/${id}/reviews`, { token: ADMIN })).body.reviews;

describe("a review's comment is bounded in UTF-8 bytes on every endpoint", () => {
  it("a legacy approve's 800-byte note is kept as a comment of at most 500 bytes, cut on a code point", async () => {
    const product = "review-comment-bytes-approve";
    const job = await inReview(product, { reviewers: 2 });
    const note = "é".repeat(400); // 400 characters, 800 bytes: a character count would keep it whole
    const alice = await mintToken(product, "operator", "alice");
    const r = await api("POST", `${P(product)}/jobs/${job.id}/actions/approve`, { token: alice.token, json: { note } });
    expect(r.status).toBe(200);
    const [stored] = await reviewsOf(product, job.id);
    expect(stored?.verdict).toBe("approve");
    expect(bytes(stored?.comment ?? "")).toBeLessThanOrEqual(MAX_COMMENT_BYTES);
    expect(stored?.comment).toMatch(/^(é)+…$/u); // whole characters, then the mark that it was cut
  });

  it("a legacy reject's long note: the review keeps 500 bytes of it, the rework's feedback all of it", async () => {
    const product = "review-comment-bytes-reject";
    const job = await inReview(product, { reviewers: 1, onReject: "requeue" });
    const note = `${"x".repeat(3_000)} the end`;
    const r = await api("POST", `${P(product)}/jobs/${job.id}/actions/reject`, { token: ADMIN, json: { note } });
    expect(r.status).toBe(200);
    const [stored] = await reviewsOf(product, job.id);
    expect(stored?.verdict).toBe("reject");
    expect(bytes(stored?.comment ?? "")).toBeLessThanOrEqual(MAX_COMMENT_BYTES);
    const after = (await getJob(product, job.id)) as { stage: string; feedback?: string };
    expect(after.stage).toBe("queued");
    expect(after.feedback).toBe(`admin: ${note}`);
  });
});
