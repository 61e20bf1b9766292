// FEED_EVENT_TYPES (shared/protocol) is the list of what a job's feed can hold. It had drifted: it listed `cancel`,
// which nothing writes, and missed six types the coordinator writes. Writers now take a FeedEventType (an unlisted
// type does not compile: the @ts-expect-error below fails `tsc` if that stops being true); this test holds the list
// to the source both ways — every type a writer names is listed, every listed type has a writer — and holds its
// docstring and the dashboard's timeline to the same list.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import { FEED_EVENT_TYPES, type FeedEventType } from "../../src/shared/protocol.ts";

const ROOT = join(import.meta.dirname, "../..");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

/** Every feed write in src: `enqueueEvent(tx, id, "type"…` (coordinator outbox) and `{ type: "x", at…` (JobFeed). */
function writtenTypes(): { types: Set<string>; unnamed: string[] } {
  const types = new Set<string>();
  const unnamed: string[] = [];
  for (const file of sources(join(ROOT, "src"))) {
    const text = readFileSync(file, "utf8");
    for (const call of text.matchAll(/\benqueueEvent\(([^;]*?)\)/gs)) {
      if (/^tx: Tx/.test(call[1]!)) continue; // its definition
      const named = /^[^,]+,[^,]+,\s*"([^"]+)"/s.exec(call[1]!);
      if (named) types.add(named[1]!);
      else unnamed.push(`${file}: enqueueEvent(${call[1]!.slice(0, 60)}`);
    }
    for (const call of text.matchAll(/\bappendEvents\(\s*\w+,\s*\[\s*\{\s*type:\s*"([^"]+)"/g)) types.add(call[1]!);
  }
  return { types, unnamed };
}

describe("feed event types", () => {
  it("the list is exactly what the source writes to a feed", () => {
    const { types, unnamed } = writtenTypes();
    // A type passed as a variable would escape this scan: every write names its type.
    expect(unnamed).toEqual([]);
    expect([...types].sort()).toEqual([...FEED_EVENT_TYPES].sort());
  });

  it("the list's docstring documents every listed type and no other", () => {
    const text = readFileSync(join(ROOT, "src/shared/protocol-feed.ts"), "utf8");
    const doc = text.slice(0, text.indexOf("export const FEED_EVENT_TYPES"));
    const block = doc.slice(doc.lastIndexOf("/**"));
    const bullets = block.split("\n").filter((l) => l.startsWith(" * - "));
    const documented = new Set(
      bullets.flatMap((l) => [...l.matchAll(/`([a-z_]+(?:\.[a-z_]+)?)` \{/g)].map((m) => m[1]!)),
    );
    expect([...documented].sort()).toEqual([...FEED_EVENT_TYPES].sort());
  });

  it("the dashboard's timeline has a reading for every listed type and for no other", () => {
    const text = readFileSync(join(ROOT, "dashboard/timeline.js"), "utf8");
    const body = text.slice(text.indexOf("export function summarize"));
    const cases = [...body.matchAll(/case "([^"]+)":/g)].map((m) => m[1]!);
    // `log` goes to the log panel, line by line, before any summary is made.
    expect(text).toContain('if (e.type === "log")');
    expect([...cases, "log"].sort()).toEqual([...FEED_EVENT_TYPES].sort());
  });

  it("a writer takes only a listed type (checked by tsc)", () => {
    const write = (tx: Tx, type: FeedEventType) => enqueueEvent(tx, "job_1", type);
    const wrong = (tx: Tx) => {
      // @ts-expect-error `cancel` is a frame to a factory, never a feed event
      enqueueEvent(tx, "job_1", "cancel");
    };
    expect([typeof write, typeof wrong]).toEqual(["function", "function"]);
  });
});
