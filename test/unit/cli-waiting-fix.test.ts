// The "Waiting:" block of `gigafactory job ID` and `explain ID` (cli/waiting) ends with a "fix:" line for a job that
// waits for a factory with capabilities none has (`no_capable_factory`): how to enroll a host with them
// (`gigafactory enroll NAME --cap cuda`) or have the closest factory declare them and approve it
// (`gigafactory-agent run --cap …`, `gigafactory factory approve ID`) — it named what was missing and no command.
// None for a wait whose message names its command (an approval pending) or another code; a capability or id from
// the answer that a command line may not carry as is goes in as a placeholder. Also through `explain` on a socket.
import { describe, expect, it } from "vitest";
import { waitingLines } from "../../src/cli/waiting.ts";
import type { WaitingReason } from "../../src/core/waiting-reason.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const AT = Date.UTC(2026, 0, 1, 12, 0, 0);
const waiting = (detail: Record<string, unknown>, message = "m", code = "no_capable_factory"): WaitingReason =>
  ({ code, message, since: AT, detail }) as unknown as WaitingReason;
const fixOf = (reason: WaitingReason): string | undefined =>
  waitingLines(reason, AT)
    .split("\n")
    .find((l) => l.startsWith("  fix: "));

describe("a no_capable_factory wait's fix line", () => {
  it("says how to enroll a host with the missing capabilities, or declare them on one enrolled", () => {
    expect(
      fixOf(waiting({ requires: ["cuda"], missing: ["cuda"] }, "waiting for a factory with cuda — none is enrolled")),
    ).toBe(
      "  fix: enroll a host that has cuda: `gigafactory enroll NAME --cap cuda`, then run the command it prints on it; " +
        "or, on a factory enrolled already that has cuda, restart its agent with `gigafactory-agent run --cap cuda`, " +
        "then `gigafactory factory approve ID`",
    );
  });

  it("names the closest factory and its id when one lacks some", () => {
    const closest = { id: "fac_1", name: "box-1", missing: ["gpu"] };
    expect(fixOf(waiting({ requires: ["os:linux", "gpu"], missing: ["gpu"], closest }))).toBe(
      "  fix: if box-1 has gpu, restart its agent with `gigafactory-agent run --cap gpu`, then " +
        "`gigafactory factory approve fac_1`; else enroll a host that has os:linux, gpu: " +
        "`gigafactory enroll NAME --cap gpu`, then run the command it prints on it",
    );
  });

  // A newcomer's claude job was told `--cap engine:claude`, which would send claude jobs to a host without claude:
  // what the agent detects itself is never declared with --cap.
  it("tells a missing engine as --engine NAME=COMMAND or its command on PATH, never --cap engine:", () => {
    const closest = { id: "fac_1", name: "box-1", missing: ["engine:claude"] };
    const fix = fixOf(waiting({ requires: ["engine:claude"], missing: ["engine:claude"], closest })) ?? "";
    expect(fix).not.toContain("--cap engine:");
    expect(fix).toBe(
      "  fix: if box-1 has engine:claude, restart its agent with `gigafactory-agent run --engine claude=COMMAND`, " +
        "then `gigafactory factory approve fac_1`; else enroll a host that has engine:claude: `gigafactory enroll " +
        "NAME`, then run the command it prints on it with claude on the agent's PATH (or `--engine claude=COMMAND`)",
    );
  });

  // A sample job needing tpu said "enroll a host that has tpu, engine:sample … with sample on the agent's PATH":
  // every agent has the bundled sample engine.
  it("never tells the sample engine, which every agent has, as something to add", () => {
    const fix = fixOf(waiting({ requires: ["tpu", "engine:sample"], missing: ["tpu"] })) ?? "";
    expect(fix).not.toContain("sample");
    expect(fix).toMatch(
      /^ {2}fix: enroll a host that has tpu: `gigafactory enroll NAME --cap tpu`, then run the command it prints on it;/,
    );
    expect(fixOf(waiting({ requires: ["engine:sample"], missing: ["engine:sample"] }))).toBe(
      "  fix: enroll a factory: `gigafactory enroll NAME`, then run the command it prints on that host",
    );
  });

  it("tells a missing tool as installed, and an os, arch or node as another host", () => {
    const tool = fixOf(waiting({ requires: ["has:docker", "gpu"], missing: ["has:docker", "gpu"] })) ?? "";
    expect(tool).not.toContain("--cap has:");
    expect(tool).toContain(
      "`gigafactory enroll NAME --cap gpu`, then run the command it prints on it with docker installed",
    );
    expect(tool).toContain("install docker, restart its agent with `gigafactory-agent run --cap gpu`");
    const host = fixOf(waiting({ requires: ["arch:arm64"], missing: ["arch:arm64"], closest: { id: "f", name: "x" } }));
    expect(host).toBe(
      "  fix: enroll a host that has arch:arm64: `gigafactory enroll NAME`, then run the command it prints on it",
    );
  });

  it("says to enroll any factory when none is and the job needs nothing", () => {
    expect(fixOf(waiting({ requires: [], missing: [] }))).toBe(
      "  fix: enroll a factory: `gigafactory enroll NAME`, then run the command it prints on that host",
    );
  });

  it("puts no text from the answer into a command that is not a capability or an id", () => {
    const closest = { id: "fac 1; rm -rf ~", name: "box", missing: ["g pu"] };
    const fix = fixOf(waiting({ requires: ["g pu"], missing: ["g pu"], closest })) ?? "";
    expect(fix).toContain("`gigafactory-agent run --cap C`");
    expect(fix).toContain("`gigafactory factory approve ID`");
    expect(fix).toContain("`gigafactory enroll NAME --cap C`");
  });

  it("is absent where the message names the command, and for other codes", () => {
    const pending = [{ id: "fac_1", name: "box", capabilities: ["cuda"] }];
    expect(fixOf(waiting({ requires: ["cuda"], missing: ["cuda"], pendingApproval: pending }))).toBeUndefined();
    expect(fixOf(waiting({ serialKey: "k" }, "serial key k is frozen", "serial_key_frozen"))).toBeUndefined();
  });
});

describe("explain ID", () => {
  it("prints the fix line under the wait", async () => {
    const reason = {
      code: "no_capable_factory",
      message: "waiting for a factory with cuda — none is enrolled",
      since: AT,
      detail: { requires: ["cuda"], missing: ["cuda"] },
    };
    const stub = await stubCoordinator((_req, reply) =>
      reply.json(200, {
        jobId: "job_1",
        stage: "queued",
        priority: "normal",
        urgency: 0,
        at: AT,
        waitingReason: reason,
        ranked: [],
        rejected: [],
      }),
    );
    const run = await captureCli(["explain", "job_1", ...connection(stub.url, "p")]);
    expect(run.stdout).toContain("fix: enroll a host that has cuda: `gigafactory enroll NAME --cap cuda`");
  });
});
