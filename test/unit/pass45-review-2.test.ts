// Pass 45's second review, of fixD (commands/secret-interrupt: Ctrl-C while factory rotate, enroll or tokens mint is
// out), red on the merged branch: a rotation the coordinator refused after Ctrl-C because the factory is revoked (409)
// or gone (404) is not said to leave "the old one still works" — a revoked or deregistered factory has no token that
// works; `enroll --direct`'s failure after Ctrl-C does not send the operator to rotate a revoked record that merely
// shares the name (`factories` lists revoked ones, and a host is enrolled again under its old name as `factory
// revoke` advises); a --timeout that ends the wait after Ctrl-C does not also send the operator to `gigafactory jobs`
// and `history` (the timeout's generic fix for a write), which show nothing of a token or code; and cli/exit-codes, which names the commands that exit 130, names the three.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { connection } from "../support/cli-harness.ts";
import { interruptedPost } from "../support/cli-interrupt.ts";

const rotate = (url: string) => ["factory", "rotate", "fac_1", ...connection(url, "shop")];

describe("pass 45 review 2: factory rotate refused after Ctrl-C", () => {
  it.each([
    [409, "conflict", "factory fac_1 is revoked; enroll it again"],
    [404, "not_found", "factory fac_1 not found"],
  ])("a %i %s does not say the old token still works", async (status, code, detail) => {
    const { run, reply } = await interruptedPost(rotate);
    reply.problem(status, { type: `https://gigafactory.dev/problems/${code}`, title: "t", status, detail, code });
    expect(await run.code).toBe(130);
    const line = run
      .stderr()
      .split("\n")
      .find((l) => l.startsWith("✘ ERROR interrupted: "));
    expect(line).toContain(`the coordinator refused it (${code})`);
    // Refused, nothing changed; but the factory has no working token to keep.
    expect(line).not.toContain("the old one still works");
  });
});

describe("pass 45 review 2: enroll --direct failed after Ctrl-C", () => {
  it("the way back does not count a revoked factory of that name as the one this enrolled", async () => {
    const { run, reply } = await interruptedPost((url) => [
      "enroll",
      "box-9",
      "--direct",
      "--json",
      ...connection(url, "shop"),
    ]);
    reply.problem(503, { type: "x", title: "t", status: 503, detail: "try later", code: "unavailable" });
    expect(await run.code).toBe(130);
    const { error } = JSON.parse(run.stdout()) as { error: { fix: string } };
    // It said: see whether `gigafactory factories` lists box-9: if it does, `factory rotate box-9` — a revoked box-9
    // (listed, and resolved by rotate when no live one shares the name) is refused 409, and the host is not enrolled.
    expect(error.fix).toContain("`gigafactory factories` lists box-9");
    expect(error.fix).toMatch(/revoked/);
  });
});

describe("pass 45 review 2: --timeout ends the wait after Ctrl-C", () => {
  it.each([
    ["factory rotate", ["factory", "rotate", "fac_1"]],
    ["enroll", ["enroll", "box-9"]],
    ["enroll --direct", ["enroll", "box-9", "--direct"]],
    ["tokens mint", ["tokens", "mint", "--role", "operator", "--name", "ci"]],
  ])("%s: every line says what to look at for the secret, none `gigafactory jobs`", async (_, argv) => {
    // The POST is held, never answered: the bound (1 s, from the request's start) ends the wait.
    const { run } = await interruptedPost((url) => [...argv, "--timeout", "1", ...connection(url, "shop")]);
    expect(await run.code).toBe(130);
    expect(run.stderr()).toContain("✘ ERROR timeout: ");
    expect(run.stderr()).toContain("✘ ERROR interrupted: ");
    expect(run.stderr()).not.toContain("`gigafactory jobs`");
  });
});

describe("pass 45 review 2: cli/exit-codes names every command that exits 130", () => {
  it("factory rotate, enroll and tokens mint among them, as the README's exit-code paragraph does", () => {
    const header = readFileSync(new URL("../../src/cli/exit-codes.ts", import.meta.url), "utf8").split("*/")[0]!;
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    for (const command of ["`factory rotate`", "`enroll`", "`tokens mint`"]) {
      expect(readme).toContain(command);
      expect(header.replace(/\s*\n\s*\*\s*/g, " ")).toContain(command);
    }
  });
});
