// `batch submit`'s own checks of a file before it is sent (cli/batch-input): a `.json` item's key that is neither
// `manifest` nor `bodyMd` is refused (exit 2) with the spelling meant when it is close (`bodyMD` → `bodyMd`), not
// dropped; and a route's `body.items.N…` path, which refuses a whole batch, is given its file's name.
import { describe, expect, it } from "vitest";
import { batchItem, named } from "../../src/cli/batch-input.ts";
import { CliError } from "../../src/cli/errors.ts";

const refusal = (text: string): CliError => {
  try {
    batchItem("a.json", text);
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error("not refused");
};

describe("a .json batch item's keys", () => {
  it("refuses a key beside manifest, suggesting the spelling meant when it is one letter or a case away", () => {
    for (const typo of ["bodyMD", "bodymd", "bodyM", "bodyMdd", "bodyMx"]) {
      const e = refusal(JSON.stringify({ manifest: { title: "t" }, [typo]: "x" }));
      expect([e.code, e.exitCode]).toEqual(["invalid_json", 2]);
      expect(e.message).toContain(`"${typo}"`);
      expect(e.fix).toBe(`write "bodyMd" for "${typo}"`);
    }
    expect(refusal(JSON.stringify({ manifest: {}, priority: 3 })).fix).toMatch(/move "priority" into the manifest/);
  });

  it("takes {manifest, bodyMd} and a bare manifest as before", () => {
    expect(batchItem("a.json", '{"manifest":{"title":"t"},"bodyMd":"b"}')).toEqual({
      manifest: { title: "t" },
      bodyMd: "b",
    });
    expect(batchItem("a.json", '{"title":"t"}')).toEqual({ manifest: { title: "t" } });
  });
});

describe("a route's refusal of the whole batch", () => {
  it("names the file of each item path it gives, and leaves a path past the files as it is", () => {
    const files = ["one.md", "empty.md"];
    expect(named("body.items.1.markdown: Too small; body.items.7: bad", files)).toBe(
      "empty.md (body.items.1.markdown): Too small; body.items.7: bad",
    );
    expect(named("body.items: Too big", files)).toBe("body.items: Too big");
  });
});
