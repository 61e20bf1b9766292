// `npm run dev` reads an empty PORT or GIGAFACTORY_ADMIN_TOKEN as unset (shared/env-value), as the agent and the CLI do: `PORT= npm run dev` listens on 8787 instead of refusing port 0.
// A PORT that is not decimal digits (`0x50`, `1e3`) is refused, not read as the number JavaScript makes of it.
import { afterEach, describe, expect, it } from "vitest";
import { adminToken, parsePort, port } from "../../scripts/dev.ts";

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

  it("reads PORT as decimal digits only: hex, exponents and fractions are not ports", () => {
    // `Number` took them: PORT=0x50 listened on 80, PORT=1e3 on 1000.
    for (const raw of ["0x50", "1e3", "8787.0", "+8787", "-1", "0", "65536", "80 80"])
      expect(parsePort(raw)).toBeUndefined();
    expect(parsePort("8787")).toBe(8787);
    expect(parsePort("65535")).toBe(65535);
  });

  it("uses a set admin token as it is", () => {
    process.env.GIGAFACTORY_ADMIN_TOKEN = "gfadmin_from_env_0123456789";
    expect(adminToken()).toBe("gfadmin_from_env_0123456789");
  });
});
