// A guarded experiment's lifecycle at the API (workerd): a success_rate guardrail with a margin ≥ 1 (which could never
// trip) is a 400 problem+json `validation_failed` with `reason: margin_out_of_range` that stores and audits nothing,
// as is a split of 0 or 1 (one arm would get no job, so the guardrail would never look); two arms with the same
// policy (both `{}`: an A/B of a policy against itself that would block the class, or `{}` against the product's own
// weight) are a 400 `identical_arms`;
// a job class no job can have (`lang:rust|docs`, `,`) is a 400 for an experiment and a routing rule alike;
// while a cost margin of $5 is a fine cost margin; a started experiment stops once (a second stop answers it
// unchanged, `changed: false`), and once stopped the class may start a new one. At most MAX_LIVE_EXPERIMENTS are live:
// one more is a 429 limit_exceeded problem that stores nothing, until one is stopped. Concurrently: four starts on one
// class start one (the rest 409 naming it), three stops stop it once (one `changed: true`, all with its decision).
// Product weights that would make a running experiment's arms route alike (B's `{load: 2}` set for the product) are a
// 409 conflict naming it that writes nothing, until it is stopped; other weights still change. So is a product rule
// that would (preferring the factory arm B prefers: rules add up clamped), and then such an arm is `identical_arms`.
import { describe, expect, it } from "vitest";
import { MAX_LIVE_EXPERIMENTS } from "../../src/durable-objects/coordinator/policies/experiments.ts";
import { ADMIN, api, enroll, P } from "./client.ts";
import { auditDelivered } from "./history-wait.ts";

type View = { id: string; status: string; decision: { by: string } | null };
type Problem = { type: string; title: string; status: number; detail: string; code: string; reason?: string };

const spec = (guardrail: Record<string, unknown>) => ({
  jobClass: "lang:go",
  arms: { A: {}, B: { weights: { load: 2 } } },
  guardrail,
});

