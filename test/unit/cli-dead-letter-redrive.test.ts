// `gigafactory dead-letters redrive ID` over a real local socket: one POST to `…/dead-letters/{id}/redrive` with the id
// escaped as one path segment (ids hold `:`); a one-line ✔ naming the queue, or under --json the API's answer as is;
// a refusal printed `✘ ERROR code: what / how to fix it` with a fix for that code — not_found (a second redrive, or
// an id of no dead letter) pointing at `gigafactory dead-letters`, the two 409s at the dead letter's body (and a
// webhook delivery's at setting a webhook again) — exit 1.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const ANSWER = { id: "msg-1:0", source: "queue:history", queue: "history", redriven: true };

describe("gigafactory dead-letters redrive", () => {
  it("posts the redrive and says where the message went; --json is the API's answer", async () => {
    const stub = await stubCoordinator((_req, reply) => reply.json(200, ANSWER));
    const run = await captureCli(["dead-letters", "redrive", "msg-1:0", ...connection(stub.url, "p")]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toBe("✔ dead letter msg-1:0 (queue:history) sent back to the history queue, and deleted\n");
    expect(stub.lines).toEqual(["POST /api/v1/products/p/dead-letters/msg-1%3A0/redrive"]);
    const json = await captureCli(["dead-letters", "redrive", "msg-1:0", "--json", ...connection(stub.url, "p")]);
    expect(JSON.parse(json.stdout)).toEqual(ANSWER);
  });

  it("prints each refusal as ✘ ERROR code: what / how to fix it", async () => {
    const refusals: Record<string, [number, string, string]> = {
      gone: [404, "not_found", "dead letter gone does not exist"],
      bad: [409, "dead_letter_malformed", "dead letter bad cannot be redriven: its body is not JSON"],
      "outbox:3": [409, "dead_letter_not_redrivable", "dead letter outbox:3 (outbox:event) cannot be redriven"],
      wh: [409, "dead_letter_not_redrivable", "dead letter wh (queue:webhook) cannot be redriven: no webhook"],
    };
    const stub = await stubCoordinator((req, reply) => {
      const id = decodeURIComponent(req.url.split("/")[6] ?? "");
      const [status, code, detail] = refusals[id]!;
      reply.problem(status, {
        code,
        title: code,
        detail,
        ...(code === "not_found" ? { what: "dead letter", id } : {}),
      });
    });
    const lines: Record<string, string> = {};
    for (const id of Object.keys(refusals)) {
      const run = await captureCli(["dead-letters", "redrive", id, ...connection(stub.url, "p")]);
      expect(run.code, id).toBe(1);
      expect(run.stdout, id).toBe("");
      lines[id] = run.stderr;
    }
    expect(lines.gone).toMatch(/^✘ ERROR not_found: dead letter gone does not exist \/ .*`gigafactory dead-letters`/);
    expect(lines.bad).toMatch(/^✘ ERROR dead_letter_malformed: .* \/ .*gigafactory dead-letters show ID/);
    expect(lines["outbox:3"]).toMatch(/^✘ ERROR dead_letter_not_redrivable: .* \/ .*by hand/);
    // A webhook delivery refused while the product has no webhook: the fix says what lets it go ("no queue" did not).
    expect(lines.wh).toMatch(/^✘ ERROR dead_letter_not_redrivable: .* \/ .*once the product has a webhook again/);
  });

  it("needs exactly one id: a usage error, exit 2", async () => {
    const run = await captureCli(["dead-letters", "redrive", "--url", "http://127.0.0.1:2", "--token", "t"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^✘ ERROR usage: /);
  });
});
