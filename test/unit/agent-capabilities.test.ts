// What a host advertises: only tokens the router matches on (seed 004 §14), engines only when installed.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { detectCapabilities, findOnPath, osName, type PathLookup } from "../../src/agent/capabilities.ts";
import { splitCommand } from "../../src/agent/command-template.ts";
import { availableEngines, engineTable, pickEngine, quoteWord, sampleTemplate } from "../../src/agent/engines.ts";

const facts = {
  platform: "linux",
  arch: "x64",
  nodeVersion: "v22.23.3",
  hasGit: true,
  hasDocker: false,
  engines: ["sample", "claude"],
  extra: [],
};

describe("detectCapabilities", () => {
  it("emits os/arch/node/engine/has tokens, sorted and de-duplicated", () => {
    expect(detectCapabilities({ ...facts, extra: ["gpu", "has:git"] })).toEqual([
      "arch:x64",
      "engine:claude",
      "engine:sample",
      "gpu",
      "has:git",
      "node:22",
      "os:linux",
    ]);
  });

  it("names Windows and macOS the way operators write them", () => {
    expect(osName("win32")).toBe("windows");
    expect(osName("darwin")).toBe("darwin");
    expect(detectCapabilities({ ...facts, platform: "win32", arch: "arm64", hasGit: false })).toContain("os:windows");
  });

  it("advertises has:docker only when docker is installed, and never an invented token like `build`", () => {
    const caps = detectCapabilities({ ...facts, hasDocker: true });
    expect(caps).toContain("has:docker");
    expect(detectCapabilities(facts)).not.toContain("has:docker");
    expect(caps.every((c) => /^(os|arch|node|engine|has):/.test(c))).toBe(true);
  });

  it("refuses an operator --cap the coordinator would refuse, naming it", () => {
    expect(() => detectCapabilities({ ...facts, extra: ["bad cap!"] })).toThrow(/bad cap!/);
  });
});

describe("findOnPath", () => {
  const lookup = (files: string[], platform = "linux"): PathLookup => ({
    PATH: platform === "win32" ? "C:\\bin;D:\\tools" : "/usr/bin:/opt/tools/bin",
    PATHEXT: ".EXE;.CMD",
    platform,
    isExecutable: (f) => files.includes(f),
  });

  it("finds the first executable along PATH", () => {
    expect(findOnPath("claude", lookup(["/opt/tools/bin/claude"]))).toBe("/opt/tools/bin/claude");
    expect(findOnPath("claude", lookup([]))).toBeUndefined();
  });

  it("checks a command given with a path as is", () => {
    expect(findOnPath("/srv/eng", lookup(["/srv/eng"]))).toBe("/srv/eng");
    expect(findOnPath("./eng", lookup([]))).toBeUndefined();
  });

  it("tries PATHEXT on Windows", () => {
    const hit = findOnPath("codex", lookup([path.join("D:\\tools", "codex.CMD")], "win32"));
    expect(hit).toBe(path.join("D:\\tools", "codex.CMD"));
  });
});

describe("engine table", () => {
  const lookup: PathLookup = { PATH: "/usr/bin", platform: "linux", isExecutable: (f) => f === "/usr/bin/codex" };

  it("lets later layers override templates while keeping first-seen order", () => {
    const t = engineTable(
      { claude: "claude -p", codex: "codex exec" },
      { claude: "claude -p --model x", mine: "mine" },
    );
    expect([...t]).toEqual([
      ["claude", "claude -p --model x"],
      ["codex", "codex exec"],
      ["mine", "mine"],
    ]);
  });

  it("keeps only engines whose command is installed (absolute paths included)", () => {
    const t = engineTable({ claude: "claude -p", codex: "codex exec", abs: "/usr/bin/codex --x" });
    expect([...availableEngines(t, lookup).keys()]).toEqual(["codex", "abs"]);
  });

  it("quotes the sample engine's paths so a checkout under a path with spaces still works", () => {
    const tpl = sampleTemplate("/opt/my node/bin/node", "/home/a b/gf/examples/engines/sample-engine.mjs");
    expect(splitCommand(tpl)).toEqual(["/opt/my node/bin/node", "/home/a b/gf/examples/engines/sample-engine.mjs"]);
    expect(quoteWord("it's")).toBe("'it'\\''s'");
    expect(splitCommand(quoteWord("it's"))).toEqual(["it's"]);
  });
});

describe("pickEngine", () => {
  const available = new Map([
    ["mine", "mine run"],
    ["sample", "node sample.mjs"],
    ["claude", "claude -p"],
  ]);

  it("gives a job the engine it names, or explains why it cannot", () => {
    expect(pickEngine("claude", available)).toEqual({ name: "claude", template: "claude -p" });
    expect(pickEngine("codex", available)).toEqual({ error: expect.stringMatching(/codex.*mine, sample, claude/) });
  });

  it("for a job naming none: --default-engine, else operator engines, then claude, codex, sample", () => {
    expect(pickEngine(undefined, available, "sample")).toMatchObject({ name: "sample" });
    expect(pickEngine(undefined, available)).toMatchObject({ name: "mine" });
    expect(
      pickEngine(
        undefined,
        new Map([
          ["sample", "s"],
          ["claude", "c"],
        ]),
      ),
    ).toMatchObject({ name: "claude" });
    expect(pickEngine(undefined, new Map([["sample", "s"]]), "gone")).toMatchObject({ name: "sample" });
    expect(pickEngine(undefined, new Map())).toEqual({ error: expect.any(String) });
  });
});
