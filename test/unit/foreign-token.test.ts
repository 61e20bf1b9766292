// Another service's token pasted where a Gigafactory token belongs (a GitHub `ghp_…` or `github_pat_…`, a GitLab,
// Slack, npm, Anthropic, OpenAI or AWS key) is told by its shape (shared/foreign-token), as that service's, showing
// its prefix and none of its secret: the CLI's token-shape rule and the dashboard's mirror (dashboard/token-shape)
// say the same words, so the sign-in form refuses it before sending instead of taking it for the admin token. An
// admin token the operator chose (`gfadmin_…`, any other string), a product token and short look-alikes are not hit.
// The dashboard's session never keeps a token the shape rule faults, "keep me signed in" ticked or not.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { loadSession, saveSession } from "../../dashboard/session.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { tokenShapeProblem as form, foreignTokenProblem as formForeign } from "../../dashboard/token-shape.js";
import { tokenShapeProblem as cli } from "../../src/cli/token-shape.ts";
import { foreignTokenProblem } from "../../src/shared/foreign-token.ts";

const FOREIGN: Array<[string, string]> = [
  [`ghp_${"a1B2".repeat(9)}`, "a GitHub token (ghp_…)"],
  [`gho_${"Z9y8".repeat(9)}`, "a GitHub token (gho_…)"],
  [`github_pat_11ABCDEFG0${"x_Y7".repeat(20)}`, "a GitHub fine-grained token (github_pat_…)"],
  [`glpat-${"abC_".repeat(5)}`, "a GitLab token (glpat-…)"],
  [`xoxb-1234-5678-${"abcd".repeat(6)}`, "a Slack token (xoxb-…)"],
  [`npm_${"N0pq".repeat(9)}`, "an npm token (npm_…)"],
  [`sk-ant-api03-${"k3y_".repeat(10)}`, "an Anthropic API key (sk-ant-…)"],
  [`sk-proj-${"0penAI".repeat(6)}`, "an OpenAI API key (sk-proj-…)"],
  ["AKIAIOSFODNN7EXAMPLE", "an AWS access key id (AKIA…)"],
];
const OURS = [
  `gf_demo_${"A".repeat(43)}`,
  `gfadmin_${"b".repeat(32)}`,
  "e2e-admin-token",
  "ghp_short",
  "sk-admin",
  "my-own-admin-secret",
];

describe("another service's token", () => {
  it("is named by its service and prefix, never its secret, by the shared rule, the CLI's and the form's alike", () => {
    for (const [token, said] of FOREIGN) {
      const words = foreignTokenProblem(` ${token}\n`);
      expect(words, token).toBe(`it is ${said}, not a Gigafactory token`);
      expect(words).not.toContain(token.slice(-12));
      expect(formForeign(token)).toBe(words);
      expect(cli(token)).toBe(words);
      expect(form(token)).toBe(words);
    }
  });

  it("leaves product tokens, admin secrets and short look-alikes alone", () => {
    for (const token of OURS) {
      expect(foreignTokenProblem(token), token).toBeUndefined();
      expect(formForeign(token), token).toBeUndefined();
    }
  });
});

describe("the dashboard's session", () => {
  const stores = () => {
    const m = new Map<string, string>();
    return {
      getItem: (k: string) => m.get(k) ?? null,
      setItem: (k: string, v: string) => void m.set(k, v),
      removeItem: (k: string) => void m.delete(k),
      size: () => m.size,
    };
  };
  const g = globalThis as Record<string, unknown>;
  beforeEach(() => {
    g.sessionStorage = stores();
    g.localStorage = stores();
  });
  afterEach(() => {
    delete g.sessionStorage;
    delete g.localStorage;
  });

  it("never keeps another service's token, kept-admin box ticked or not; keeps a chosen admin secret when asked", () => {
    const [github] = FOREIGN[0] ?? [""];
    saveSession({ token: github, product: "demo" }, true);
    expect(loadSession()).toBeNull();
    saveSession({ token: "my-own-admin-secret", product: "demo" }, true);
    expect(loadSession()).toEqual({ token: "my-own-admin-secret", product: "demo" });
    saveSession({ token: github, product: "demo" }, true); // a later foreign one drops what was kept, too
    expect(loadSession()).toBeNull();
  });
});
