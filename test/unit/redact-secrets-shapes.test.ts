// shared/redact-secrets hides a secret in the shapes a server's echo, a URL in an error or an engine's log line carry
// it beyond a Gigafactory token and a Bearer value: an `Authorization` header in another scheme (Basic, GitHub's
// `token`), as a header line or a JSON field; a token standing as a URL's user (`https://<token>@host`, as git hosts
// document it); a query parameter named for a secret (`access_token`, `api_key`, `X-Amz-Signature`, `token`). These
// all went out whole. Ordinary text, short URL users and ordinary query parameters are left alone.
import { describe, expect, it } from "vitest";
import { REDACTED, redactDeep, redactSecrets } from "../../src/shared/redact-secrets.ts";

const GH = "ghp_0123456789abcdefghijABCDEFGHIJ012345";

describe("redactSecrets hides", () => {
  const cases: Array<[string, string, string]> = [
    ["a Basic header", "Authorization: Basic dXNlcjpwYXNzd29yZA==", `Authorization: Basic ${REDACTED}`],
    ["a token header in JSON", `{"authorization":"token ${GH}"}`, `{"authorization":"token ${REDACTED}"}`],
    [
      "a header in JSON quoted in a line",
      String.raw`body: {\"Authorization\":\"Basic dXNlcjpwYXNz\"}`,
      String.raw`body: {\"Authorization\":\"Basic ${REDACTED}\"}`,
    ],
    ["a proxy's header", `proxy-authorization=Digest ${GH}`, `proxy-authorization=Digest ${REDACTED}`],
    [
      "a token as a URL's user",
      `fatal: unable to access 'https://${GH}@github.com/o/r.git/'`,
      `fatal: unable to access 'https://${REDACTED}@github.com/o/r.git/'`,
    ],
    [
      "a secret query parameter, and only it",
      "GET https://h.example/x?access_token=abc123&limit=5#frag failed",
      `GET https://h.example/x?access_token=${REDACTED}&limit=5#frag failed`,
    ],
    [
      "a presigned URL's signature",
      "https://b.s3.amazonaws.com/k?X-Amz-Expires=60&X-Amz-Signature=deadbeef99&x-amz-security-token=FQo",
      `https://b.s3.amazonaws.com/k?X-Amz-Expires=60&X-Amz-Signature=${REDACTED}&x-amz-security-token=${REDACTED}`,
    ],
    [
      "an api key",
      "cannot reach https://api.example/v1?api_key=k-123",
      `cannot reach https://api.example/v1?api_key=${REDACTED}`,
    ],
    ["a plain token parameter", "ws://h/connect?token=opaque-admin", `ws://h/connect?token=${REDACTED}`],
  ];
  for (const [what, text, hidden] of cases) {
    it(what, () => {
      expect(redactSecrets(text)).toBe(hidden);
      expect(redactDeep({ line: text })).toEqual({ line: hidden });
    });
  }
});

describe("redactSecrets leaves alone", () => {
  for (const text of [
    "authorization failed: basic checks did not pass",
    "the token is missing; basic auth is not supported",
    "ssh://git@github.com/o/r.git and https://bob@host.example/x",
    "https://h.example/api/v1/products/p/jobs?cursor=abc&limit=5&monkey=3&keyboard=1&stage=queued",
    "a?b=c&d=e",
  ]) {
    it(text, () => {
      expect(redactSecrets(text)).toBe(text);
    });
  }
});
