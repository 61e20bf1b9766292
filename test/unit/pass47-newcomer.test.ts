// What a new user following the README meets when a setting is wrong (pass 47's newcomer audit, helper N).
// `gigafactory watch ID` whose first read gets no answer — nothing listens at the URL (a coordinator down, a wrong
// port), or it takes the connection and never answers — ends at once as every command does: `✘ ERROR unreachable`
// naming the URL, or `✘ ERROR timeout` past --timeout, exit 1 (--follow too), where it was ~5 (or ~20) minutes of
// silent tries that ended `unavailable: could not tell whether … had ended`. Once the coordinator has answered (a
// 503), a dropped connection is still retried, each try told.
// A second `npm start` (or `npm run dev`) refused `state_in_use` while the first also holds PORT gives in its fix the
// whole line to run — its own state, a free PORT, the same script: following "give this one its own state with
// GIGAFACTORY_LOCAL_STATE=DIR" alone only met `port_in_use` next.
// `gigafactory login URL TOKEN` (the values without their flags, in either order) is told which flag each needs, by
// the value's shape (a URL, a gf_ token), the token redacted.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { followJobFeed } from "../../src/cli/job-feed.ts";
import { captureCli } from "../support/cli-harness.ts";
import { startCli } from "../support/cli-process.ts";
import { client, feedServer, frame } from "./feed-sse-server.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const NODE = path.join(ROOT, "node_modules", ".bin", "node");
const dir = mkdtempSync(path.join(tmpdir(), "gf-pass47-n-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** A port nothing listens on (Node's fetch does not refuse it: not on the Fetch standard's bad-port list). */
const NOTHING_LISTENS = "http://127.0.0.1:2";
const TOKEN = `gf_demo_${"a".repeat(43)}`;

// The coordinator stopped (npm start ended; a host lost the network), `gigafactory jobs` said at once `✘ ERROR
// unreachable: cannot reach http://127.0.0.1:8947/…: connect ECONNREFUSED … / check that the coordinator is up, and the
// URL`; `gigafactory watch job_…` printed nothing at all for 90 s (killed by `timeout 90`, exit 124). Its first read
// (watch-verdicts `endOfEndedJobRetried` → `retried`) waits out 30 refused tries, up to 10 s apart, with no note, then
// ends `unavailable: could not tell whether … had ended` — the cause (`unreachable`, the URL) and its fix lost. A
// --url typo'd to a closed port looks the same: a watch that seems to hang.
describe("watch against a coordinator that does not answer", () => {
  it("ends at once, as every command does, with ✘ ERROR unreachable naming the URL and its fix (--follow too)", async () => {
    for (const follow of [[], ["--follow"]]) {
      const run = startCli([
        "watch",
        "job_0mxdf7m0u0007a37e99c",
        "--url",
        NOTHING_LISTENS,
        "--token",
        TOKEN,
        ...follow,
      ]);
      children.push(run.child);
      const { code, stderr } = await run.exited;
      expect(code, stderr).toBe(1);
      expect(stderr).toMatch(
        /^✘ ERROR unreachable: cannot reach http:\/\/127\.0\.0\.1:2\/.* \/ check that the coordinator is up/m,
      );
      expect(stderr).not.toContain("retrying");
      expect(stderr).not.toContain("reconnecting");
    }
  }, 30_000);

  // The README: "Every command waits at most --timeout SECONDS … past it, `✘ ERROR timeout` and exit 1, so a
  // coordinator or proxy that takes the connection and never answers cannot hang a script." `watch ID --timeout 1`
  // against one said nothing and did not end: the same silent 30 tries (isTransient counts ResponseTimeoutError), each
  // a --timeout plus up to 10 s of backoff — with the default 30 s, about 20 minutes.
  it("ends past --timeout with ✘ ERROR timeout when its first read gets no answer (--follow too)", async () => {
    const held: Socket[] = [];
    const silent: Server = createServer((s) => {
      held.push(s); // takes the connection, never answers
    });
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    try {
      for (const follow of [[], ["--follow"]]) {
        const argv = ["watch", "job_0mxdf7m0u0007a37e99c", "--url", url, "--token", TOKEN, "--timeout", "1", ...follow];
        const run = startCli(argv);
        children.push(run.child);
        const { code, stderr } = await run.exited;
        expect(code, stderr).toBe(1);
        expect(stderr).toMatch(
          /^✘ ERROR timeout: .*took the connection but did not answer.* \/ check that the coordinator/m,
        );
      }
    } finally {
      for (const s of held) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  }, 30_000);
});

// The rule's other half: only a failure to get any answer before the first is final. A coordinator that answered (a
// 503 while it restarts) and then dropped the connection is an outage, ridden out with each try told.
describe("the feed follower of a watch whose first read is the feed (--follow)", () => {
  it("retries a dropped connection once the coordinator has answered, saying each try", async () => {
    const feed = feedServer();
    const url = await feed.serve((_req, res, n) => {
      if (n === 0) {
        res.writeHead(503, { "content-type": "application/problem+json" });
        res.end(JSON.stringify({ type: "t", title: "x", status: 503, detail: "restarting", code: "unavailable" }));
      } else if (n === 1) res.socket?.destroy();
      else {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end(frame({ seq: 1, type: "job.stage", at: 1, data: { from: "queued", to: "shipped" } }));
      }
    });
    try {
      const tries: number[] = [];
      const last = await followJobFeed(client(url), "job_1", {
        after: 0,
        unanswered: true,
        backoff: { maxAttempts: 5, minDelayMs: 1, maxDelayMs: 5, factor: 2, jitter: 0 },
        onEvent: () => true,
        onRetry: ({ attempt }) => tries.push(attempt),
      });
      expect({ last, tries }).toEqual({ last: 1, tries: [1, 2] });
    } finally {
      await feed.close();
    }
  });
});

/** A process whose command line names scripts/start.ts (as a live `npm start`'s does) holding the lock on `state`. */
async function lockHolder(state: string): Promise<void> {
  const code = `const m = await import(${JSON.stringify(path.join(ROOT, "scripts", "start-preflight.ts"))});
m.lockState(process.argv[1]); console.log("locked"); setInterval(() => {}, 1 << 30);`;
  const child = spawn(NODE, ["--input-type=module", "-e", code, state, "scripts/start.ts"], { stdio: "pipe" });
  children.push(child);
  let out = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d;
      if (out.includes("locked")) resolve();
    });
    child.once("exit", (c) => reject(new Error(`the lock holder exited ${c}: ${out}`)));
  });
}

