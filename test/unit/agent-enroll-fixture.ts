// A stand-in coordinator on loopback for the agent's `enroll` tests, in a temp dir of its own (both gone after the
// file's tests): each request is recorded and answered as the test says — JSON, or problem+json for a status ≥ 400
// (`problem`), or a page of another type as it is — and `enroll` runs in-process against it with a state dir under that temp dir, giving the
// FixableError it threw (or undefined), its printed lines and whether it made a request.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { ENROLL_FLAGS, parseArgs, RUN_FLAGS } from "../../src/agent/cli-args.ts";
import { enrollCommand } from "../../src/agent/enroll.ts";
import { createOutput } from "../../src/agent/output.ts";
import { FixableError } from "../../src/shared/fixable-error.ts";

/** One request the stand-in took: `METHOD path` as `line`, its path, its Authorization header and its body text. */
export interface StandInRequest {
  line: string;
  url: string;
  authorization: string;
  body: string;
}

/** The stand-in's answer: a status and a JSON body (sent as problem+json when the status is 400 or more). */
export interface StandInAnswer {
  status: number;
  body: unknown;
  /** Sent as it is (a gateway's text/html page): the body a string. */
  page?: string;
}

/** A problem+json answer as the coordinator gives one. */
export const problem = (status: number, code: string, detail: string): StandInAnswer => ({
  status,
  body: { type: "about:blank", title: code, status, code, detail },
});

/** The stand-in coordinator answering with `answer`, its temp dir named `tmpPrefix…`; listening before the tests. */
export function enrollStandIn(tmpPrefix: string, answer: (req: StandInRequest) => StandInAnswer) {
  const dir = mkdtempSync(path.join(tmpdir(), tmpPrefix));
  // Reachable by the engine user a root agent runs (`nobody`), as a host's state dir's parent is: enroll refuses a work
  // dir beside its state dir that `run` would (mkdtemp makes 0700; agent/engine-user-setup).
  chmodSync(dir, 0o755);
  const requests: StandInRequest[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (d: string) => {
      body += d;
    });
    req.on("end", () => {
      const authorization = req.headers.authorization ?? "";
      const taken = { line: `${req.method} ${req.url}`, url: req.url ?? "", authorization, body };
      requests.push(taken);
      const a = answer(taken);
      const type = a.page ?? (a.status >= 400 ? "application/problem+json" : "application/json");
      res.writeHead(a.status, { "content-type": type });
      res.end(a.page === undefined ? JSON.stringify(a.body) : String(a.body));
    });
  });
  const stand = {
    dir,
    requests,
    /** The stand-in's base URL (set once it listens: read it inside a test). */
    url: "",
    /**
     * `enroll` with `argv` in-process into the state dir `sub` (under `dir`, or an absolute path), `env` for its
     * GIGAFACTORY_URL/GIGAFACTORY_PRODUCT: the FixableError it threw (another error is thrown on), what it printed,
     * and whether it made a request.
     */
    async enroll(argv: string[], sub: string, env: Record<string, string> = {}) {
      const lines: string[] = [];
      const out = createOutput(false, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
      const { flags } = parseArgs(["enroll", ...argv], { enroll: ENROLL_FLAGS, run: RUN_FLAGS });
      const before = requests.length;
      try {
        await enrollCommand(flags, path.resolve(dir, sub), out, env);
        return { err: undefined, lines, requested: requests.length > before };
      } catch (err) {
        if (!(err instanceof FixableError)) throw err;
        return { err, lines, requested: requests.length > before };
      }
    },
  };
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    stand.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });
  return stand;
}
