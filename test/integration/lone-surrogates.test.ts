// Text that is not well-formed Unicode is refused at the boundary, not stored changed. JSON can spell a lone
// surrogate ("\ud800"), but UTF-8 cannot hold one: D1 stored such a lesson as U+FFFD characters, three times its
// byte limit, and a job's D1 snapshot disagreed with its live title (found by a hostile-input reviewer). A body,
// a markdown manifest's front matter and a factory frame each answer 400 / `validation_failed` or
// `invalid_manifest`, and nothing is created; the same text with the pair intact (an emoji) is accepted.
import { describe, expect, it } from "vitest";
import { ADMIN, api, enroll, P, submit, until } from "./client";
import { connectFactory } from "./sockets";

type Problem = { code: string; detail: string };
const LONE = ["\ud800", "\udc00", "x\ud83dy", "\ude00x"];

describe("lone surrogates", () => {
  it("in a JSON body: 400 validation_failed, nothing created; a whole pair is fine", async () => {
    const product = "lone-json";
    for (const text of LONE) {
      const r = await api<Problem>("POST", `${P(product)}/lessons`, { token: ADMIN, json: { text } });
      expect(r.status, JSON.stringify(text)).toBe(400);
      expect(r.body.code).toBe("validation_failed");
      expect(r.body.detail).toContain("lone surrogate");
      // In a key too, and nested anywhere: the whole parsed body is walked.
      const job = await api<Problem>("POST", `${P(product)}/jobs`, {
        token: ADMIN,
        json: { manifest: { title: "t", env: { [`K${text}`]: "v" } } },
      });
      expect(job.status).toBe(400);
      const title = await api<Problem>("POST", `${P(product)}/jobs`, {
        token: ADMIN,
        json: { manifest: { title: text } },
      });
      expect(title.body.code).toBe("validation_failed");
    }
    const jobs = await api<{ jobs: unknown[] }>("GET", `${P(product)}/jobs`, { token: ADMIN });
    expect(jobs.body.jobs).toEqual([]);
    const ok = await api<{ text: string }>("POST", `${P(product)}/lessons`, { token: ADMIN, json: { text: "ok 😀" } });
    expect(ok.status).toBe(201);
    // Lessons are read back from D1, after the outbox ships them in write order: the accepted one alone arrives.
    const listed = await until(
      async () =>
        (await api<{ items: Array<{ text: string }> }>("GET", `${P(product)}/lessons`, { token: ADMIN })).body,
      (p) => Array.isArray(p.items) && p.items.length > 0,
      20_000,
    );
    expect(listed.items.map((l) => l.text)).toEqual(["ok 😀"]);
    expect(ok.body.text).toBe("ok 😀");
  });

  it("escaped in a markdown manifest's front matter: 400 invalid_manifest", async () => {
    const product = "lone-markdown";
    const markdown = '---\ntitle: "lone \\ud800 escape"\n---\nbody\n';
    const r = await api<Problem>("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      text: markdown,
      headers: { "content-type": "text/markdown" },
    });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("invalid_manifest");
    expect(r.body.detail).toContain("lone surrogate");
    const pair = await api("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      text: '---\ntitle: "pair \\ud83d\\ude00"\n---\nbody\n',
      headers: { "content-type": "text/markdown" },
    });
    expect(pair.status).toBe(201);
    expect((pair.body as { title: string }).title).toBe("pair 😀");
  });

  it("in a factory frame: an error frame, and the job is unchanged", async () => {
    const product = "lone-frame";
    const job = await submit(product, { title: "j" });
    const f = await enroll(product, "f");
    const { socket } = await connectFactory(product, f.token);
    const a = (await socket.next<{ assignments: Array<{ job: { id: string }; leaseEpoch: number }> }>("assign"))
      .assignments[0]!;
    expect(a.job.id).toBe(job.id);
    socket.send({ type: "progress", id: "p", jobId: job.id, leaseEpoch: a.leaseEpoch, note: "half \ud800" });
    const answer = await socket.answer<{ type: string; code?: string; message?: string }>("p");
    expect(answer).toMatchObject({ type: "error", code: "validation_failed" });
    expect(answer.message).toContain("lone surrogate");
    const after = await api<{ stage: string; progress?: unknown }>("GET", `${P(product)}/jobs/${job.id}`, {
      token: ADMIN,
    });
    expect(after.body.stage).toBe("assigned");
    expect(after.body.progress).toBeUndefined();
  });
});