// `npm start` running (on PORT 8787, the default), a second `npm start` in the same checkout ended `✘ ERROR
// state_in_use: \`npm start\` (pid 32729) is already running on the local state in …/.wrangler / stop it (…), or give
// this one its own state with GIGAFACTORY_LOCAL_STATE=DIR`. Doing that (`GIGAFACTORY_LOCAL_STATE=/tmp/gf2 npm start`)
// ended `✘ ERROR port_in_use: 127.0.0.1:8787 is in use …`: the first start holds the port too. The README says the
// whole fix: "give it its own state and port: GIGAFACTORY_LOCAL_STATE=/tmp/gf2 PORT=8788 npm start".
// Cause: scripts/start-preflight.ts stateInUse (the fix names the state alone), checked before the port.
describe("a second start on the same state while the first holds the port", () => {
  it("names the whole line to run in its fix: its own state, a free PORT, the same script (start and dev)", async () => {
    const state = path.join(dir, "held");
    await lockHolder(state);
    const listening: Server = createServer();
    await new Promise<void>((r) => listening.listen(0, "127.0.0.1", r));
    const port = (listening.address() as { port: number }).port;
    try {
      for (const script of ["start", "dev"]) {
        const run = spawnSync(NODE, [path.join(ROOT, "scripts", `${script}.ts`)], {
          cwd: ROOT,
          encoding: "utf8",
          timeout: 60_000,
          env: {
            ...process.env,
            GIGAFACTORY_ADMIN_TOKEN: "test-admin-token",
            GIGAFACTORY_LOCAL_STATE: state,
            PORT: `${port}`,
          },
        });
        expect(run.status, run.stderr).toBe(2);
        const line = run.stderr.split("\n").find((l) => l.startsWith("✘ ERROR")) ?? "";
        const fix = line.slice(line.indexOf(" / "));
        const named = fix.match(/`GIGAFACTORY_LOCAL_STATE=(\S+) PORT=(\d+) (npm start|npm run dev)`/);
        expect(named, `${script}: ${line}`).not.toBeNull();
        const [, other, free, again] = named!;
        expect({ again, otherState: other !== state, otherPort: Number(free) !== port }).toEqual({
          again: script === "start" ? "npm start" : "npm run dev",
          otherState: true,
          otherPort: true,
        });
      }
    } finally {
      await new Promise((r) => listening.close(r));
    }
  });
});

// `gigafactory login http://127.0.0.1:8787 gf_demo_…` (the order `git remote add NAME URL` teaches, and the one the
// start's own line prints, less the flags) ended `✘ ERROR usage: unexpected argument "http://127.0.0.1:8787" / see
// \`gigafactory login --help\``: no word of --url, though `jobs building` is told `did you mean "--stage building"?`
// (cli/args-hints unexpectedArgument hints only an option with choices). A URL, or a token, where no argument goes
// is the value of --url or --token.
describe("login given its URL and token without their flags", () => {
  it("names the flag each value needs, in either order, showing the token redacted, never whole", async () => {
    const hidden = "gf_demo_…";
    const run = await captureCli(["login", "http://127.0.0.1:8787", TOKEN]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`did you mean "--url http://127.0.0.1:8787 --token ${hidden}"?`);
    const reversed = await captureCli(["login", TOKEN, "http://127.0.0.1:8787"]);
    expect(reversed.code).toBe(2);
    expect(reversed.stderr).toContain(`unexpected argument "${hidden}"; did you mean "--token ${hidden} --url http`);
    const swapped = await captureCli(["login", "--token", TOKEN, "http://127.0.0.1:8787"]);
    expect(swapped.code).toBe(2);
    expect(swapped.stderr).toContain('did you mean "--url http://127.0.0.1:8787"?');
    for (const r of [run, reversed, swapped]) expect(r.stderr).not.toContain(TOKEN.slice(8));
    // An option already given is not suggested again; a word of no telling shape gets no guess.
    const twice = await captureCli(["login", "--url", "http://127.0.0.1:8787", "http://127.0.0.1:8788"]);
    expect(twice.stderr).not.toContain("did you mean");
    const plain = await captureCli(["login", "acme"]);
    expect(plain.stderr).not.toContain("did you mean");
  });
});
