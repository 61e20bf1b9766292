// The agent's enrollment against a server whose 2xx answer cannot be read as the coordinator's, on a real local
// socket: a page of HTML and a redirect each end in `RestError bad_response` saying the answer is not the
// coordinator's — which `gigafactory-agent enroll` reports as "enrollment failed … check --url" — instead of a
// SyntaxError reported as the agent's own bug with a stack. (A JSON answer of the wrong shape is the caller's to
// refuse: agent/enroll-answer.) A readable answer still comes back as it was sent. A refusal's problem code that is
// not of the API's snake_case shape (a forged line, a sentence) becomes `http_<status>`, as the CLI already made it:
// it was the agent's ✘ ERROR code and its --json `code` as sent.
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it, onTestFinished } from "vitest";
import { enroll, RestError } from "../../src/agent/rest.ts";

async function serve(handler: (res: ServerResponse) => void): Promise<string> {
  const server = createServer((_req, res) => handler(res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  onTestFinished(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const json = (body: unknown) => (res: ServerResponse) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};
const TOKEN = `gf_p_${"a".repeat(43)}`;
const GOOD = { factoryId: "fac_1", token: TOKEN, factory: { id: "fac_1", seatLimit: 2 } };
const ask = async (url: string) =>
  enroll({ url, product: "p", token: "gfe_p_code" }, { name: "h", capabilities: [], seats: 1 }, 10_000);

describe("agent enroll against an answer that is not the coordinator's", () => {
  const cases: Array<[string, (res: ServerResponse) => void, string]> = [
    [
      "a page of HTML",
      (res) => {
        res.writeHead(200, { "content-type": "text/html" });
        res.end("<html>captive portal</html>");
      },
      'it is not JSON: HTTP 200 OK, 27 bytes of text/html: "captive portal"',
    ],
    [
      "a redirect",
      (res) => {
        res.writeHead(308, { location: "https://elsewhere.example/enroll" });
        res.end();
      },
      "HTTP 308 Permanent Redirect, a redirect to https://elsewhere.example/enroll, not followed: the coordinator never redirects, so something else answered; is --url a Gigafactory coordinator",
    ],
  ];
  for (const [what, handler, says] of cases) {
    it(`${what}: RestError bad_response`, async () => {
      const err = await ask(await serve(handler)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RestError);
      expect((err as RestError).code).toBe("bad_response");
      expect((err as RestError).detail).toContain(says);
      expect((err as RestError).detail).toContain("is --url a Gigafactory coordinator");
    });
  }

  it("a readable answer comes back as sent, fields the agent does not read included", async () => {
    const answer = { ...GOOD, factory: { ...GOOD.factory, name: "h", extra: [1] } };
    expect(await ask(await serve(json(answer)))).toEqual(answer);
  });
});

describe("agent enroll refused with a problem code of no API shape", () => {
  for (const code of ["x\n✔ enrolled as h", "Not Found", "a".repeat(65), 42]) {
    it(`${JSON.stringify(code).slice(0, 30)}: the status's code instead`, async () => {
      const url = await serve((res) => {
        res.writeHead(409, { "content-type": "application/problem+json" });
        res.end(JSON.stringify({ type: "about:blank", title: "Conflict", detail: "taken", code }));
      });
      const err = await ask(url).catch((e: unknown) => e);
      expect(err).toMatchObject({ status: 409, code: "http_409", detail: "taken" });
    });
  }

  it("a code of the API's shape is kept", async () => {
    const url = await serve((res) => {
      res.writeHead(409, { "content-type": "application/problem+json" });
      res.end(JSON.stringify({ type: "about:blank", title: "Conflict", detail: "taken", code: "conflict" }));
    });
    expect(await ask(url).catch((e: unknown) => e)).toMatchObject({ status: 409, code: "conflict" });
  });
});
