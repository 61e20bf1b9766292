// The stale takeover of shared/pid-lock (the agent's `agent.pid`, `npm start`'s `gigafactory.pid`) never leaves two
// owners: many starters against a stale lock, their filesystem steps interleaved one by one on real files in every
// order fast-check draws (and the three-way race a reviewer found: two starts take the same stale lock over while a
// third links its own — the second one's "put back" left a gap the first one linked into), with starters crashing
// at any step. At every step at most one live starter has taken the lock, and the lock file holds its text; when
// none crashes exactly one takes it and every refusal names that one; after any crashes a later start takes a lock
// whose owner is gone, claims left by starters that crashed mid-takeover included.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { type LockStep, lockSteps } from "../../src/shared/pid-lock.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-pid-lock-"));
// A thousand races' dirs (each property runs 500): on a loaded CI box removing them took past the 10 s hook
// default (a fresh-clone run failed on this very line), so the removal is asynchronous and given two minutes.
const SLOW_BOX_MS = 120_000;
afterAll(() => rm(root, { recursive: true, force: true }), SLOW_BOX_MS);

/** What a crashed owner left: its pid and start time. */
const STALE = "999\n5\n";
/** A starter's lock text, as takePidLock writes it (pid, start time, a nonce). */
const textOf = (i: number) => `${1000 + i}\n7\n${"abcdef"[i]}${i}\n`;
/** No starter takes more steps than this (each loop turn is another starter's progress): more is a livelock. */
const MAX_STEPS = 200;

interface Run {
  text: string;
  steps: Generator<string, LockStep>;
  result?: LockStep;
  crashed: boolean;
  count: number;
}

/** A pick of the schedule: which of the starters still going takes its next step, or crashes instead. */
type Pick = { who: number; crash: boolean };

function readOrNone(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * Runs `n` starters against a stale lock in a fresh dir, one filesystem step at a time in the order `picks` gives
 * (round-robin once they run out), checking after each step that at most one live starter holds the lock and that
 * the file is its. Then one more start runs alone. Returns the starters and that late start's result.
 */
function race(n: number, picks: readonly Pick[]) {
  const dir = mkdtempSync(path.join(root, "race-"));
  const file = path.join(dir, "x.pid");
  writeFileSync(file, STALE);
  const runs: Run[] = [];
  /** A lock text names a live owner while its starter has not crashed; the stale one's and any other are gone. */
  const live = (text: string) => {
    const i = runs.findIndex((r) => r.text === text && !r.crashed);
    return i < 0 ? undefined : { pid: 1000 + i, command: "starter" };
  };
  const start = (i: number): Run => {
    const text = textOf(i);
    return { text, steps: lockSteps(file, { text, tag: String(1000 + i) }, live), crashed: false, count: 0 };
  };
  for (let i = 0; i < n; i++) runs.push(start(i));
  const holders = () => runs.filter((r) => r.result?.ok && !r.crashed);
  /** What went wrong, from the step it began: a failing schedule's whole story, not only its first step. */
  const wrong = new Map<string, number>();
  let step = 0;
  const check = () => {
    step++;
    const owners = holders().map((r) => runs.indexOf(r));
    const text = readOrNone(file);
    const now = owners.flatMap((i) => (text === runs[i]!.text ? [] : [`starter ${i} holds it, the file is ${text}`]));
    if (owners.length > 1) now.push(`starters ${owners.join(" and ")} hold the lock at once`);
    for (const w of now) if (!wrong.has(w)) wrong.set(w, step);
  };
  const advance = (r: Run) => {
    const s = r.steps.next();
    if (s.done) r.result = s.value;
    expect(++r.count, "steps of one start").toBeLessThanOrEqual(MAX_STEPS);
    check();
  };
  for (let k = 0; ; k++) {
    const going = runs.filter((r) => !r.result && !r.crashed);
    if (going.length === 0) break;
    const pick = picks[k];
    const r = going[pick ? pick.who % going.length : 0]!;
    if (pick?.crash) {
      r.crashed = true; // where it stood: its temporary files and any claim stay, like a kill -9's
      check();
    } else advance(r);
  }
  const late = start(n);
  runs.push(late);
  while (!late.result) advance(late);
  expect([...wrong].map(([w, at]) => `from step ${at}: ${w}`)).toEqual([]);
  return { dir, runs, late: late.result, owner: holders()[0] };
}

const picks = (n: number, crashes: boolean) =>
  fc.array(
    fc.record({
      who: fc.nat({ max: n - 1 }),
      crash: crashes ? fc.nat({ max: 7 }).map((x) => x === 0) : fc.constant(false),
    }),
    { maxLength: 40 * n },
  );

/** The reviewer's schedule, in steps of the pre-fix lockSteps (start, write, link, read, move aside, …). */
const THREE_WAY: Pick[] = [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 2, 2, 2, 1, 1, 0].map((who) => ({ who, crash: false }));

describe("a stale lock taken over by many starters at once", () => {
  it("the three-way race: two take the same stale lock over while a third links its own — one owner", () => {
    const { runs } = race(3, THREE_WAY);
    expect(runs.slice(0, 3).filter((r) => r.result?.ok)).toHaveLength(1);
  });

  it("claims left by a starter that crashed mid-takeover, and by one that crashed clearing it, do not block", () => {
    /** `k` steps of the first starter still going, then its crash. */
    const stepsThenCrash = (k: number): Pick[] => [
      ...Array.from({ length: k }, () => ({ who: 0, crash: false })),
      { who: 0, crash: true },
    ];
    // Starter 0 dies holding the stale lock's claim; starter 1 dies holding the claim it took to clear that one.
    const { dir, runs, late } = race(2, [...stepsThenCrash(5), ...stepsThenCrash(7)]);
    expect(runs.map((r) => r.crashed)).toEqual([true, true, false]);
    expect(late).toEqual({ ok: true });
    expect(readdirSync(dir).filter((f) => f.includes(".claim."))).toEqual([]);
  });

  // 500 schedules each, bounded by count: 19 s of the 20 s default on that loaded box.
  it("with no crash, exactly one starter takes it, and every refusal names that one", { timeout: SLOW_BOX_MS }, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 5 }).chain((n) => fc.tuple(fc.constant(n), picks(n, false))),
        ([n, schedule]) => {
          const { runs, late, owner } = race(n, schedule);
          expect(runs.slice(0, n).filter((r) => r.result?.ok)).toHaveLength(1);
          const named = runs.flatMap((r) => (r.result?.ok === false && r.result.owner ? [r.result.owner.pid] : []));
          const ownerPid = 1000 + runs.indexOf(owner!);
          for (const pid of named) expect(pid).toBe(ownerPid);
          expect(late).toEqual({ ok: false, owner: { pid: ownerPid, command: "starter" } });
        },
      ),
      { numRuns: 500, examples: [[[3, THREE_WAY]]] },
    );
  });

  it(
    "with starters crashing at any step, never two owners, and a later start takes a lock whose owner is gone",
    {
      timeout: SLOW_BOX_MS,
    },
    () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 2, max: 5 }).chain((n) => fc.tuple(fc.constant(n), picks(n, true))),
          ([n, schedule]) => {
            const { runs, late, owner } = race(n, schedule);
            if (owner === runs.at(-1)) expect(late).toEqual({ ok: true });
            else expect(late).toEqual({ ok: false, owner: { pid: 1000 + runs.indexOf(owner!), command: "starter" } });
          },
        ),
        { numRuns: 500 },
      );
    },
  );
});
