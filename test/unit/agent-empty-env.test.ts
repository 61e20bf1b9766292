// An empty environment variable counts as unset (shared/env-value, agent/config): `GIGAFACTORY_URL=` cleared in a
// unit file falls through to the config file instead of being an empty URL (refused as missing while the file had
// one), and an empty GIGAFACTORY_AGENT_STATE does not put the agent's state (its token) in the current directory.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { resolveRunConfig, stateDirFrom } from "../../src/agent/config.ts";
import { envValue } from "../../src/shared/env-value.ts";

const TOKEN = `gf_acme_${"T".repeat(43)}`;

describe("envValue", () => {
  it("is undefined for a missing, empty or blank variable, the trimmed value otherwise", () => {
    expect([envValue({}, "X"), envValue({ X: "" }, "X"), envValue({ X: "  " }, "X")]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(envValue({ X: " v " }, "X")).toBe("v");
  });
});

describe("an empty environment variable is unset", () => {
  const file = { url: "http://file", product: "acme", token: TOKEN };
  const defaults = { stateDir: "/s", hostname: "h" };

  it("falls through to the config file instead of being an empty URL, token or product", () => {
    const env = { GIGAFACTORY_URL: "", GIGAFACTORY_FACTORY_TOKEN: " ", GIGAFACTORY_PRODUCT: "" };
    expect(resolveRunConfig({}, env, file, defaults)).toMatchObject({
      url: "http://file",
      token: TOKEN,
      product: "acme",
    });
  });

  it("does not put the state dir in the current directory", () => {
    expect(stateDirFrom({}, { GIGAFACTORY_AGENT_STATE: "" }, "/home/u")).toBe(
      path.resolve("/home/u/.gigafactory-agent"),
    );
  });
});
