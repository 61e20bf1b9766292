// `gigafactory-agent enroll --code …` as root checks what `run` will check of its engine user before it spends the
// code: a work dir beside a state dir under a private (0700) parent — a root install's ~/.gigafactory-agent under
// /root — is refused `engine_user_access` (exit 2) in `run`'s own words, nothing sent, the code still usable; the
// same with `--work-dir` at a reachable place enrolls, and saves it (and `--engine-user`) for the printed `run` line.
// An enroll that ends having sent nothing — that refusal, or a coordinator never reached (connection refused) — takes
// away the state dir it made (an empty 0700 dir was left behind), and no longer says a run again may resume it.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { enrollStandIn } from "./agent-enroll-fixture.ts";

const CODE = `gfe_acme_${"E".repeat(43)}`;
const TOKEN = `gf_acme_${"T".repeat(43)}`;
const stand = enrollStandIn("gf-agent-enroll-engine-user-", () => ({
  status: 201,
  body: {
    factoryId: "fac_1",
    token: TOKEN,
    factory: { id: "fac_1", name: "h1", capabilities: [], seats: 1, seatLimit: 1 },
  },
}));

// Only root runs engines as another user (a non-root agent runs them as itself: nothing to check).
describe.runIf(process.getuid?.() === 0)("enroll as root into a state dir whose parent is private", () => {
  it("is refused engine_user_access before the code is sent, in run's words, exit 2", async () => {
    const home = path.join(stand.dir, "root-home");
    mkdirSync(home, { mode: 0o700 });
    chmodSync(home, 0o700);
    const r = await stand.enroll(["--url", stand.url, "--code", CODE, "--name", "h1"], path.join(home, "agent"));
    expect(r.err?.code).toBe("engine_user_access");
    expect(r.err?.exitCode).toBe(2);
    expect(r.err?.message).toBe(`engine user nobody cannot reach the work dir ${path.join(home, "agent-work")}`);
    expect(r.err?.fix).toBe(
      "make it reachable by nobody (e.g. --work-dir /var/lib/gigafactory-agent/work), or pass --engine-user",
    );
    expect(r.requested).toBe(false);
    expect(readdirSync(home)).toEqual([]); // the state dir it made is gone
  });

  it("enrolls with a --work-dir the engine user can reach, saved for run with --engine-user", async () => {
    const home = path.join(stand.dir, "root-home-2");
    mkdirSync(home, { mode: 0o700 });
    chmodSync(home, 0o700);
    const work = path.join(stand.dir, "work");
    const state = path.join(home, "agent");
    const argv = ["--url", stand.url, "--code", CODE, "--name", "h1", "--work-dir", work, "--engine-user", "nobody"];
    const r = await stand.enroll(argv, state);
    expect(r.err).toBeUndefined();
    expect(r.requested).toBe(true);
    const saved = JSON.parse(readFileSync(path.join(state, "config.json"), "utf8")) as Record<string, unknown>;
    expect({ workDir: saved.workDir, engineUser: saved.engineUser }).toEqual({ workDir: work, engineUser: "nobody" });
  });
});

describe("enroll against a URL where nothing listens", () => {
  it("is unreachable, exit 1, and leaves no state dir of its own behind; one that was there stays", async () => {
    const nowhere = "http://127.0.0.1:2"; // a port nothing listens on, and not on fetch's bad-port list
    const fresh = path.join(stand.dir, "fresh", "parent", "state");
    const r = await stand.enroll(["--url", nowhere, "--code", CODE, "--name", "h1"], fresh);
    expect({ code: r.err?.code, exit: r.err?.exitCode }).toEqual({ code: "unreachable", exit: 1 });
    expect(r.err?.fix).toBe(`check --url ${nowhere} and --product acme`); // nothing was sent: nothing to resume
    expect(existsSync(path.join(stand.dir, "fresh"))).toBe(false);
    const kept = path.join(stand.dir, "kept");
    mkdirSync(kept);
    await stand.enroll(["--url", nowhere, "--code", CODE, "--name", "h1"], kept);
    expect(existsSync(kept)).toBe(true);
  });
});
