// `npm run dev` reads an empty PORT or GIGAFACTORY_ADMIN_TOKEN as unset (shared/env-value), as the agent and the CLI do: `PORT= npm run dev` listens on 8787 instead of refusing port 0.
import { afterEach, describe, expect, it } from "vitest";
import { adminToken, port } from "../../scripts/dev.ts";

const saved = { PORT: process.env.PORT, TOKEN: process.env.GIGAFACTORY_ADMIN_TOKEN };
afterEach(() => {
  if (saved.PORT === undefined) delete process.env.PORT;
  else process.env.PORT = saved.PORT;
  if (saved.TOKEN === undefined) delete process.env.GIGAFACTORY_ADMIN_TOKEN;
  else process.env.GIGAFACTORY_ADMIN_TOKEN = saved.TOKEN;
});

describe("scripts/dev environment", () => {
  it("takes an empty or blank PORT for unset (8787), and a set one as given", () => {
    process.env.PORT = "";
    expect(port()).toBe(8787);
    process.env.PORT = "  ";
    expect(port()).toBe(8787);
    process.env.PORT = "9123";
    expect(port()).toBe(9123);
  });

  it("uses a set admin token as it is", () => {
    process.env.GIGAFACTORY_ADMIN_TOKEN = "gfadmin_from_env_0123456789";
    expect(adminToken()).toBe("gfadmin_from_env_0123456789");
  });
});
