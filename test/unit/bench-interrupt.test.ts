// A bench run the user stops (Ctrl-C, SIGTERM) is said as interrupted, not as a crash of the local runtime: the
// runtime this process stopped after the signal is no "LOCAL SERVER DIED", and is not counted among the crashes
// (bench/suite `scenarioEnd`); a runtime that exited with no signal given is still a crash.
import { describe, expect, it } from "vitest";
import { scenarioEnd } from "../../bench/suite.ts";

describe("how a bench scenario ended", () => {
  it("is interrupted when the user sent a signal, whether or not the runtime is gone yet", () => {
    expect(scenarioEnd(false, "SIGINT")).toBe("interrupted"); // was: counted a crash, "LOCAL SERVER DIED"
    expect(scenarioEnd(true, "SIGTERM")).toBe("interrupted");
  });

  it("is a crash when the runtime exited with no signal, and ok when it is up", () => {
    expect(scenarioEnd(false, undefined)).toBe("crashed");
    expect(scenarioEnd(true, undefined)).toBe("ok");
  });
});
