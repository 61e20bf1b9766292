/**
 * @module cli/commands/login
 * `gigafactory login`: checks a URL + token against the coordinator (one cheap
 * authenticated read, the queue version) before saving them, so a typo is
 * caught now rather than on the next command. The product comes from
 * `--product`, or from a `gf_<product>_…` token; an admin token names none.
 */
import { productFromToken } from "../../shared/http-client.ts";
import { configPath, coordinatorUrl, envLayer, writeConfigFile } from "../config.ts";
import type { Command } from "../context.ts";
import { CliError } from "../errors.ts";

export const login: Command = {
  path: ["login"],
  args: { names: "", min: 0, max: 0 },
  summary: "verify a coordinator URL and token, then save them for later commands",
  options: {},
  async run(ctx) {
    const env = envLayer(ctx.io.env);
    const url = ctx.str("url") ?? env.url;
    const token = ctx.str("token") ?? env.token;
    if (!url || !token) {
      throw new CliError(
        "usage",
        "login needs --url and --token",
        "run `gigafactory login --url URL --token TOKEN`",
        2,
      );
    }
    const base = coordinatorUrl(url, ctx.str("url") !== undefined ? "flag" : "env");
    const product = ctx.str("product") ?? productFromToken(token) ?? env.product;
    if (!product) {
      throw new CliError(
        "product_required",
        "the token does not name a product (an admin token?)",
        "pass --product P as well",
        2,
      );
    }
    const conn = { url: base, token, product };
    const { version } = await ctx.client(conn).queueState();
    const file = configPath(ctx.io.env);
    writeConfigFile(file, conn);
    if (ctx.json) ctx.emit({ url: conn.url, product, configPath: file, queueVersion: version });
    else ctx.print(`✔ Logged in to ${conn.url} as product ${product} (queue version ${version}); saved to ${file}`);
    return 0;
  },
};
