// `gigafactory submit -` reads one manifest from standard input (`generate-manifest | gigafactory submit -`), sent as
// a file's would be, its FILE shown as `-`: it read a file named "-" and said `file_unreadable: -: cannot read the
// file (ENOENT)`. `-` twice is a usage error before anything is sent (standard input holds one manifest); without a
// standard input to read (an Io that has none) it is that file's failure; files and `-` mix.
import { describe, expect, it } from "vitest";
import { connection, runCli, stubCoordinator } from "../support/cli-harness.ts";

async function coordinator() {
  return stubCoordinator((req, reply) => {
    const title = /title: (\w+)/.exec(req.text)?.[1] ?? "";
    reply.json(201, { id: `job_${title}`, title, stage: "queued" });
  });
}

/** `submit` with `stdin` as its standard input (undefined: none to read). */
async function submit(argv: string[], stdin: string | undefined) {
  let [stdout, stderr] = ["", ""];
  const code = await runCli(["submit", ...argv], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    stderrIsTTY: false,
    ...(stdin === undefined ? {} : { stdin: async () => new TextEncoder().encode(stdin) }),
    env: { HOME: "/nonexistent", GIGAFACTORY_CONFIG: "/nonexistent/config.json" },
    now: () => 0,
  });
  return { code, stdout, stderr };
}

describe("gigafactory submit -", () => {
  it("submits the manifest on standard input, its FILE shown as -", async () => {
    const stub = await coordinator();
    const r = await submit(["-", "--json", ...connection(stub.url, "p")], "---\ntitle: piped\n---\nDo it.\n");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { file: "-", result: "created", job: { id: "job_piped", title: "piped", stage: "queued" } },
    ]);
    expect(stub.seen.map((s) => s.line)).toEqual(["POST /api/v1/products/p/jobs"]);
  });

  it("refuses - twice before sending anything, and says so when there is no standard input", async () => {
    const stub = await coordinator();
    const twice = await submit(["-", "-", ...connection(stub.url, "p")], "---\ntitle: x\n---\n");
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/^✘ ERROR usage: `-` \(standard input\) is given twice/);
    const none = await submit(["-", ...connection(stub.url, "p")], undefined);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^✘ ERROR file_unreadable: -: no standard input to read/);
    expect(stub.lines).toEqual([]);
  });
});
