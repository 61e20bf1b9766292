// An operator's emergency stop needs no ceiling (SPEC §6): `POST …/budget/pause` with no budget set answered 404
// `not_found: budget of product … does not exist`, and dispatch ran on. Now it pauses (settings.budgetPaused, no budget
// row: `{budget: null, pausedBy: "operator", changed}`), a claim finds nothing and the job waits `budget_paused`; a
// second pause changes nothing; GET …/budget stays the 404 it was (`what: "budget of product"`) but says the pause
// (`pausedBy`); a budget set then keeps the pause (a ceiling never lifts a stop); resume lifts it, and dispatch
// goes on. A viewer may not pause.
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, getJob, mintToken, P, submit } from "./client";

type Reply = { budget?: null; pausedBy?: string; changed?: boolean; state?: string; code?: string; detail?: string };
const act = (product: string, verb: "pause" | "resume", token = ADMIN) =>
  api<Reply>("POST", `${P(product)}/budget/${verb}`, { token });
const read = (product: string) => api<Reply & { what?: string }>("GET", `${P(product)}/budget`, { token: ADMIN });
const settings = async (product: string) =>
  (await api<{ budgetPaused: boolean }>("GET", `${P(product)}/settings`, { token: ADMIN })).body.budgetPaused;

describe("an operator's pause with no budget set", () => {
  it("stops dispatch at once, says so on GET …/budget, and a resume lifts it", async () => {
    const product = "budget-unset-pause";
    const f = await enroll(product, "box-1");
    const viewer = (await mintToken(product, "viewer")).token;
    expect((await act(product, "pause", viewer)).status).toBe(403);

    const paused = await act(product, "pause");
    expect(paused.status).toBe(200);
    expect(paused.body).toEqual({ budget: null, pausedBy: "operator", changed: true });
    expect((await act(product, "pause")).body).toEqual({ budget: null, pausedBy: "operator", changed: false });
    expect(await settings(product)).toBe(true);

    const job = await submit(product, { title: "held" });
    expect((await claim(product, f.token)).status).toBe(204);
    const waiting = (await getJob(product, job.id)).waitingReason as { message?: string } | undefined;
    expect(waiting).toMatchObject({ code: "budget_paused", detail: { pausedBy: "operator", budget: null } });
    // No budget is set: nothing is spent and there is no ceiling to raise (it said "raises a spent ceiling").
    expect(waiting?.message).not.toMatch(/spent|raises/);
    expect(waiting?.message).toContain("no budget is set");
    const none = await read(product);
    expect(none.status).toBe(404);
    expect(none.body).toMatchObject({ code: "not_found", what: "budget of product", pausedBy: "operator" });
    expect(none.body.detail).toContain(
      "dispatch is paused by an operator — `gigafactory budget resume` lifts the pause",
    );

    const resumed = await act(product, "resume");
    expect(resumed.body).toEqual({ budget: null, changed: true });
    expect((await act(product, "resume")).body).toEqual({ budget: null, changed: false });
    expect(await settings(product)).toBe(false);
    expect((await read(product)).body).not.toHaveProperty("pausedBy");
    expect((await claim(product, f.token)).body).toMatchObject({ job: { id: job.id } });
  });

  it("is kept by the first budget set, then lifted by resume like any operator's pause", async () => {
    const product = "budget-unset-then-set";
    expect((await act(product, "pause")).body).toMatchObject({ pausedBy: "operator", changed: true });
    const json = { period: "day", ceilingUsd: 50, onExhausted: "pause" };
    const set = await api<Reply>("PUT", `${P(product)}/budget`, { token: ADMIN, json });
    expect(set.body).toMatchObject({ state: "paused", pausedBy: "operator", exhausted: false });
    expect(await settings(product)).toBe(true);
    const resumed = await act(product, "resume");
    expect(resumed.body).toMatchObject({ state: "ok", changed: true });
    expect(resumed.body).not.toHaveProperty("pausedBy");
    expect(await settings(product)).toBe(false);
  });
});
