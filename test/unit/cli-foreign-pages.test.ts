// An answer that is not the coordinator's JSON — a wrong --url's web server, a proxy's or a captive portal's page, JSON
// declared in a charset other than UTF-8 — is said in one line (its status, size, media type and a short cut of its
// text with the markup taken out) and how to fix it, by the CLI and the agent alike: a wrong --url's nginx 404 was
// echoed raw, `✘ ERROR http_404: <html>\r\n<head><title>404 Not Found</title>…` (200 characters of markup); a 2xx
// page was V8's quote of its first characters; `application/json; charset=latin1` was read as UTF-8, as a job feed
// declared latin1 (an event stream is UTF-8 only) or text/event-stream-x was read as the feed. An empty refusal is
// `HTTP 404 Not Found` from both programs (the CLI said `Not Found`, the agent's socket `HTTP 404`).
import { describe, expect, it } from "vitest";
import { refusalVerdict } from "../../src/agent/close-codes.ts";
import { enroll, RestError, uploadArtifact } from "../../src/agent/rest.ts";
import { notAnEventStream } from "../../src/cli/feed-stream.ts";
import { foreignAnswerText, textOf } from "../../src/shared/foreign-answer.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const TOKEN = `gf_shop_${"E".repeat(43)}`;
/** nginx's own 404 page, as a web server at a wrong --url answers every path. */
const NGINX_404 =
  "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n" +
  "<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n";
const SAID = '"404 Not Found 404 Not Found nginx/1.24.0"';

