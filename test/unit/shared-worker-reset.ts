/**
 * Set-up of the unit files that share a worker (vitest.unit.config.ts, `isolate: false`): after each file, the clock
 * is the real one again and every `vi.spyOn` spy is restored, whatever the file did or failed to do.
 *
 * Why: fake timers and spies on globals (`JSON.stringify`, `Map.prototype`, `console`) are what the next file in the
 * same worker would inherit. Each file that uses them restores them itself (`afterEach`), but a file whose clean-up
 * was skipped — a spy restored inline after a failed expectation — must not fail the files after it in that worker
 * with an unrelated message. A top-level `afterAll` in a set-up file runs after each test file's own.
 */
import { afterAll, vi } from "vitest";

afterAll(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});
