// The webhook_failing alert (core/webhook-failing) and what a consumer's lane reports of it (worker/queues/webhook-lane):
// the alert is a warning on the product saying how many deliveries were dead-lettered, the last error (cut to
// LAST_ERROR_BYTES of UTF-8) and the fix; a lane reports at most once, and only when it has something to say — the
// dead letters since its last delivery taken, or a delivery taken while the alert is live — never for a lane that
// only delivered while no alert was live (fast-check over any sequence of deliveries and dead letters).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { utf8Bytes } from "../../src/core/bytes.ts";
import {
  LAST_ERROR_BYTES,
  unreachableText,
  WebhookLaneReportSchema,
  webhookFailingAlert,
} from "../../src/core/webhook-failing.ts";
import { WEBHOOK_LAST_TRY } from "../../src/core/webhook-signature.ts";
import { WebhookLane } from "../../src/worker/queues/webhook-lane.ts";

describe("webhookFailingAlert", () => {
  it("says how many, the last error and the fix", () => {
    const a = webhookFailingAlert(3, "https://hooks.example/… answered 503", "hooks.example");
    expect(a).toMatchObject({ kind: "webhook_failing", severity: "warning", subject: "product" });
    expect(a.message).toBe(
      `3 webhook deliveries dead-lettered after all ${WEBHOOK_LAST_TRY} tries; the last: https://hooks.example/… ` +
        "answered 503. Check the receiver at hooks.example, then redrive them: gigafactory dead-letters, then " +
        "gigafactory dead-letters redrive ID",
    );
    expect(webhookFailingAlert(1, "x", "h").message).toContain("1 webhook delivery dead-lettered");
  });

  it("quotes at most LAST_ERROR_BYTES of the last error, in UTF-8", () => {
    const long = "é".repeat(LAST_ERROR_BYTES);
    const m = webhookFailingAlert(1, long, "h").message;
    const quoted = m.slice(m.indexOf("the last: ") + "the last: ".length, m.indexOf(". Check"));
    expect(utf8Bytes(quoted)).toBeLessThanOrEqual(LAST_ERROR_BYTES);
  });

  it("tells a refused connection in words, keeping the runtime's", () => {
    expect(unreachableText("https://h", "Network connection lost.")).toBe(
      "https://h could not be reached: connection refused, reset or timed out (Network connection lost.)",
    );
  });
});

describe("WebhookLane", () => {
  type Step = { took: true } | { dead: string };
  const step = fc.oneof(
    fc.constant<Step>({ took: true }),
    fc.string({ maxLength: 20 }).map<Step>((s) => ({ dead: s })),
  );

  it("reports the dead letters since its last delivery, or a delivery while the alert is live, else nothing", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), fc.boolean(), (steps, failing) => {
        const lane = new WebhookLane("p1");
        lane.failing = failing;
        for (const s of steps) "took" in s ? lane.tookOne() : lane.deadLetter(s.dead);
        const lastTook = steps.map((s) => "took" in s).lastIndexOf(true);
        const since = steps.slice(lastTook + 1) as Array<{ dead: string }>;
        const report = lane.report();
        if (since.length > 0) {
          expect(report).toEqual({ deadLettered: since.length, lastError: since[since.length - 1]?.dead });
        } else if (lastTook >= 0 && failing) expect(report).toEqual({ delivered: true });
        else expect(report).toBeUndefined();
        if (report) expect(WebhookLaneReportSchema.safeParse(report).success).toBe(true);
      }),
    );
  });
});
