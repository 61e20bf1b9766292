// Job lists are bounded per request: `GET …/jobs` answers summaries without `bodyMd` unless `?fields=full`, whose pages stop at a byte budget; one job's GET keeps its body.
import { describe, expect, it } from "vitest";
import { MAX_FULL_PAGE_BYTES } from "../../src/durable-objects/coordinator/jobs/list.ts";
import { ADMIN, api, P, submit } from "./client";

interface Page {
  jobs: Array<{ id: string; title: string; bodyMd?: string }>;
  nextCursor?: string;
}

/** 250 KB: close to the 256 KiB manifest cap, the body a list must not carry 500 times. */
const BIG = "x".repeat(250_000);

describe("job list", () => {
  it("GET …/jobs?limit=500 has no bodyMd by default or with fields=summary; fields=full and the single GET have it", async () => {
    const product = "list-summary";
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await submit(product, { title: `big ${i}` }, `${BIG}${i}`)).id);
    for (const q of ["limit=500", "limit=500&fields=summary"]) {
      const r = await api<Page>("GET", `${P(product)}/jobs?${q}`, { token: ADMIN });
      expect(r.status).toBe(200);
      expect(r.body.jobs.map((j) => j.id).sort()).toEqual([...ids].sort());
      for (const j of r.body.jobs) expect(j).not.toHaveProperty("bodyMd");
      expect(JSON.stringify(r.body).length).toBeLessThan(10_000);
    }
    const full = await api<Page>("GET", `${P(product)}/jobs?limit=500&fields=full`, { token: ADMIN });
    expect(full.body.jobs.map((j) => j.bodyMd?.length)).toEqual([250_001, 250_001, 250_001]);
    const one = await api<Page["jobs"][number]>("GET", `${P(product)}/jobs/${ids[0]}`, { token: ADMIN });
    expect(one.body.bodyMd).toBe(`${BIG}0`);
    expect((await api("GET", `${P(product)}/jobs?fields=bodies`, { token: ADMIN })).status).toBe(400);
  });

  it("fields=full pages stop at MAX_FULL_PAGE_BYTES and the cursor continues them: every job once", async () => {
    const product = "list-full-bytes";
    const count = Math.ceil(MAX_FULL_PAGE_BYTES / BIG.length) + 4;
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push((await submit(product, { title: `big ${i}` }, BIG)).id);
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    do {
      const q = `limit=500&fields=full${cursor ? `&cursor=${cursor}` : ""}`;
      const r = await api<Page>("GET", `${P(product)}/jobs?${q}`, { token: ADMIN });
      expect(r.status).toBe(200);
      sizes.push(r.body.jobs.length);
      seen.push(...r.body.jobs.map((j) => j.id));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(sizes.length).toBeGreaterThan(1);
    expect(sizes[0]! * BIG.length).toBeLessThanOrEqual(MAX_FULL_PAGE_BYTES);
    expect(seen).toEqual([...ids].reverse());
  });
});
