// A 2xx answer the dashboard cannot use is refused in one sentence naming the field (dashboard/answer-shape.js, and
// api.js `api` with its `answer`), not used: a wrong shape showed as a raw TypeError, a blank panel, or a wrong figure
// shown as fact. Extra fields and the nulls a page reads as "none" pass; the first field not as read is named in the
// answer's order; an answer nested past the call stack is refused, not a RangeError; a body that is not JSON (a
// proxy's page, a cut body) or not an object is refused too. Such a refusal may pass when asked again and leaves a
// write's outcome unknown (`transient`, `outcomeUnknown`), and a write's status line says it was sent, not refused
// (`writeFailure`). Sign-in refuses a JSON answer without a jobs list. The shared poller (live.js) meeting wrong
// shapes keeps the counts and factories it had, and says which field was wrong.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { checkAnswer, either, lazy, maybe, opt, orNull, recordOf } from "../../dashboard/answer-shape.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import * as client from "../../dashboard/api.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { Live } from "../../dashboard/live.js";

const { ApiError, api, describeError, outcomeUnknown, transient, verifySession, writeFailure } = client;

const refusal = (value: unknown, shape: unknown, path = "/jobs?limit=50") => {
  try {
    checkAnswer("GET", path, value, shape);
    return "";
  } catch (err) {
    return (err as Error).message;
  }
};

describe("checkAnswer", () => {
  const JOBS = { jobs: [{ id: "string", attempt: "number", holder: maybe("string"), due: opt("number") }] };

  it("passes an answer with more fields than read, and the nulls and absences a page reads as none", () => {
    const answer = { jobs: [{ id: "j", attempt: 1, holder: null, extra: { x: 1 } }], newer: true };
    expect(checkAnswer("GET", "/jobs", answer, JOBS)).toBe(answer);
    expect(refusal({ rate: null, n: 1 }, { rate: orNull("number"), n: "number" })).toBe("");
    expect(refusal({ counts: { queued: 1, shipped: 2 } }, { counts: recordOf("number") })).toBe("");
    expect(refusal({ le: "+Inf" }, { le: either("number", "string") })).toBe("");
  });

  it("names the first field not as read, in the answer's order, with what it was", () => {
    expect(refusal({}, JOBS)).toBe(
      "The coordinator's answer to GET …/jobs had no `jobs` list (is the dashboard newer than the coordinator?)",
    );
    expect(refusal({ jobs: [{ id: "a", attempt: 1 }, { attempt: "2" }] }, JOBS)).toBe(
      "The coordinator's answer to GET …/jobs had no `jobs[1].id` text (is the dashboard newer than the coordinator?)",
    );
    expect(refusal({ jobs: [{ id: "a", attempt: "2" }] }, JOBS)).toBe(
      "The coordinator's answer to GET …/jobs had `jobs[0].attempt` as text, not a number (are the dashboard and the coordinator one version?)",
    );
    expect(refusal({ jobs: [{ id: "a", attempt: 1, due: null }] }, JOBS)).toMatch(
      /`jobs\[0\]\.due` as null, not a number/,
    );
    expect(refusal({ counts: { queued: "1" } }, { counts: recordOf("number") })).toMatch(/`counts\.queued` as text/);
    expect(refusal({ rate: undefined }, { rate: orNull("number") })).toMatch(/had no `rate` number/);
  });

  it("refuses an answer that is not an object at all", () => {
    expect(refusal(null, JOBS)).toBe(
      "The coordinator's answer to GET …/jobs was null, not an object (is something other than the coordinator answering?)",
    );
    expect(refusal([], JOBS)).toMatch(/was a list, not an object/);
    expect(refusal("<html>", JOBS)).toMatch(/was text, not an object/);
  });

  it("checks a shape that holds itself as deep as the answer goes, without a RangeError", () => {
    const NODE: Record<string, unknown> = { id: "string", children: [lazy(() => NODE)] };
    let deep: Record<string, unknown> = { id: 7, children: [] };
    for (let i = 0; i < 50_000; i++) deep = { id: "n", children: [deep] };
    const said = refusal({ root: deep }, { root: NODE }, "/jobs/j/tree");
    expect(said).toMatch(
      /^The coordinator's answer to GET …\/jobs\/j\/tree had `…(children\[0\]\.)+id` as a number, not text/,
    );
    expect(said.length).toBeLessThan(400);
  });
});