describe("experiment lifecycle", () => {
  it("refuses a success_rate margin ≥ 1 with a problem; starts, stops once, and starts again", async () => {
    const product = "experiment-lifecycle";
    const url = `${P(product)}/routing/experiments`;
    for (const margin of [1, 1.5, 999]) {
      const r = await api<Problem>("POST", url, {
        token: ADMIN,
        json: spec({ metric: "success_rate", margin, confidence: 0.9 }),
      });
      expect(r.status).toBe(400);
      expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(r.body).toMatchObject({
        type: "https://gigafactory.dev/problems/validation_failed",
        title: "Request failed validation",
        code: "validation_failed",
        reason: "margin_out_of_range",
      });
      expect(r.body.detail).toMatch(/^body\.guardrail\.margin: a success_rate margin .* must be below 1/);
    }
    // A split of 0 or 1 sends one arm no job: its guardrail would never look. Refused at the boundary.
    for (const split of [0, 1]) {
      const r = await api<Problem>("POST", url, {
        token: ADMIN,
        json: { ...spec({ metric: "success_rate", margin: 0.1, confidence: 0.9 }), split },
      });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: "validation_failed" });
      expect(r.body.detail).toMatch(/split/);
    }
    // Two identical arms (the CLI's `start --class docs` with no option sent both `{}`): refused, nothing stored.
    for (const arms of [
      { A: {}, B: {} },
      { A: { weights: { load: 2 } }, B: { weights: { load: 2 } } },
      { A: {}, B: { weights: { track: 1 } } }, // the product's own track weight: B routes as A does
    ]) {
      const r = await api<Problem>("POST", url, {
        token: ADMIN,
        json: { ...spec({ metric: "success_rate", margin: 0.1, confidence: 0.9 }), arms },
      });
      expect(r.status).toBe(400);
      expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(r.body).toMatchObject({ code: "identical_arms", type: "https://gigafactory.dev/problems/identical_arms" });
      expect(r.body.detail).toMatch(
        /same routing policy .* give arm B \(or A\) different weights or prefer\/avoid rules/,
      );
    }
    // A class no job can have (a label without `class:`, empty capabilities) would be stored and never see a job:
    // an experiment running unguarded for ever, a rule that never applies. Refused, nothing stored.
    for (const jobClass of ["lang:rust|docs", ",", "|", "lang:rust,,os:linux", "lang:rust|class:docs|x", "-,lang:go"]) {
      const body = { ...spec({ metric: "success_rate", margin: 0.1, confidence: 0.9 }), jobClass };
      const r = await api<Problem>("POST", url, { token: ADMIN, json: body });
      expect([jobClass, r.status, r.body.code]).toEqual([jobClass, 400, "validation_failed"]);
      expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(r.body.detail).toMatch(/jobClass/);
      const rule = await api<Problem>("POST", `${P(product)}/routing/rules`, {
        token: ADMIN,
        json: { factoryId: "fac_x", jobClass, effect: "avoid", reason: "r" },
      });
      expect([jobClass, rule.status, rule.body.code]).toEqual([jobClass, 400, "validation_failed"]);
    }
    expect(
      (await api<{ rules: unknown[] }>("GET", `${P(product)}/routing/rules`, { token: ADMIN })).body.rules,
    ).toEqual([]);
    expect((await api<{ experiments: View[] }>("GET", url, { token: ADMIN })).body.experiments).toEqual([]);

    const started = await api<View>("POST", url, {
      token: ADMIN,
      json: spec({ metric: "cost", margin: 5, confidence: 0.9 }),
    });
    expect(started.status).toBe(201);
    const stop = () => api<View>("POST", `${url}/${started.body.id}/stop`, { token: ADMIN });
    const stopped = await stop();
    expect(stopped.body).toMatchObject({ status: "stopped", decision: { by: "operator" } });
    expect((await stop()).body).toEqual({ ...stopped.body, changed: false });
    const again = await api<View>("POST", url, {
      token: ADMIN,
      json: spec({ metric: "success_rate", margin: 0.99, confidence: 0.9 }),
    });
    expect(again.status).toBe(201);

    // Audited: the two starts and one stop — nothing for the refused bodies, nothing for the repeated stop (read once
    // all the coordinator wrote is in D1: history-wait `auditDelivered`).
    const audit = await auditDelivered(product);
    expect(
      audit
        .map((a) => a.action)
        .filter((a) => a.startsWith("routing.experiment"))
        .sort(),
    ).toEqual(["routing.experiment.start", "routing.experiment.start", "routing.experiment.stop"]);
  });
  it("bounds the live experiments: one more than MAX_LIVE_EXPERIMENTS is a 429 limit_exceeded until one is stopped", async () => {
    const product = "experiment-live-bound";
    const url = `${P(product)}/routing/experiments`;
    const start = (i: number) =>
      api<View & Problem>("POST", url, {
        token: ADMIN,
        json: { ...spec({ metric: "success_rate", margin: 0.1, confidence: 0.9 }), jobClass: `lang:l${i}` },
      });
    const ids: string[] = [];
    for (let i = 0; i < MAX_LIVE_EXPERIMENTS; i++) {
      const r = await start(i);
      expect([i, r.status]).toEqual([i, 201]);
      ids.push(r.body.id);
    }
    const over = await start(MAX_LIVE_EXPERIMENTS);
    expect([over.status, over.body.code]).toEqual([429, "limit_exceeded"]);
    expect(over.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(over.body.detail).toMatch(/stop one first/);
    const listed = (await api<{ experiments: View[] }>("GET", url, { token: ADMIN })).body.experiments;
    expect(listed).toHaveLength(MAX_LIVE_EXPERIMENTS);
    expect((await api("POST", `${url}/${ids[0]}/stop`, { token: ADMIN })).status).toBe(200);
    expect((await start(MAX_LIVE_EXPERIMENTS)).status).toBe(201);
  });

  it("concurrent starts on one class start one (the rest 409 conflict); concurrent stops stop it once", async () => {
    const product = "experiment-concurrent";
    const url = `${P(product)}/routing/experiments`;
    const body = spec({ metric: "success_rate", margin: 0.1, confidence: 0.9 });
    await api("GET", url, { token: ADMIN }); // the product exists before the race
    const starts = await Promise.all(
      [0, 1, 2, 3].map(() => api<View & Problem>("POST", url, { token: ADMIN, json: body })),
    );
    expect(starts.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    const started = starts.find((r) => r.status === 201)?.body as View;
    for (const r of starts.filter((x) => x.status === 409)) expect(r.body.detail).toContain(started.id);
    const stops = await Promise.all(
      [0, 1, 2].map(() => api<View & { changed: boolean }>("POST", `${url}/${started.id}/stop`, { token: ADMIN })),
    );
    expect(stops.map((r) => [r.status, r.body.changed]).sort()).toEqual([
      [200, false],
      [200, false],
      [200, true],
    ]);
    // Every answer shows the one stop's decision.
    expect(new Set(stops.map((r) => JSON.stringify(r.body.decision))).size).toBe(1);
  });

  it("refuses new product weights that make a running experiment's arms route alike, until it is stopped", async () => {
    const product = "experiment-settings";
    const url = `${P(product)}/routing/experiments`;
    const settings = `${P(product)}/settings`;
    const body = spec({ metric: "success_rate", margin: 0.1, confidence: 0.9 }); // A {} against B {load: 2}
    const started = await api<View>("POST", url, { token: ADMIN, json: body });
    expect(started.status).toBe(201);
    const patch = { weights: { load: 2 } };
    const refused = await api<Problem>("PATCH", settings, { token: ADMIN, json: patch });
    expect([refused.status, refused.body.code]).toEqual([409, "conflict"]);
    expect(refused.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(refused.body.detail).toContain(`running experiment ${started.body.id}`);
    const now = await api<{ weights: { load: number } }>("GET", settings, { token: ADMIN });
    expect(now.body.weights.load).toBe(1); // nothing written
    // Other weights, and other keys, still change while it runs.
    expect((await api("PATCH", settings, { token: ADMIN, json: { weights: { health: 2 } } })).status).toBe(200);
    expect((await api("POST", `${url}/${started.body.id}/stop`, { token: ADMIN })).status).toBe(200);
    expect((await api("PATCH", settings, { token: ADMIN, json: patch })).status).toBe(200);

    // Rules add to the product's, clamped: arm B's prefer of a factory the product already prefers is no change.
    const f = await enroll(product, "go-box", ["lang:go"]);
    const arms = { A: {}, B: { rules: [{ factoryId: f.factoryId, effect: "prefer" }] } };
    const preferred = await api<View>("POST", url, { token: ADMIN, json: { ...body, arms } });
    expect(preferred.status).toBe(201);
    const rule = { factoryId: f.factoryId, effect: "prefer", reason: "fast" };
    const refusedRule = await api<Problem>("POST", `${P(product)}/routing/rules`, { token: ADMIN, json: rule });
    expect([refusedRule.status, refusedRule.body.code]).toEqual([409, "conflict"]);
    expect(refusedRule.body.detail).toContain(`running experiment ${preferred.body.id}`);
    expect(
      (await api<{ rules: unknown[] }>("GET", `${P(product)}/routing/rules`, { token: ADMIN })).body.rules,
    ).toEqual([]);
    expect((await api("POST", `${url}/${preferred.body.id}/stop`, { token: ADMIN })).status).toBe(200);
    expect((await api("POST", `${P(product)}/routing/rules`, { token: ADMIN, json: rule })).status).toBe(201);
    const again = await api<Problem>("POST", url, { token: ADMIN, json: { ...body, arms } });
    expect([again.status, again.body.code]).toEqual([400, "identical_arms"]);
  });
});
