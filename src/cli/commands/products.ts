/**
 * @module cli/commands/products
 * Products (admin only): `gigafactory products` lists them, `gigafactory
 * products create ID` creates one. Nothing else creates a product — a request
 * naming an unknown product is refused with 404 — so a typo in `--product`
 * can no longer leave a permanent product behind. Neither command needs a
 * product configured: they act above products.
 */
import { assertProductId, PRODUCT_ID_RULE } from "../../shared/product-id-input.ts";
import type { Command } from "../context.ts";
import { checked } from "../read-answers.ts";
import { inlined, inlineRows, ProductRead, ProductsRead } from "../read-answers-ops.ts";
import { formatInstant, renderTable } from "../table.ts";

export const productCommands: Command[] = [
  {
    path: ["products"],
    args: { names: "", min: 0, max: 0 },
    summary: "list the products (admin)",
    options: {},
    async run(ctx) {
      const listed = { products: await ctx.client(ctx.connection(false)).listProducts() };
      const { products } = checked(ProductsRead, listed, "a list of products");
      if (ctx.json) ctx.emit({ products });
      else if (products.length === 0) ctx.print("no products; create one with `gigafactory products create NAME`");
      else
        ctx.print(
          renderTable(
            [{ header: "PRODUCT" }, { header: "CREATED" }],
            inlineRows(products.map((p) => [p.id, formatInstant(p.createdAt)])),
          ),
        );
      return 0;
    },
  },
  {
    path: ["products", "create"],
    args: { names: "ID", min: 1, max: 1 },
    summary: "create a product (admin): lowercase letters, digits and '-'; idempotent",
    options: {},
    async run(ctx) {
      const id = ctx.positionals[0]!;
      // Checked as every product id the CLI is given: sent, `UPPER` came back `validation_failed: id: …`, exit 1.
      assertProductId(
        id,
        "the ID argument",
        `name it in ${PRODUCT_ID_RULE}, e.g. \`gigafactory products create shop\``,
      );
      const { product, created } = await ctx.client(ctx.connection(false)).createProduct(id);
      checked(ProductRead, product, "a product");
      if (ctx.json) ctx.emit({ ...product, created });
      else if (created) ctx.print(inlined`✔ created product ${product.id}`);
      else ctx.print(inlined`✔ product ${product.id} already exists (created ${formatInstant(product.createdAt)})`);
      return 0;
    },
  },
];
