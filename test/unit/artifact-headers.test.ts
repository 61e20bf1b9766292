// Artifacts are served so a browser cannot run them: the declared content type is never echoed;
// only text (as text/plain) and raster images are inline, everything else is an octet-stream
// attachment, and every response carries nosniff and a sandboxing CSP.
import { describe, expect, it } from "vitest";
import { artifactHeaders, mediaType } from "../../src/worker/artifact-headers.ts";

describe("artifactHeaders", () => {
  it.each([
    ["text/html", "page.html"],
    ["TEXT/HTML; charset=utf-8", "page.htm"],
    ["image/svg+xml", "chart.svg"],
    ["application/javascript", "x.js"],
    ["application/xhtml+xml", "x.xhtml"],
    ["application/pdf", "report.pdf"],
    ["", "blob"],
    ["nonsense", "blob"],
  ])("serves %s as an attachment of application/octet-stream", (declared, name) => {
    expect(artifactHeaders(name, declared)).toMatchObject({
      "content-type": "application/octet-stream",
      "content-disposition": `attachment; filename="${name}"`,
      "x-content-type-options": "nosniff",
    });
  });

  it.each([
    ["text/plain", "text/plain; charset=utf-8"],
    ["text/x-diff; charset=utf-8", "text/plain; charset=utf-8"],
    ["application/json", "text/plain; charset=utf-8"],
    ["image/png", "image/png"],
    ["Image/JPEG", "image/jpeg"],
  ])("shows %s inline as %s", (declared, served) => {
    const h = artifactHeaders("a.txt", declared);
    expect(h["content-type"]).toBe(served);
    expect(h["content-disposition"]).toBe('inline; filename="a.txt"');
    expect(h["x-content-type-options"]).toBe("nosniff");
    expect(h["content-security-policy"]).toContain("sandbox");
  });

  it("reads the media type without parameters, lowercased", () => {
    expect(mediaType(" Text/HTML ; charset=x")).toBe("text/html");
  });
});
