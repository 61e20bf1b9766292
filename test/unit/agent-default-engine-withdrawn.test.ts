// A job naming no engine gets this host's own choice (`--default-engine`, else the first of its own engines, claude,
// codex, sample: agent/engines `pickEngine`). When that choice could not start and was withdrawn (agent/engine-offer),
// the next engine still offered stood in for it — on most hosts `sample`, which every agent offers: the job
// "completed" with no work done. Now such a job is rejected before it is accepted, as one naming the withdrawn engine
// is, and another host runs it. Real Supervisor on a fake connection, real engine processes; the beat's coordinator
// is unreachable (its declarations only warn).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { assignment, fakeSupervisor, tempAgent, until } from "./agent-fakes.ts";

const bin = mkdtempSync(path.join(tmpdir(), "gf-agent-default-withdrawn-"));
afterAll(() => rmSync(bin, { recursive: true, force: true }));

describe("a job naming no engine on a host whose own choice was withdrawn", () => {
  it("is rejected unaccepted, never run on the next engine offered (sample)", async () => {
    const engine = path.join(bin, "eng-noexec");
    writeFileSync(engine, "#!/bin/sh\ncat >/dev/null\nexit 0\n");
    chmodSync(engine, 0o644); // not executable: EACCES
    const agent = tempAgent("http://127.0.0.1:2");
    const engines = new Map([["eng", engine], ...agent.engines]); // the operator's own engine first: its choice
    const { conn: c, stop } = fakeSupervisor(agent, engines);
    try {
      c.welcome([], { features: ["accept-building", "batch", "stopped"] });
      c.push({ type: "assign", assignments: [assignment("job_n1", "", 1, { engine: undefined })] });
      await until("the first job rejected", () => c.frames("reject").length === 1);
      expect(agent.events.some((e) => e.event === "engine.withdrawn")).toBe(true);

      const before = c.sent.length;
      c.push({
        type: "assign",
        assignments: [assignment("job_n2", "gf-sample-seconds: 0\n", 1, { engine: undefined })],
      });
      await until("the second job answered", () => c.frames("reject").length === 2 || c.frames("complete").length > 0);
      expect(c.sent.slice(before).map((f) => f.type)).toEqual(["reject"]); // it was accepted and run on sample
      const reason = c.frames("reject")[1];
      expect(reason?.type === "reject" ? reason.reason : "").toContain("engine eng cannot start on this host");
    } finally {
      await stop();
      agent.remove();
    }
  });
});
