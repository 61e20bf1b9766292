// A newcomer's `gigafactory help login` and `help artifact` say what those commands do beyond their one-line summary
// (found trying them from the README): login names the file it saves to and the layers that win over it, and that the
// saved token goes to its own coordinator only; artifact says a cut `-o FILE` download keeps FILE.<sha256>.part and
// resumes on the next run, and what its --json document carries (`checked`). Neither said any of it.
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
});
