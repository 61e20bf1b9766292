// An `enroll` whose answer was lost — the agent killed -9 after the coordinator exchanged its code, before its config
// was written, or its config write failed — is resumed by running the same command again (agent/enroll-nonce): the
// nonce it sent is on disk (0600, the code's hash beside it, never the code) before the request leaves, the restarted
// enroll sends that same nonce, says "resumed an interrupted enrollment" and saves the re-issued token; the nonce file
// is gone once the config is written. Another code gets another nonce. A resume the coordinator refuses says that an
// earlier, interrupted enroll could not be resumed and the way on; one sent under another name than it enrolled, to
// pass that name (the code is spent: not "still usable"); one whose answer was lost on the way (a 502), to run the same
// command again, which resumes it — as one lost to a gateway's 4xx page (a 408), whose nonce is kept: only the
// coordinator's own problem+json refuses a code. A code refused outright keeps no nonce: run again, it is not told of an interrupted
// enroll and a host to deregister. A stand-in coordinator on loopback that re-issues a
// spent code's token for its first nonce only (as coordinator access/enrollment-resume does); the real agent process
// for the kill -9.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { NONCE_FILE } from "../../src/agent/enroll-nonce.ts";
import { enrollStandIn, problem } from "./agent-enroll-fixture.ts";
import { runAgent, startAgent } from "./agent-process.ts";

const secret = (c: string) => c.repeat(43);
const code = (c: string) => `gfe_acme_${secret(c)}`;
/** code (its Authorization header) → the nonce of its first exchange and how many tokens it gave. */
const spent = new Map<string, { nonce: string; tokens: number; name?: string }>();
/** Said to the stand-in's next request: the agent's pid to kill -9 before its answer, or the nonce file to read. */
let killFirst: number | undefined;
let nonceFileAtRequest: string | undefined;
/** Said to the stand-in's next request: exchange the code, then answer 502 (a proxy's, the answer lost on the way). */
let lose502 = false;
/** Said to the stand-in's next request: exchange the code, then answer as a gateway's 408 page (not the coordinator's). */
let lose408 = false;
/** Codes the stand-in refuses as a coordinator refuses an expired one. */
const expired = new Set<string>();
const seenAtRequest: string[] = [];
const stand = enrollStandIn("gf-agent-enroll-resume-", (req) => {
  const { name, nonce } = JSON.parse(req.body) as { name: string; nonce?: string };
  if (nonceFileAtRequest !== undefined) seenAtRequest.push(readFileSync(nonceFileAtRequest, "utf8"));
  if (expired.has(req.authorization))
    return problem(401, "unauthorized", "enrollment code is not recognised: it has expired");
  if (killFirst !== undefined) process.kill(killFirst, "SIGKILL"); // the answer below reaches no one
  killFirst = undefined;
  const first = spent.get(req.authorization);
  if (first && (nonce === undefined || nonce !== first.nonce))
    return problem(401, "unauthorized", "enrollment code is not recognised: it was used already");
  if (first?.name !== undefined && first.name !== name)
    return problem(
      403,
      "forbidden",
      `this code enrolled ${first.name}, not ${name}: resume that enrollment with --name ${first.name}`,
    );
  const tokens = (first?.tokens ?? 0) + 1;
  spent.set(req.authorization, { nonce: nonce ?? "", tokens });
  const token = `gf_acme_${secret(String(tokens))}`;
  if (lose408) {
    lose408 = false;
    return { status: 408, body: "<h1>408 Request Timeout</h1>", page: "text/html" };
  }
  if (lose502) {
    lose502 = false;
    return problem(502, "bad_gateway", "upstream connection reset");
  }
  return {
    status: 201,
    body: { factoryId: `fac_${name}`, token, factory: {}, ...(first ? { resumed: true } : {}) },
  };
});
const nonceFile = (stateDir: string) => path.join(stateDir, NONCE_FILE);
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

