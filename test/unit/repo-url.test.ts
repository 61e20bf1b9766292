// A job's `repo` reaches `git clone` on a factory host: option-, helper- and file-URL forms are refused at submit (markdown, JSON and tracker items alike), the usual remote forms pass.
import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/core/errors.ts";
import { parseManifest, validateManifest } from "../../src/core/manifest.ts";
import { isLocalRepo, repoProblem } from "../../src/core/repo-url.ts";

const HOSTILE = [
  "--upload-pack=touch /tmp/pwned",
  "-u touch /tmp/pwned",
  "ext::sh -c touch% /tmp/pwned",
  "fd::17",
  "file:///etc/gigafactory",
  "FILE:///root/.gigafactory-agent",
  "ssh://-oProxyCommand=touch%20pwned/x",
  "git@-oProxyCommand=x:repo",
  "-oProxyCommand=x:repo",
  "host:--upload-pack=x",
  "ftp://example.com/app.git",
  "relative/path.git",
  "~/app.git",
  "https://example.com/a b.git",
  "https://example.com/app.git\n--upload-pack=x",
];

const ALLOWED = [
  "https://github.com/acme/app.git",
  "http://127.0.0.1:9418/app.git",
  "ssh://git@example.com:2222/acme/app.git",
  "git://example.com/app.git",
  "git@github.com:acme/app.git",
  "example.com:acme/app",
  "/srv/git/app.git",
];

describe("repo URL allow-list", () => {
  it.each(HOSTILE)("refuses %j", (repo) => {
    expect(repoProblem(repo)).toEqual(expect.any(String));
  });

  it.each(ALLOWED)("allows %j", (repo) => {
    expect(repoProblem(repo)).toBeUndefined();
  });

  it("marks only absolute paths as local repositories", () => {
    expect(isLocalRepo("/srv/git/app.git")).toBe(true);
    expect(isLocalRepo("git@github.com:acme/app.git")).toBe(false);
  });
});

describe("manifests refuse a hostile repo at submit", () => {
  const refused = (fn: () => unknown): DomainError => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(DomainError);
      return err as DomainError;
    }
    throw new Error("expected the manifest to be refused");
  };

  it("in markdown frontmatter, naming the field", () => {
    const err = refused(() => parseManifest("---\ntitle: t\nrepo: --upload-pack=touch /tmp/x\n---\n"));
    expect(err.code).toBe("invalid_manifest");
    expect(err.message).toMatch(/repo: must not start with '-'/);
  });

  it("in a JSON manifest (the REST body, bulk items and tracker ingest all go through validateManifest)", () => {
    for (const repo of ["ext::sh -c id", "file:///etc/passwd"]) {
      const err = refused(() => validateManifest({ title: "t", repo }));
      expect(err.code).toBe("invalid_manifest");
      expect(err.message).toMatch(/repo:/);
    }
    expect(validateManifest({ title: "t", repo: "https://github.com/acme/app.git" }).repo).toBe(
      "https://github.com/acme/app.git",
    );
  });
});