describe("the CLI, answered by something other than a coordinator", () => {
  it("says a web server's HTML 404 in one line, without its markup, and points at the URL", async () => {
    const { url } = await stubCoordinator((_req, reply) => reply.text(404, NGINX_404, "text/html"));
    const run = await captureCli(["login", "--url", url, "--token", TOKEN]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `✘ ERROR http_404: not a Gigafactory answer: HTTP 404 Not Found, ${NGINX_404.length} bytes of text/html: ${SAID} / ` +
        "check --url / GIGAFACTORY_URL: the coordinator's base URL, e.g. http://127.0.0.1:8787, without /api/v1 " +
        "(`gigafactory login` saves it)\n",
    );
    const json = await captureCli(["jobs", ...connection(url, "shop", TOKEN), "--json"]);
    expect(JSON.parse(json.stdout).error.message).toContain(`bytes of text/html: ${SAID}`);
  });

  it("says an empty refusal by its status and reason phrase, as the agent does: HTTP 404 Not Found", async () => {
    const { url } = await stubCoordinator((_req, reply) => reply.text(404, "", "text/plain"));
    const run = await captureCli(["jobs", ...connection(url, "shop", TOKEN)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^✘ ERROR http_404: HTTP 404 Not Found \/ check --url /);
    const target = { url, product: "shop", token: `gfe_shop_${"C".repeat(43)}` };
    const err = await enroll(target, { name: "h", capabilities: [], seats: 1 }).catch((e: unknown) => e);
    expect((err as RestError).detail).toBe("HTTP 404 Not Found");
  });

  it("a proxy's 5xx page is not called the coordinator's failure: the fix names the URL and the proxy", async () => {
    const page = `<html><head><style>body{color:red}</style><script>var x = "<b>";</script></head><body>${"<p>Bad gateway &amp; more</p>".repeat(200)}</body></html>`;
    const { url } = await stubCoordinator((_req, reply) => reply.text(502, page, "text/html; charset=utf-8"));
    const run = await captureCli(["jobs", ...connection(url, "shop", TOKEN)]);
    expect(run.code).toBe(1);
    const at = run.stderr.indexOf('…" / ') + 2;
    const [what, fix] = [run.stderr.slice(0, at), run.stderr.slice(at + 3)];
    expect(what).toMatch(
      /^✘ ERROR http_502: not a Gigafactory answer: HTTP 502 Bad Gateway, \d{4} bytes of text\/html: "Bad gateway & more Bad gateway & more .{40,}…"$/,
    );
    expect(what).not.toMatch(/[<>]|color|var x/);
    expect(fix).toMatch(
      /^retry; if it persists, check --url \/ GIGAFACTORY_URL and any proxy in front of the coordinator/,
    );
  });

  it("a 2xx page (a captive portal) is bad_response saying what came, not V8's quote of it, on every reader", async () => {
    const { url } = await stubCoordinator((_req, reply) =>
      reply.text(200, "<html><title>Sign in</title></html>", "text/html"),
    );
    // `jobs` reads through the client's JSON call; the others read the answer themselves (res.json()).
    for (const argv of [["jobs"], ["metrics"], ["alerts"], ["lessons", "list"], ["stats"]]) {
      const run = await captureCli([...argv, ...connection(url, "shop", TOKEN)]);
      expect(run.code, argv.join(" ")).toBe(1);
      expect(run.stderr, argv.join(" ")).toMatch(
        /^✘ ERROR bad_response: the answer from \S+ is no coordinator's: it is not JSON: HTTP 200 OK, 35 bytes of text\/html: "Sign in" \//,
      );
      expect(run.stderr).not.toContain("Unexpected token");
    }
  });

  it("JSON declared in another charset is no coordinator's: a 2xx is bad_response, a refusal said as it came", async () => {
    const latin1 = "application/json; charset=latin1";
    const ok = await stubCoordinator((_req, reply) => reply.text(200, JSON.stringify({ jobs: [] }), latin1));
    const read = await captureCli(["jobs", ...connection(ok.url, "shop", TOKEN)]);
    expect(read.code).toBe(1);
    expect(read.stderr).toMatch(/^✘ ERROR bad_response: .*its JSON is declared charset=latin1, not UTF-8/);
    const problem = JSON.stringify({ code: "not_found", detail: "no such job" });
    const refused = await stubCoordinator((_req, reply) =>
      reply.text(404, problem, `application/problem+json; charset="ISO-8859-1"`),
    );
    const run = await captureCli(["job", "job_1", ...connection(refused.url, "shop", TOKEN)]);
    expect(run.stderr).toMatch(
      /^✘ ERROR http_404: not a Gigafactory answer: HTTP 404 Not Found, \d+ bytes of application\/problem\+json in charset ISO-8859-1: /,
    );
  });
});

describe("the job feed's answer", () => {
  const answer = (type: string) => new Response("data: x\n\n", { headers: { "content-type": type } });
  it("is an event stream in UTF-8, its media type whole, or bad_response saying what it was", () => {
    for (const type of ["text/event-stream", "Text/Event-Stream; charset=UTF-8", 'text/event-stream; charset="utf-8"'])
      expect(() => notAnEventStream(answer(type)), type).not.toThrow();
    expect(() => notAnEventStream(answer("text/event-stream; charset=latin1"))).toThrow(
      'the job feed answered "text/event-stream; charset=latin1", not an event stream in UTF-8',
    );
    expect(() => notAnEventStream(answer("text/event-stream-x"))).toThrow(
      'the job feed answered "text/event-stream-x", not an event stream',
    );
  });
});

describe("the agent, answered by something other than a coordinator", () => {
  it("enroll against a web server's 404 says what it was", async () => {
    const { url } = await stubCoordinator((_req, reply) => reply.text(404, NGINX_404, "text/html"));
    const err = await enroll(
      { url, product: "p", token: "gfe_p_code" },
      { name: "h", capabilities: [], seats: 1 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestError);
    expect((err as RestError).detail).toBe(
      `not a Gigafactory answer: HTTP 404 Not Found, ${NGINX_404.length} bytes of text/html: ${SAID}`,
    );
  });

  it("an upload answered 2xx by a page says what came", async () => {
    const { url } = await stubCoordinator((_req, reply) => reply.text(201, "<h1>Saved!</h1>", "text/html"));
    const target = { url, product: "p", token: TOKEN };
    const err = await uploadArtifact(target, "job_1", 1, "log.txt", "x", "text/plain").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestError);
    expect((err as RestError).code).toBe("bad_response");
    expect((err as RestError).detail).toContain('it is not JSON: HTTP 201 Created, 15 bytes of text/html: "Saved!"');
  });

  it("a refused upgrade's page is said, not echoed", () => {
    expect(refusalVerdict(404, NGINX_404, { contentType: "text/html", statusText: "Not Found" })).toEqual({
      kind: "retry",
      why: `connect refused: not a Gigafactory answer: HTTP 404 Not Found, ${NGINX_404.length} bytes of text/html: ${SAID} (is the URL a Gigafactory coordinator, and the product right?)`,
    });
  });
});

describe("foreignAnswerText", () => {
  it("cuts the text at 100 characters, and says a body with none by its size alone", () => {
    const words = textOf(`<p>${"word ".repeat(100)}</p>`);
    expect(words.length).toBeLessThanOrEqual(101);
    expect(words.endsWith("…")).toBe(true);
    expect(foreignAnswerText({ status: 500, contentType: "text/html", text: "<br><br>", bytes: 1 })).toBe(
      "HTTP 500, 1 byte of text/html",
    );
  });
});
