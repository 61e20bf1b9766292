// The jobs board's "frozen" badge (dashboard/serial.js `heldByFreeze`) marks only the jobs a serial-key freeze holds
// back — queued, or blocked on dependencies, with a frozen key — never one running, in review or testing, ended
// (a shipped composite with a frozen key was shown red), nor a composite parent waiting on its children. The serial
// key box refuses, before anything is sent, exactly the keys core/serial-gates refuses for what they are (`.`, `..`
// — which no URL path can carry: the browser resolved `/serial/../freeze` to `/freeze`, a 404 "no route" — and
// control characters), and takes every key the core takes. The Freeze button sends a listed key exactly as listed
// (one starting or ending with a space or a BOM is another key than its trimmed self), a typed one trimmed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { heldByFreeze } from "../../dashboard/serial-cells.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { keyToFreeze, serialKeyRefusal } from "../../dashboard/serial-key.js";
import { STAGES } from "../../src/core/model.ts";
import { serialKeyProblem } from "../../src/core/serial-gates.ts";

const FROZEN = new Set(["deploy/prod"]);
const job = (stage: string, extra: Record<string, unknown> = {}) => ({ stage, serialKey: "deploy/prod", ...extra });

describe("the frozen badge on the board", () => {
  it("marks a queued job, and a blocked one waiting for its dependencies, whose key is frozen", () => {
    expect(heldByFreeze(job("queued", { waitingReason: { code: "serial_key_frozen" } }), FROZEN)).toBe(true);
    expect(heldByFreeze(job("blocked", { waitingReason: { code: "deps_unmet" } }), FROZEN)).toBe(true);
  });

  it.each(STAGES.filter((s) => s !== "queued" && s !== "blocked"))("never a %s job: past dispatch", (stage) => {
    expect(heldByFreeze(job(stage), FROZEN)).toBe(false);
  });

  it("never a composite parent waiting on its children: it is not dispatched itself", () => {
    expect(heldByFreeze(job("blocked", { waitingReason: { code: "children_running" } }), FROZEN)).toBe(false);
  });

  it("never a job whose key is not frozen, or that has none", () => {
    expect(heldByFreeze(job("queued", { serialKey: "deploy/staging" }), FROZEN)).toBe(false);
    expect(heldByFreeze({ stage: "queued" }, FROZEN)).toBe(false);
  });
});

describe("the serial key box", () => {
  it.each([".", "..", "a\tb", "x\u0085"])("refuses %j before sending, as the core does", (key) => {
    expect(serialKeyProblem(key)).toBeDefined();
    expect(serialKeyRefusal(key)).toMatch(/not \. or \.\.|control characters/);
  });

  it("takes every key the core takes and refuses every one it refuses (the byte limit is the box's counter's)", () => {
    const near = fc.constantFrom(".", "..", "...", ". ", "a..", "../x", "\u0000", "\u007f", "\u009f", "\u00a0", "漢");
    const keys = fc.oneof(
      fc.string({ unit: "binary", maxLength: 8 }),
      fc.array(near, { maxLength: 3 }).map((a) => a.join("")),
    );
    fc.assert(
      fc.property(keys, (key) => {
        if (key.length === 0) return; // an empty box is "name the serial key", said before this check
        expect(serialKeyRefusal(key) === null).toBe(serialKeyProblem(key) === undefined);
      }),
    );
  });
});

describe("the key the Freeze button sends", () => {
  it("is a listed key exactly as listed, edge spaces and BOM kept: trimmed, it is another key", () => {
    const listed = new Set([" deploy", "deploy\u00a0", "\ufeffrepo/main", "plain"]);
    for (const key of listed) expect(keyToFreeze(key, listed)).toBe(key);
  });

  it("is what an operator typed, trimmed of a stray space, when no listed key is exactly it", () => {
    expect(keyToFreeze("  deploy/prod ", new Set(["deploy/prod"]))).toBe("deploy/prod");
    expect(keyToFreeze("new-key ", new Set())).toBe("new-key");
  });
});
