// A REST call to a name whose every address refuses says why: `localhost` (::1 and 127.0.0.1 on most machines, the
// `npm start` URL) with nothing listening fails in Node as an AggregateError with an empty message, and the CLI's
// line read "cannot reach http://localhost:8787/…: " with nothing after it. Now each address's refusal is named. The
// AggregateError is a real one (node:net, two loopback addresses refusing), wrapped as fetch wraps it.
import net from "node:net";
import { describe, expect, it } from "vitest";
import { ConnectionError, GigafactoryClient } from "../../src/shared/http-client.ts";

/** Node's own error for a connection to two addresses that both refuse (happy eyeballs: an AggregateError). */
function bothRefused(port: number): Promise<Error> {
  return new Promise((resolve) => {
    const socket = net.connect({
      host: "localhost",
      port,
      autoSelectFamily: true,
      lookup: (_host, _opts, cb) =>
        (cb as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [
          { address: "127.0.0.1", family: 4 },
          { address: "127.0.0.2", family: 4 },
        ]),
    });
    socket.on("error", resolve);
  });
}

describe("a connection every address refuses", () => {
  it("names each refusal, not an empty reason", async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r())); // a port just freed: nothing answers on it
    const aggregate = await bothRefused(port);
    expect(aggregate.message).toBe(""); // what Node gives: the defect's premise
    const client = new GigafactoryClient({
      ...{ url: `http://localhost:${port}`, token: "t", product: "p" },
      fetch: () => Promise.reject(new TypeError("fetch failed", { cause: aggregate })),
    });
    const err = await client.listJobs({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^cannot reach http://localhost:${port}/\\S+: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}; connect ECONNREFUSED 127\\.0\\.0\\.2:${port}$`,
      ),
    );
  });

  it("still gives a plain cause's own message", () => {
    const err = new ConnectionError(
      "http://h/x",
      new TypeError("fetch failed", { cause: new Error("getaddrinfo ENOTFOUND h") }),
      1,
    );
    expect(err.message).toBe("cannot reach http://h/x: getaddrinfo ENOTFOUND h");
  });
});
