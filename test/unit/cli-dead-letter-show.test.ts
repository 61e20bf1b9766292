// `gigafactory dead-letters show ID` over a real local socket: one GET of `…/dead-letters/{id}` with the id escaped as
// one path segment (ids hold `:`); what was kept — when, source, tries, reason, the stores holding it — its message as
// pretty JSON (or its text when it was not JSON, control characters shown, not obeyed), and the next step: the redrive
// command when a redrive would send it back now, else the refusal it would meet; `--json` the API's answer as is; a
// `partial` answer said on stderr; an unknown id `✘ ERROR not_found` pointing at the list, exit 1.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const HISTORY = {
  id: "msg-1:0",
  productId: "p",
  source: "queue:history",
  reason: "D1 refused it: no such table",
  body: { kind: "history", productId: "p", records: [{ kind: "audit" }] },
  attempts: 5,
  at: Date.UTC(2026, 11, 6, 12, 0, 0),
  heldBy: ["d1", "coordinator"],
  redrive: { possible: true, queue: "history" },
};

const OUTBOX = {
  ...HISTORY,
  id: "outbox:7",
  source: "outbox:event",
  body: "not json \u001b[2Jhere",
  heldBy: ["coordinator"],
  redrive: { possible: false, code: "dead_letter_not_redrivable", detail: "an outbox record is known by its seq" },
  partial: true,
};

describe("gigafactory dead-letters show", () => {
  it("prints the dead letter, its message and the redrive command; --json is the API's answer", async () => {
    const stub = await stubCoordinator((_req, reply) => reply.json(200, HISTORY));
    const run = await captureCli(["dead-letters", "show", "msg-1:0", ...connection(stub.url, "p")]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(stub.lines).toEqual(["GET /api/v1/products/p/dead-letters/msg-1%3A0"]);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toMatch(/^dead letter msg-1:0 — queue:history, 5 tries, at 2026-12-06/);
    expect(lines[1]).toBe("kept by D1 and the product's coordinator");
    expect(lines[2]).toBe("reason: D1 refused it: no such table");
    expect(lines[3]).toBe("redrive: gigafactory dead-letters redrive msg-1:0 — sends it back to the history queue");
    expect(lines[4]).toBe("message:");
    expect(lines.slice(5).join("\n")).toBe(`${JSON.stringify(HISTORY.body, null, 2)}\n`);
    const json = await captureCli(["dead-letters", "show", "msg-1:0", "--json", ...connection(stub.url, "p")]);
    expect(JSON.parse(json.stdout)).toEqual(HISTORY);
  });

  it("says why a redrive would be refused, shows a body that is not JSON as text, and says partial", async () => {
    const stub = await stubCoordinator((_req, reply) => reply.json(200, OUTBOX));
    const run = await captureCli(["dead-letters", "show", "outbox:7", ...connection(stub.url, "p")]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("not redrivable (dead_letter_not_redrivable): an outbox record is known by its seq\n");
    expect(run.stdout).not.toContain("dead-letters redrive");
    expect(run.stdout).toContain("message (not JSON, its text as kept):\nnot json ␛[2Jhere\n");
    expect(run.stderr).toMatch(/^⚠ D1 could not be read: this is the coordinator's copy/);
    const json = await captureCli(["dead-letters", "show", "outbox:7", "--json", ...connection(stub.url, "p")]);
    expect(json.stderr).toMatch(/^⚠ D1 could not be read/);
  });

  it("an unknown id is ✘ ERROR not_found pointing at the list, exit 1; no id is a usage error", async () => {
    const stub = await stubCoordinator((_req, reply) =>
      reply.problem(404, {
        code: "not_found",
        title: "Not found",
        detail: "dead letter gone does not exist",
        what: "dead letter",
        id: "gone",
      }),
    );
    const run = await captureCli(["dead-letters", "show", "gone", ...connection(stub.url, "p")]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^✘ ERROR not_found: dead letter gone does not exist \/ .*`gigafactory dead-letters`/);
    const none = await captureCli(["dead-letters", "show", "--url", "http://127.0.0.1:2", "--token", "t"]);
    expect(none.code).toBe(2);
  });
});
