// Pass 46's newcomer audit (helper N): faults a new user meets in the first hour, each red until its fix lands.
// A PORT that the Fetch standard blocks (6000, 6665–6669, 10080, …) is refused by `npm start`/`npm run dev`, the
// CLI's --url and the agent's --url at once as `bad_url`/`bad_port`, not after a minute as "did not answer".
// An agent ended by a second signal does not say its running job was `cancelled` (event `job.cancelled`): the
// coordinator still holds it leased to this factory, and it goes back to the queue when that lease expires.
// An agent whose token was rotated is told to store the new one (`gigafactory-agent enroll --token`), not to `run`
// with `--token`, which saves nothing: its next plain `run` (a reboot, systemd) is refused again, exit 3.
// A GIGAFACTORY_ADMIN_TOKEN no request can carry (a blank, a non-ASCII character, over 512 bytes) stops `npm start` and
// `npm run dev` before anything starts, not after the runtime booted as `demo_failed … 401 … run npm install`.
// A --product (or GIGAFACTORY_PRODUCT) that is no product id is a connection setting the CLI cannot run with: exit 2,
// naming the flag, before any request — as a bad --url or token is — not the server's `productId` refusal, exit 1.
import { afterEach, describe, expect, it, vi } from "vitest";
import { adminToken, parsePort } from "../../scripts/dev.ts";
import { refusalVerdict, retiredWords } from "../../src/agent/close-codes.ts";
import { checkedUrl } from "../../src/agent/credential-checks.ts";
import { SeatRunner } from "../../src/agent/seat-runner.ts";
import { resolveConnection } from "../../src/cli/config.ts";
import { coordinatorUrl } from "../../src/cli/coordinator-url.ts";
import { assignment, FakeConnection, seatContext, tempAgent, until, useArtifactServer } from "./agent-fakes.ts";

// The runtime listens there and answers curl, but Node's fetch (undici) refuses the port before connecting
// ("bad port"): `PORT=6000 npm start` waited 60 s for a health probe that was never sent, then said
// `start_failed … run npm install first`; the CLI said `unreachable … check that the coordinator is up`.
const BLOCKED = ["6000", "6666", "10080", "5060"];

describe("a port fetch refuses to reach", () => {
  it("is not a PORT npm start or npm run dev accepts", () => {
    for (const p of BLOCKED) expect(parsePort(p), `PORT=${p}`).toBeUndefined();
    expect(parsePort("8787")).toBe(8787);
  });

  it("is refused in the CLI's --url before any request, as bad_url", () => {
    for (const p of BLOCKED)
      expect(() => coordinatorUrl(`http://127.0.0.1:${p}`, "flag"), `--url …:${p}`).toThrow(/port/);
    expect(coordinatorUrl("http://127.0.0.1:8787", "flag")).toBe("http://127.0.0.1:8787");
  });

  it("is refused in the agent's --url before the code is sent, as bad_url", () => {
    for (const p of BLOCKED) expect(() => checkedUrl(`http://127.0.0.1:${p}`, "--url"), `--url …:${p}`).toThrow(/port/);
    expect(checkedUrl("http://127.0.0.1:8787", "--url")).toBe("http://127.0.0.1:8787");
  });
});

const rest = useArtifactServer();

// `kill PID; kill PID` on a running agent printed `✘ job_… cancelled: agent interrupted — engine stopped, work
// discarded` (`--json`: event job.cancelled), while `gigafactory jobs` showed the job `building` on that factory,
// "its lease expires in 52s unless its agent comes back", and it was then requeued: nothing cancelled it.
describe("an agent's second signal, with a job running", () => {
  it("says the job is left to its lease, not cancelled", async () => {
    const agent = tempAgent(rest.url);
    try {
      const conn = new FakeConnection();
      const ctx = seatContext(conn, agent, rest.url);
      const runner = new SeatRunner(ctx, assignment("job_sig", "gf-sample-seconds: 30\n"), false);
      await until("the engine", () => ctx.records.read("job_sig")?.enginePid);
      runner.forceStop();
      await runner.finished;
      const said = agent.events.filter((e) => JSON.stringify(e).includes("job_sig"));
      expect(said.map((e) => e.event)).not.toContain("job.cancelled");
      expect(JSON.stringify(said)).not.toMatch(/job_sig cancelled/);
    } finally {
      agent.remove();
    }
  });
});

