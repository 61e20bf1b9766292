/**
 * @module worker/routes/products
 * Products, admin only: create one explicitly (`POST /api/v1/products`,
 * idempotent — `201` when new, `200` with the existing product otherwise, so
 * a setup script may call it on every run) and list them. Nothing else
 * creates a product: every product-scoped path naming an unknown product is
 * `404` (see worker/products).
 */
import { Hono } from "hono";
import { CreateProductBody } from "../../shared/api.ts";
import { type AppEnv, requireAdmin } from "../auth.ts";
import { createProduct, listProducts } from "../products.ts";
import { body } from "../validate.ts";

export const products = new Hono<AppEnv>();

products.post("/products", async (c) => {
  await requireAdmin(c);
  const { id } = await body(c, CreateProductBody);
  const { product, created } = await createProduct(c.env, id);
  return c.json(product, created ? 201 : 200);
});

products.get("/products", async (c) => {
  await requireAdmin(c);
  return c.json({ products: await listProducts(c.env) });
});
