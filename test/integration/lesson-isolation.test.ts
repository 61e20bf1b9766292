// One product's lessons never reach another's (workerd): two products each record a product-wide lesson; a claim
// in either carries only its own product's lesson, each list shows only its own, an edit of one product's lesson
// through the other product's path is a 404 that changes nothing, and a factory of one product cannot read the
// other's lessons.
import { describe, expect, it } from "vitest";
import type { Lesson } from "../../src/core/lessons.ts";
import { ADMIN, api, enroll, P, submit, until } from "./client.ts";

type Page = { items: Lesson[] };

/** The product's listed lessons (D1) once the outbox has shipped `wanted`: lists trail the coordinator. */
const listed = async (product: string, wanted: string[]) =>
  (
    await until(
      async () => (await api<Page>("GET", `${P(product)}/lessons`, { token: ADMIN })).body,
      (p) => Array.isArray(p.items) && wanted.every((id) => p.items.some((l) => l.id === id)),
      20_000,
    )
  ).items;

const add = async (product: string, text: string) => {
  const r = await api<Lesson>("POST", `${P(product)}/lessons`, { token: ADMIN, json: { text } });
  expect(r.status).toBe(201);
  return r.body;
};

describe("lessons per product", () => {
  it("a claim, a list and an edit see only the product's own lessons", async () => {
    const [x, y] = ["lessons-iso-x", "lessons-iso-y"];
    const lx = await add(x, "only for product x");
    const ly = await add(y, "only for product y");
    for (const [product, mine] of [
      [x, lx],
      [y, ly],
    ] as const) {
      const f = await enroll(product, "f");
      await submit(product, { title: "t" });
      const c = await api<{ lessons: Array<{ id: string; text: string }> }>("POST", `${P(product)}/claim`, {
        token: f.token,
        json: {},
      });
      expect(c.status).toBe(200);
      expect(c.body.lessons).toEqual([{ id: mine.id, text: mine.text }]);
      expect((await listed(product, [mine.id])).map((l) => l.id)).toEqual([mine.id]);
      // The factory's token is its own product's: the other product's lessons are not for it to read.
      const other = product === x ? y : x;
      expect((await api("GET", `${P(other)}/lessons`, { token: f.token })).status).toBeGreaterThanOrEqual(401);
    }
    const crossed = await api<{ code: string }>("PATCH", `${P(y)}/lessons/${lx.id}`, {
      token: ADMIN,
      json: { text: "rewritten through y" },
    });
    expect(crossed.status).toBe(404);
    expect(crossed.body.code).toBe("not_found");
    expect((await listed(x, [lx.id])).map((l) => l.text)).toEqual(["only for product x"]);
    expect((await listed(y, [ly.id])).map((l) => l.id)).toEqual([ly.id]);
  });
});
