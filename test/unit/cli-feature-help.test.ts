// A newcomer's `gigafactory help login` and `help artifact` say what those commands do beyond their one-line summary
// (found trying them from the README): login names the file it saves to and the layers that win over it, and that the
// saved token goes to its own coordinator only; artifact says a cut `-o FILE` download keeps FILE.<sha256>.part and
// resumes on the next run, and what its --json document carries (`checked`). Neither said any of it. The overview
// says what an empty connection setting means (an empty variable is unset, an empty flag a usage error).
import { describe, expect, it } from "vitest";
import { captureCli } from "../support/cli-harness.ts";

describe("help for login and artifact", () => {
  it("login: where the login is saved, what overrides it, and which tokens it takes", async () => {
    const run = await captureCli(["help", "login"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("$GIGAFACTORY_CONFIG, else $XDG_CONFIG_HOME/gigafactory/config.json");
    expect(run.stdout).toContain("GIGAFACTORY_URL/_TOKEN/_PRODUCT, then that file");
    expect(run.stdout).toContain("the saved token goes only to the saved URL's origin");
    expect(run.stdout).toContain("A factory's token is refused");
  });

  it("artifact: a cut -o FILE download keeps its part and resumes; --json says whether it was checked", async () => {
    const run = await captureCli(["help", "artifact"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("FILE.<sha256>.part");
    expect(run.stdout).toContain("the same command again resumes where it broke");
    expect(run.stdout).toContain("{jobId, name, file, size, sha256, checked}");
  });

  it("the overview: an empty GIGAFACTORY_* variable is unset, an empty flag a usage error", async () => {
    // A shell's `export GIGAFACTORY_TOKEN=` clears it; `--token "$T"` with T unset is refused (exit 2): neither was said.
    const run = await captureCli(["--help"]);
    expect(run.stdout).toContain("An empty variable (`GIGAFACTORY_TOKEN=`) counts as unset; an empty flag");
    expect(run.stdout).toContain("A variable that overrides the saved login is named on stderr");
  });
});
