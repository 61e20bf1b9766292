/**
 * The shared harness of the CLI unit tests: `runCli` is cli/run's, the one cli/main runs; `captureCli` runs it with stdout and
 * stderr captured, no config file and a fixed clock, and `stubCoordinator` serves a per-test handler on a real local
 * socket, recording every request line and body, and closes itself when the test finishes.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { onTestFinished } from "vitest";
import { runCli } from "../../src/cli/run.ts";

export { runCli };

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one command line with its output captured; no config file is read and the clock stands at `now`. */
export async function captureCli(
  argv: readonly string[],
  opts: { now?: number; env?: Record<string, string>; stdoutIsTTY?: boolean } = {},
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const now = opts.now ?? 1_700_000_060_000;
  const code = await runCli(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    stderrIsTTY: false,
    ...(opts.stdoutIsTTY ? { stdoutIsTTY: true } : {}),
    env: { HOME: "/nonexistent", GIGAFACTORY_CONFIG: "/nonexistent/config.json", ...opts.env },
    now: () => now,
  });
  return { code, stdout, stderr };
}

/** The connection flags every command against a stand-in coordinator carries. */
export const connection = (url: string, product: string, token = "t"): string[] => [
  "--url",
  url,
  "--token",
  token,
  "--product",
  product,
];

/** One request as the stand-in saw it: `line` is `METHOD /path?query`, `body` the JSON body (undefined if none). */
export interface StubRequest {
  method: string;
  url: string;
  line: string;
  text: string;
  body: unknown;
  headers: IncomingHttpHeaders;
}

export interface StubReply {
  json(status: number, doc: unknown, headers?: Record<string, string>): void;
  /**
   * An `application/problem+json` refusal, as the coordinator writes them: `type` is `about:blank` unless `doc` names
   * one (without one it is no coordinator's problem, shared/problem-words isCoordinatorProblem).
   */
  problem(status: number, doc: Record<string, unknown>): void;
  text(status: number, body: string, contentType: string, headers?: Record<string, string>): void;
}

export interface StubCoordinator {
  url: string;
  /** Every request line with its body, in arrival order (the handler sees the headers too). */
  seen: Array<{ line: string; body: unknown }>;
  /** The request lines alone (`METHOD /path`), in arrival order. */
  lines: string[];
  /** The non-empty request bodies, parsed, in arrival order. */
  bodies: unknown[];
  close(): Promise<void>;
}

/** A stand-in coordinator on 127.0.0.1 answering with `handler`; closed when the current test finishes. */
export async function stubCoordinator(
  handler: (req: StubRequest, reply: StubReply) => void | Promise<void>,
): Promise<StubCoordinator> {
  const seen: Array<{ line: string; body: unknown }> = [];
  const lines: string[] = [];
  const bodies: unknown[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (d) => {
      text += d;
    });
    req.on("end", () => {
      const url = req.url ?? "";
      const line = `${req.method} ${url}`;
      const body = text ? parseJson(text) : undefined;
      const request = { method: req.method ?? "GET", url, line, text, body, headers: req.headers };
      seen.push({ line, body });
      lines.push(line);
      if (text) bodies.push(body);
      const write = (status: number, type: string, payload: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { ...headers, "content-type": type });
        res.end(payload);
      };
      void handler(request, {
        json: (status, doc, headers) => write(status, "application/json", JSON.stringify(doc), headers),
        problem: (status, doc) =>
          write(status, "application/problem+json", JSON.stringify({ type: "about:blank", ...doc })),
        text: (status, payload, type, headers) => write(status, type, payload, headers),
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const close = () => new Promise<void>((r) => server.close(() => r()));
  // Once the test is over nothing it awaits is left in flight: a connection the CLI opened for a read it then gave up
  // on (`job ID` reads the job and its runs at once and stops at the first refusal) is cut, not waited on — close()
  // alone waited ~3 s for its client to drop it.
  onTestFinished(() => {
    server.closeAllConnections();
    return close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, lines, bodies, close };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * A stand-in coordinator for `gigafactory watch job_1`: job_1 has shipped, and its feed (the `/events` pages and the
 * `/events/stream` SSE alike) holds one log line, `text` from the engine's stdout at `at`, then the stage change.
 */
export function stubShippedJobWithLog(text: string, at: number): Promise<StubCoordinator> {
  const log = {
    seq: 1,
    type: "log",
    at,
    data: { factoryId: "fac_1", leaseEpoch: 1, lines: [{ stream: "stdout", text, at }] },
  };
  const shipped = { seq: 2, type: "job.stage", at, data: { from: "testing", to: "shipped", leaseEpoch: 1 } };
  return stubCoordinator((req, reply) => {
    const url = new URL(req.url, "http://x");
    const events = [log, shipped].filter((e) => e.seq > Number(url.searchParams.get("after") ?? 0));
    if (url.pathname.endsWith("/events/stream"))
      reply.text(
        200,
        events.map((e) => `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join(""),
        "text/event-stream",
      );
    else if (url.pathname.endsWith("/events")) reply.json(200, { events, lastSeq: 2 });
    else reply.json(200, { id: "job_1", title: "T", stage: "shipped", waitingReason: null });
  });
}
