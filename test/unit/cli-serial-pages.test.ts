// `gigafactory serial list` follows the API's nextCursor page after page, and past its bound of 50 pages of 200 keys
// says on stderr that the list is cut (under --json too, stdout keeping its one document) instead of stopping
// silently with the keys it read looking like all of them; having asked for no more than those 50 pages.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const gate = (key: string) => ({ key, holder: null, queue: ["job_a"], queueLength: 1, frozen: null });

const cli = (url: string, ...argv: string[]) => captureCli([...argv, ...connection(url, "p")], {});

describe("gigafactory serial list over many pages", () => {
  it("reads every page while the API gives a cursor, and says nothing of a cut", async () => {
    const { url } = await stubCoordinator(({ url }, reply) => {
      if (url.includes("cursor=k1")) return reply.json(200, { keys: [gate("k2")] });
      return reply.json(200, { keys: [gate("k1")], nextCursor: "k1" });
    });
    const run = await cli(url, "serial", "list");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/k1[\s\S]*k2/);
    expect(run.stderr).not.toMatch(/listed/);
  });

  it("stops after 50 pages and says the list is cut, under --json too", async () => {
    let served = 0;
    const { url, lines } = await stubCoordinator((_req, reply) => {
      served += 1;
      const key = `k${String(served).padStart(4, "0")}`;
      return reply.json(200, { keys: [gate(key)], nextCursor: key });
    });
    const run = await cli(url, "serial", "list", "--json");
    expect(run.code).toBe(0);
    expect(lines.filter((l) => l.includes("/serial?"))).toHaveLength(50);
    expect(JSON.parse(run.stdout).keys).toHaveLength(50);
    expect(run.stderr).toMatch(/only the first 10000 serial keys are listed/);
    const table = await cli(url, "serial", "list");
    expect(table.stderr).toMatch(/only the first 10000 serial keys are listed: GET …\/serial pages on/);
  });
});
