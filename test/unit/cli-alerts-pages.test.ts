// `gigafactory alerts` lists every alert of a state, not its first page only: over a real local socket it follows
// the API's nextCursor (an older critical alert on page 2 is in the table and in --json), lists an alert found in
// both live states once, and past its bound of 10 pages per state says on stderr that the list is cut (under --json
// too), having asked for no more than those 10 pages.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const NOW = 1_700_000_060_000;
const alert = (id: string, state: string, severity = "warning") => ({
  id,
  kind: "starving",
  severity,
  subject: "job:j1",
  message: "waited 61 min",
  state,
  openedAt: NOW - 60_000,
  updatedAt: NOW - 60_000,
});

const cli = (url: string, ...argv: string[]) => captureCli([...argv, ...connection(url, "p")], { now: NOW });

describe("gigafactory alerts over many pages", () => {
  it("follows nextCursor: the older page's alerts are listed, an alert in both live states once", async () => {
    const { url } = await stubCoordinator(({ url }, reply) => {
      if (url.includes("state=open") && url.includes("cursor=al_1"))
        return reply.json(200, { alerts: [alert("al_0", "open", "critical")] });
      if (url.includes("state=open"))
        return reply.json(200, { alerts: [alert("al_5", "open"), alert("al_1", "open")], nextCursor: "al_1" });
      // Acknowledged between the two states' reads: listed by both.
      if (url.includes("state=acknowledged")) return reply.json(200, { alerts: [alert("al_1", "acknowledged")] });
      return reply.json(200, { alerts: [] });
    });
    const table = await cli(url, "alerts");
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/al_0\s+open\s+critical/);
    expect(table.stdout.match(/al_1\s/g)).toHaveLength(1);
    const json = JSON.parse((await cli(url, "alerts", "--state", "open", "--json")).stdout) as {
      alerts: Array<{ id: string; severity: string }>;
    };
    expect(json.alerts.map((a) => [a.id, a.severity])).toEqual([
      ["al_5", "warning"],
      ["al_1", "warning"],
      ["al_0", "critical"],
    ]);
  });

  it("stops after 10 pages of a state and says the list is cut, under --json too", async () => {
    let served = 0;
    const { url, lines } = await stubCoordinator((_req, reply) => {
      served += 1;
      const id = `al_${String(1000 - served).padStart(4, "0")}`;
      return reply.json(200, { alerts: [alert(id, "open")], nextCursor: id });
    });
    const run = await cli(url, "alerts", "--state", "open", "--json");
    expect(run.code).toBe(0);
    expect(lines.filter((l) => l.includes("/alerts?"))).toHaveLength(10);
    expect(JSON.parse(run.stdout).alerts).toHaveLength(10);
    expect(run.stderr).toMatch(/only the newest 2000 open alerts are listed/);
  });
});