// `gigafactory factory rotate build-1` with build-1's agent running: the agent ended `✘ ERROR revoked: … / start the
// agent with the new token (\`--token\`), which was shown once to whoever rotated it`. The README (agent section)
// says a token given to `run --token` "connected once and saved nothing: the next plain run read the rotated-out
// token and stopped unauthorized, exit 3"; `factory rotate` itself prints `… enroll --token gf_… && … run`.
describe("a rotated factory token", () => {
  it("tells the agent's operator to store the new token with enroll --token, then run", () => {
    const { fix } = retiredWords("token rotated");
    expect(fix).toMatch(/enroll[^/]*--token/);
  });

  // The same fix, one step on: the plain `run` after a `run --token NEW` ended `✘ ERROR unauthorized: … / enroll the
  // host again (…--code gfe_…) or pass a current --token` (exit 3) — the --token that got it there.
  it("is not fixed by a bare `--token` once the old one is refused either", () => {
    const problem = JSON.stringify({
      type: "https://gigafactory.dev/problems/unauthorized",
      title: "Authentication required",
      status: 401,
      detail: "token is not recognised, or was revoked or rotated",
      code: "unauthorized",
    });
    const verdict = refusalVerdict(401, problem, { contentType: "application/problem+json" });
    expect(verdict.kind).toBe("fatal");
    const fix = verdict.kind === "fatal" ? verdict.error.fix : "";
    expect(fix).not.toMatch(/or pass a current --token/);
  });
});

// `GIGAFACTORY_ADMIN_TOKEN="my token" npm start` bundled, migrated and booted workerd (20 s), then ended `✘ ERROR
// demo_failed: create product demo: 401 {"type":…,"detail":"send Authorization: Bearer …"} / run \`npm install\`, and
// check that PORT is free` (exit 1); "é" and a 600-byte token the same ("token is not recognised"). `npm run dev` with
// it prints `admin token: my token` and every request with it is refused (the CLI: token_malformed).
describe("an admin token no request can carry", () => {
  const saved = process.env.GIGAFACTORY_ADMIN_TOKEN;
  afterEach(() => {
    vi.restoreAllMocks();
    if (saved === undefined) delete process.env.GIGAFACTORY_ADMIN_TOKEN;
    else process.env.GIGAFACTORY_ADMIN_TOKEN = saved;
  });

  it("is refused before the coordinator starts", () => {
    vi.spyOn(process, "exit").mockImplementation(((code?: number) => {
      throw new Error(`exit ${code}`);
    }) as never);
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    for (const token of ["my token", "é", "x".repeat(600)]) {
      process.env.GIGAFACTORY_ADMIN_TOKEN = token;
      expect(() => adminToken(), JSON.stringify(token.slice(0, 12))).toThrow();
    }
  });
});

// `gigafactory jobs --product UPPER` (or `--product 'a b'`, GIGAFACTORY_PRODUCT=Demo) sent the request and ended `✘ ERROR
// validation_failed: productId: lowercase letters, digits and '-', at most 63 / fix the value named above`, exit 1:
// nothing above names `productId`, and `gigafactory --help` says a connection setting it cannot run with exits 2.
describe("a --product that is no product id", () => {
  it("is refused before any request, exit 2, naming --product", () => {
    const admin = { url: "http://127.0.0.1:8787", token: "gfadmin_abc" };
    for (const product of ["UPPER", "a b", "-x"]) {
      let caught: unknown;
      try {
        resolveConnection({ ...admin, product }, {}, {});
      } catch (err) {
        caught = err;
      }
      expect(caught, product).toBeInstanceOf(Error);
      expect((caught as { exitCode?: number }).exitCode).toBe(2);
      expect(String((caught as Error).message)).toContain("--product");
    }
  });
});