describe("an enrollment whose answer was lost", () => {
  it("killed -9 before its config was written: the same command again resumes it with a new token", async () => {
    const stateDir = path.join(stand.dir, "killed");
    const argv = ["enroll", "--url", stand.url, "--code", code("A"), "--name", "h1", "--state-dir", stateDir];
    const first = startAgent(argv);
    killFirst = first.pid;
    await first.exited;
    expect(existsSync(path.join(stateDir, "config.json"))).toBe(false);
    const kept = JSON.parse(readFileSync(nonceFile(stateDir), "utf8")) as { codeHash: string; nonce: string };
    expect(kept).toEqual({ codeHash: sha256(code("A")), nonce: spent.get(`Bearer ${code("A")}`)?.nonce });
    expect(kept.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(nonceFile(stateDir)).mode & 0o777).toBe(0o600);
    expect(readFileSync(nonceFile(stateDir), "utf8")).not.toContain(secret("A"));

    const again = await runAgent(argv);
    expect(again.code).toBe(0);
    expect(again.out).toContain("✔ resumed an interrupted enrollment: h1 (fac_h1) in acme, with a new token");
    const config = JSON.parse(readFileSync(path.join(stateDir, "config.json"), "utf8")) as { token: string };
    expect(config.token).toBe(`gf_acme_${secret("2")}`); // the re-issued one
    expect(existsSync(nonceFile(stateDir))).toBe(false);
  });

  it("the nonce is on disk before the request leaves; another code gets another nonce", async () => {
    const stateDir = path.join(stand.dir, "before");
    nonceFileAtRequest = nonceFile(stateDir);
    try {
      const a = await stand.enroll(["--url", stand.url, "--code", code("B"), "--name", "h2"], stateDir);
      expect(a.err).toBeUndefined();
      rmSync(path.join(stateDir, "config.json"));
      const b = await stand.enroll(["--url", stand.url, "--code", code("C"), "--name", "h2"], stateDir);
      expect(b.err).toBeUndefined();
    } finally {
      nonceFileAtRequest = undefined;
    }
    const [b, c] = seenAtRequest.splice(0).map((t) => JSON.parse(t) as { codeHash: string; nonce: string });
    expect(b).toEqual({ codeHash: sha256(code("B")), nonce: spent.get(`Bearer ${code("B")}`)?.nonce });
    expect(c).toEqual({ codeHash: sha256(code("C")), nonce: spent.get(`Bearer ${code("C")}`)?.nonce });
    expect(c?.nonce).not.toBe(b?.nonce);
  });

  it("its config write failed: fixed, the same command again resumes it", async () => {
    const stateDir = path.join(stand.dir, "unsaved");
    const blocker = path.join(stateDir, `config.json.${process.pid}.tmp`);
    mkdirSync(blocker, { recursive: true });
    writeFileSync(path.join(blocker, "x"), "");
    const argv = ["--url", stand.url, "--code", code("D"), "--name", "h3"];
    const lost = await stand.enroll(argv, stateDir);
    expect(lost.err).toMatchObject({ code: "config_unwritable" });
    // Not "within the hour": the coordinator resumes for an hour from the exchange, never past the code's expiry.
    expect(lost.err?.fix).toContain(
      "run this same command again: it resumes this enrollment with a new token (until the code expires or an hour after it was taken, whichever is sooner)",
    );
    rmSync(blocker, { recursive: true });
    const again = await stand.enroll(argv, stateDir);
    expect(again.err).toBeUndefined();
    expect(again.lines.join("\n")).toContain("resumed an interrupted enrollment: h3 (fac_h3)");
  });

  it("a resume the coordinator refuses says an earlier enroll was interrupted, and the way on", async () => {
    const stateDir = path.join(stand.dir, "refused");
    const argv = ["--url", stand.url, "--code", code("E"), "--name", "h4"];
    spent.set(`Bearer ${code("E")}`, { nonce: "someone-else", tokens: 1 }); // exchanged with another nonce
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(nonceFile(stateDir), JSON.stringify({ codeHash: sha256(code("E")), nonce: "k".repeat(43) }));
    const r = await stand.enroll(argv, stateDir);
    expect(r.err).toMatchObject({ code: "enroll_refused", exitCode: 1 });
    expect(r.err?.fix).toContain("an earlier enroll with this code was interrupted and could not be resumed");
    expect(r.err?.fix).toContain("gigafactory factory rm h4");
    expect(JSON.parse(stand.requests.at(-1)?.body ?? "{}")).toMatchObject({ nonce: "k".repeat(43) });
  });

  it("resumed under another name: pass the name it enrolled — never 'the code is still usable'", async () => {
    const stateDir = path.join(stand.dir, "renamed");
    spent.set(`Bearer ${code("F")}`, { nonce: "m".repeat(43), tokens: 1, name: "h5" }); // enrolled as h5, answer lost
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(nonceFile(stateDir), JSON.stringify({ codeHash: sha256(code("F")), nonce: "m".repeat(43) }));
    const r = await stand.enroll(["--url", stand.url, "--code", code("F"), "--name", "h6"], stateDir);
    expect(r.err).toMatchObject({ code: "enroll_refused", exitCode: 1 });
    expect(r.err?.message).toContain("this code enrolled h5, not h6");
    expect(r.err?.fix).toContain("pass as --name the host name the coordinator names");
    expect(r.err?.fix).not.toContain("the code is still usable");
  });

  it("its answer lost on the way (a 502): the fix says to run the same command again, which resumes it", async () => {
    const stateDir = path.join(stand.dir, "lost502");
    const argv = ["--url", stand.url, "--code", code("G"), "--name", "h7"];
    lose502 = true;
    const lost = await stand.enroll(argv, stateDir);
    expect(lost.err).toMatchObject({ code: "bad_gateway", exitCode: 1 });
    expect(lost.err?.fix).toContain(
      "then run this same command again: if the coordinator took the code, that resumes the enrollment (until the code expires or an hour after it was taken, whichever is sooner)",
    );
    const again = await stand.enroll(argv, stateDir);
    expect(again.err).toBeUndefined();
    expect(again.lines.join("\n")).toContain("resumed an interrupted enrollment: h7 (fac_h7)");
  });

  it("its answer lost to a gateway's 408 page: the nonce is kept, and the same command again resumes it", async () => {
    const stateDir = path.join(stand.dir, "lost408");
    const argv = ["--url", stand.url, "--code", code("J"), "--name", "h9"];
    lose408 = true;
    const lost = await stand.enroll(argv, stateDir);
    expect(lost.err).toMatchObject({ code: "http_408", exitCode: 1 });
    expect(lost.err?.fix).toContain(
      "then run this same command again: if the coordinator took the code, that resumes the enrollment (until the code expires or an hour after it was taken, whichever is sooner)",
    );
    expect(existsSync(nonceFile(stateDir))).toBe(true);
    const again = await stand.enroll(argv, stateDir);
    expect(again.err).toBeUndefined();
    expect(again.lines.join("\n")).toContain("resumed an interrupted enrollment: h9 (fac_h9)");
  });

  it("a code refused outright, run again: refused in the same words — no 'interrupted' enroll, no `factory rm`", async () => {
    const stateDir = path.join(stand.dir, "expired");
    const argv = ["--url", stand.url, "--code", code("H"), "--name", "h8"];
    expired.add(`Bearer ${code("H")}`);
    const first = await stand.enroll(argv, stateDir);
    const second = await stand.enroll(argv, stateDir);
    for (const r of [first, second]) {
      expect(r.err).toMatchObject({
        code: "enroll_refused",
        fix: "codes work once and expire: ask an operator for a new one",
      });
    }
    expect(existsSync(nonceFile(stateDir))).toBe(false);
  });
});
