/**
 * @module worker/routes/products
 * Products, admin only: create one explicitly (`POST /api/v1/products`,
 * idempotent — `201` when new, `200` with the existing product otherwise, so
 * a setup script may call it on every run; audited `product.create` in the
 * product's own trail, once) and list them. Nothing else creates a product:
 * every product-scoped path naming an unknown product is `404` (see
 * worker/products).
 */
import { Hono } from "hono";
import { unwrap } from "../../core/errors.ts";
import { CreateProductBody } from "../../shared/api.ts";
import { type AppEnv, coordinatorFor, requireAdmin } from "../auth.ts";
import { createProduct, listProducts } from "../products.ts";
import { body, noQuery } from "../validate.ts";

export const products = new Hono<AppEnv>();

products.post("/products", async (c) => {
  await requireAdmin(c);
  noQuery(c);
  const { id } = await body(c, CreateProductBody);
  const { product, created } = await createProduct(c.env, id);
  // Audited in the product's own trail, once: asked on the 200 too, so a retry after a failure here still audits it.
  await unwrap(coordinatorFor(c.env, id).recordProductCreated(id, product.createdAt));
  return c.json(product, created ? 201 : 200);
});

products.get("/products", async (c) => {
  await requireAdmin(c);
  noQuery(c);
  return c.json({ products: await listProducts(c.env) });
});
