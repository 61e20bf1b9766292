// `run --parent-pid PID` (agent/parent-watch): the agent drains once PID is no longer its parent — the supervisor
// that started it was killed outright and the agent reparented — exactly once, also when that happened before the
// watch began (a supervisor killed while the agent was still starting), and never while PID is its parent.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { UsageError } from "../../src/agent/cli-args.ts";
import { PARENT_POLL_MS, parentPid, watchParent } from "../../src/agent/parent-watch.ts";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("watchParent", () => {
  it("calls onGone once, at the first check after the parent changed", () => {
    let ppid = 4242;
    const onGone = vi.fn();
    watchParent(4242, onGone, () => ppid);
    vi.advanceTimersByTime(PARENT_POLL_MS * 5);
    expect(onGone).not.toHaveBeenCalled();
    ppid = 1; // reparented to init: the supervisor is gone
    vi.advanceTimersByTime(PARENT_POLL_MS);
    expect(onGone).toHaveBeenCalledTimes(1);
    ppid = 77; // a later change is the same loss: no second drain
    vi.advanceTimersByTime(PARENT_POLL_MS * 5);
    expect(onGone).toHaveBeenCalledTimes(1);
  });

  it("a parent gone before the watch began (reparented to a subreaper) is found at the first check", () => {
    const onGone = vi.fn();
    watchParent(4242, onGone, () => 903);
    expect(onGone).not.toHaveBeenCalled(); // never synchronously: the caller's supervisor may not run yet
    vi.advanceTimersByTime(PARENT_POLL_MS);
    expect(onGone).toHaveBeenCalledTimes(1);
  });

  it("stops watching when asked", () => {
    let ppid = 10;
    const onGone = vi.fn();
    const stop = watchParent(10, onGone, () => ppid);
    stop();
    ppid = 1;
    vi.advanceTimersByTime(PARENT_POLL_MS * 5);
    expect(onGone).not.toHaveBeenCalled();
  });

  it("reads the real parent by default", () => {
    const onGone = vi.fn();
    const stop = watchParent(process.ppid, onGone);
    vi.advanceTimersByTime(PARENT_POLL_MS * 3);
    expect(onGone).not.toHaveBeenCalled();
    stop();
  });
});

describe("parentPid", () => {
  it("takes a process id and refuses anything else as a usage error", () => {
    expect(parentPid("12345")).toBe(12345);
    for (const bad of ["", "0", "1", "-5", "12a", "1e3", "99999999999"])
      expect(() => parentPid(bad), bad).toThrow(UsageError);
  });
});
