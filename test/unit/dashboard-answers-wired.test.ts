// Every read of the dashboard whose answer a page uses goes through a shape check (dashboard/api.js `api` with its
// `answer`, the shapes of dashboard/answers.js): each `api(…)` call in the dashboard's scripts names its answer's
// shape, except the few listed here whose answer no page reads. A page added later, or a read added to a page, that
// forgets it fails here — it would trust whatever a 2xx brought, and show a raw TypeError or a wrong figure.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const DIR = "dashboard";

/** Calls whose answer is not read (file, a piece of the call), and why none is checked. */
const UNREAD: Array<[string, string, string]> = [
  ["alerts.js", "/ack`", "an ack's answer is not read: the list is read again"],
  ["routing.js", "path, { method", "an applied or removed rule's answer is not read: the page reads both lists again"],
  ["role.js", '"/whoami"', "role.js checks whoami's answer itself (a role it cannot read is unknown)"],
];

/** Each `api(…)` call of `text`, its arguments as written (parentheses matched). */
function calls(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?<![\w.])api\(/g)) {
    if (/function\s+$/.test(text.slice(Math.max(0, m.index - 20), m.index))) continue; // the definition
    let depth = 0;
    let i = m.index + 3;
    for (; i < text.length; i++) {
      if (text[i] === "(") depth++;
      else if (text[i] === ")" && --depth === 0) break;
    }
    out.push(text.slice(m.index, i + 1));
  }
  return out;
}

describe("the dashboard's reads", () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith(".js"));

  it("each name the shape of the answer they use", () => {
    const unchecked = files.flatMap((f) =>
      calls(readFileSync(path.join(DIR, f), "utf8"))
        .filter((c) => !/\banswer\b/.test(c))
        .filter((c) => !UNREAD.some(([file, piece]) => file === f && c.includes(piece)))
        .map((c) => `${f}: ${c.replace(/\s+/g, " ")}`),
    );
    expect(unchecked).toEqual([]);
  });

  it("find the calls they look for (the scan is not blind)", () => {
    const jobs = calls(readFileSync(path.join(DIR, "jobs.js"), "utf8"));
    expect(jobs).toEqual([`api(session, \`/jobs?$\{q}\`, { answer: JOB_PAGE })`]);
    for (const [file, piece] of UNREAD)
      expect(calls(readFileSync(path.join(DIR, file), "utf8")).some((c) => c.includes(piece))).toBe(true);
  });
});
