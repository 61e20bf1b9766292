// `enroll` run twice on a host (a provisioning script re-run, a command recalled from the shell's history): the code
// works once, so the coordinator refuses it the second time, and the agent said "codes work once and expire: ask an
// operator for a new one" — whose new code then met the name enrolled the first time (409) and "deregister the old
// factory": a working enrollment torn down and done again. Now, when the state dir already holds that very factory's
// token, it says so (`already_enrolled`, exit 1): nothing changed, start it with the printed command. A state dir
// without that token is still told to ask for a new code. And a config file that cannot be written once the code is
// spent (the token then exists nowhere else) is `config_unwritable` naming the factory and the way back, where it was
// `✘ ERROR internal … this is a bug`. A stand-in coordinator on loopback whose codes work once; in-process and as
// the real agent process.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { enrollStandIn, problem } from "./agent-enroll-fixture.ts";
import { runAgent } from "./agent-process.ts";

const secret = (c: string) => c.repeat(43);
const code = (c: string) => `gfe_acme_${secret(c)}`;
const used = new Set<string>();
const names = new Set<string>();
const stand = enrollStandIn("gf-agent-enroll-again-", (req) => {
  const { name } = JSON.parse(req.body) as { name: string };
  if (used.has(req.authorization))
    return problem(401, "unauthorized", "enrollment code is unknown, expired, revoked or already used");
  used.add(req.authorization);
  if (names.has(name)) return problem(409, "conflict", `a factory named ${name} already exists`);
  names.add(name);
  return { status: 201, body: { factoryId: `fac_${name}`, token: `gf_acme_${secret("T")}`, factory: {} } };
});
const configOf = (stateDir: string) => readFileSync(path.join(stateDir, "config.json"), "utf8");

describe("enroll run twice", () => {
  it("with the same code: the host is enrolled already, said so with the command that starts it; nothing changed", async () => {
    const stateDir = path.join(stand.dir, "twice");
    const argv = ["enroll", "--url", stand.url, "--code", code("A"), "--name", "h1", "--state-dir", stateDir];
    expect((await runAgent(argv)).code).toBe(0);
    const saved = configOf(stateDir);
    const again = await runAgent(argv);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("✘ ERROR already_enrolled: the coordinator did not enroll h1 again");
    expect(again.stderr).toContain("already holds the token of h1 (fac_h1) of product acme");
    expect(again.stderr).toMatch(/start it: \S+ \S+\/bin\/gigafactory-agent\.mjs run --state-dir \S+twice/);
    expect(again.stderr).not.toContain("ask an operator for a new one"); // whose code then met the taken name
    expect(again.out).not.toContain(secret("T"));
    expect(configOf(stateDir)).toBe(saved);
  });

  it("with a fresh code for the name it holds (409, the name taken): enrolled already too", async () => {
    expect(
      (await stand.enroll(["--url", stand.url, "--code", code("B"), "--name", "h2"], "fresh")).err,
    ).toBeUndefined();
    const r = await stand.enroll(["--url", stand.url, "--code", code("C"), "--name", "h2"], "fresh");
    expect(r.err).toMatchObject({ code: "already_enrolled", exitCode: 1 });
    expect(r.err?.fix).toContain("gigafactory factory rm h2");
  });

  it("a used code into a state dir that holds no token of it is still refused as used: ask for a new one", async () => {
    const r = await stand.enroll(["--url", stand.url, "--code", code("A"), "--name", "h1"], "elsewhere");
    expect(r.err).toMatchObject({ code: "enroll_refused", fix: expect.stringContaining("ask an operator") });
  });
});

describe("a config file that cannot be written once the code is spent", () => {
  it("is config_unwritable naming the factory whose token is lost and the way back, not an internal error", async () => {
    const stateDir = path.join(stand.dir, "unsaved");
    // In the way of the config's temporary file (agent/exclusive-file): a directory, not ours to remove.
    const blocker = path.join(stateDir, `config.json.${process.pid}.tmp`);
    mkdirSync(blocker, { recursive: true });
    writeFileSync(path.join(blocker, "x"), "");
    const r = await stand.enroll(["--url", stand.url, "--code", code("D"), "--name", "h3"], stateDir);
    expect(r.requested).toBe(true);
    expect(r.err).toMatchObject({ code: "config_unwritable", exitCode: 1 });
    expect(r.err?.message).toContain("enrolled h3 (fac_h3), but could not save its token to");
    expect(r.err?.message).toContain("the token exists nowhere else");
    expect(r.err?.fix).toContain("gigafactory factory rm h3");
  });
});