const host = globalThis as unknown as Record<string, unknown>;
const saved = { fetch: host.fetch, location: host.location, document: host.document };
/** The next answers, by path suffix: a Response, or a body to send as JSON. */
let answers: Record<string, () => Response> = {};

beforeEach(() => {
  answers = {};
  Object.assign(host, {
    location: { origin: "http://dash.test" },
    document: { hidden: false },
    fetch: async (url: string) => {
      const path = new URL(url).pathname;
      const key = Object.keys(answers).find((k) => path.endsWith(k));
      return key ? (answers[key] as () => Response)() : new Response("no route", { status: 404 });
    },
  });
});
afterEach(() => {
  Object.assign(host, saved);
});

const session = { token: "gf_p_x", product: "p" };
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (err: unknown) => err,
  );

describe("api with an answer shape", () => {
  it("refuses a 2xx that is not JSON, or not the shape, as a failure worth asking again whose outcome is unknown", async () => {
    answers["/settings"] = () => new Response("<html>Portal</html>", { status: 200 });
    const html = await failure(api(session, "/settings", { method: "PATCH", body: {}, answer: { x: "number" } }));
    expect(describeError(html)).toBe(
      `The coordinator's answer to PATCH …/settings was not JSON in UTF-8: HTTP 200, 19 bytes of text/plain: "Portal" (is something in front of it answering instead?)`,
    );
    expect([transient(html), outcomeUnknown(html)]).toEqual([true, true]);
    answers["/settings"] = () => new Response('{"leaseTtl', { status: 200 }); // cut short
    expect(describeError(await failure(api(session, "/settings")))).toMatch(/was not JSON/);
    answers["/settings"] = () => Response.json(null);
    const nul = await failure(api(session, "/settings", { answer: { x: "number" } }));
    expect([describeError(nul), transient(nul), outcomeUnknown(nul)]).toEqual([
      "The coordinator's answer to GET …/settings was null, not an object (is something other than the coordinator answering?)",
      true,
      true,
    ]);
    // A write whose answer cannot be read was sent: it says so, not that it was refused.
    expect(writeFailure(nul, "Not saved")).toBe(`Sent, outcome unknown: ${describeError(nul)}`);
    const refused = new ApiError(409, "Conflict", "stale", "conflict", { method: "PATCH" });
    expect(writeFailure(refused, "Not saved")).toBe(`Not saved: ${describeError(refused)}`);
    answers["/settings"] = () => Response.json({ x: 1, y: 2 });
    expect(await api(session, "/settings", { answer: { x: "number" } })).toEqual({ x: 1, y: 2 });
  });

  it("does not sign in to a service that answers JSON without a jobs list", async () => {
    answers["/jobs"] = () => Response.json({ ok: true });
    expect(describeError(await failure(verifySession(session)))).toMatch(/GET …\/jobs had no `jobs` list/);
    answers["/jobs"] = () => Response.json({ jobs: [] });
    expect(await verifySession(session)).toBeUndefined();
  });
});

describe("the shared poller meeting a wrong shape", () => {
  it("keeps the counts and factories it read, and says which field was wrong", async () => {
    let version = 1;
    answers["/queue-state"] = () => Response.json({ version: version++ });
    answers["/stats"] = () => Response.json({ counts: { queued: 3, shipped: 2 } });
    answers["/factories"] = () => Response.json({ factories: [factory] });
    const factory = { id: "f1", name: "box", status: "active", health: "ok", seats: 1, load: 0, capabilities: [] };
    const live = new Live(session);
    await live.tick();
    expect([live.counts.get("queued"), live.factoryName("f1"), live.error]).toEqual([3, "box", ""]);

    answers["/stats"] = () => Response.json({ total: 0 }); // no counts: every stage read "0" as fact
    await live.tick();
    expect(live.counts.get("queued")).toBe(3);
    expect(live.error).toBe(
      "The coordinator's answer to GET …/stats had no `counts` object (is the dashboard newer than the coordinator?)",
    );

    answers["/stats"] = () => Response.json({ counts: { queued: 4 } });
    answers["/factories"] = () => Response.json({ factories: [{ id: "f1" }] });
    await live.tick();
    expect([live.factoryName("f1"), live.error]).toEqual(["box", expect.stringMatching(/`factories\[0\]\.name` text/)]);

    answers["/queue-state"] = () => Response.json({ v: 9 }); // no version: every tick read as a change
    await live.tick();
    expect(live.error).toMatch(/GET …\/queue-state had no `version` number/);
  });
});
