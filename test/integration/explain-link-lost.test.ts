// Explain says since when a factory's link is lost: one whose socket closed while its heartbeats still say up is
// refused `factory_disconnected` with `disconnectedAt` (ms epoch), the fleet view's own (core/factory-link) — explain
// said the link was lost and not when. Real factory WebSockets: the close's instant, between the client's close and
// the explanation's `at`, and the same as GET …/factories says; the answer is the shape the OpenAPI document
// publishes (shared/api-job-answers `ExplanationSchema`); a factory refused for anything else (never seen: down) carries none.
import { describe, expect, it } from "vitest";
import { ExplanationSchema } from "../../src/shared/api-job-answers.ts";
import type { Explanation } from "../../src/shared/responses.ts";
import { ADMIN, api, enroll, P, submit, until } from "./client.ts";
import { listed } from "./fleet-read.ts";
import { connectFactory } from "./sockets.ts";

describe("explain of a factory whose link ended", () => {
  it("says when it ended: disconnectedAt, as the fleet view says it", async () => {
    const product = "explain-link-lost";
    const lost = await enroll(product, "lost-host");
    const other = await enroll(product, "gpu-only", ["gpu"]);
    const link = await connectFactory(product, lost.token);
    const closedAt = Date.now();
    link.socket.close();
    const job = await submit(product, { title: "t" });
    const e = await until(
      async () =>
        (await api<Explanation>("GET", `${P(product)}/jobs/${job.id}/explain`, { token: ADMIN })).body as Explanation,
      (x) => x.rejected.some((c) => c.factoryId === lost.factoryId && c.reasons.includes("factory_disconnected")),
      { what: "explain refusing the closed socket's factory factory_disconnected" },
    );
    expect(ExplanationSchema.parse(e)).toBeTruthy();
    const refused = e.rejected.find((c) => c.factoryId === lost.factoryId);
    expect(refused?.disconnectedAt).toBeGreaterThanOrEqual(closedAt);
    expect(refused?.disconnectedAt).toBeLessThanOrEqual(e.at);
    expect(refused?.disconnectedAt).toBe((await listed(product, lost.factoryId)).disconnectedAt);
    // Never seen (refused factory_down, not disconnected): no link end to say.
    expect(e.rejected.find((c) => c.factoryId === other.factoryId)).not.toHaveProperty("disconnectedAt");
  });
});
