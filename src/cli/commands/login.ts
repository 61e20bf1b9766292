/**
 * @module cli/commands/login
 * `gigafactory login`: checks a URL + token against the coordinator (one cheap
 * authenticated read, the queue version) before saving them, so a typo is
 * caught now rather than on the next command — and asks `GET …/whoami` who the token is: the role it logged in as
 * (and a minted token's name) is printed, `role` under --json, and a factory's token, which passes that read, is
 * refused (`factory_token`). The product comes from
 * `--product`, or from a `gf_<product>_…` token; an admin token names none. An admin
 * may log in to a product that does not exist yet (it is told so, and saved): the
 * admin creates products, with this login (`gigafactory products create`). A token the coordinator refuses is said as
 * what is wrong with it (`unauthorized`: not its admin token nor a product token, or a product token it does not know),
 * with or without --product; the admin's without one is told the products there are (`product_required`).
 */
import { trimHeaderBlanks } from "../../shared/header-token.ts";
import { coordinatorRefused, type GigafactoryClient, productFromToken } from "../../shared/http-client.ts";
import { assertProductId } from "../../shared/product-id-input.ts";
import {
  assertTokenServes,
  checkToken,
  configPath,
  coordinatorUrl,
  envLayer,
  PRODUCT_FIX,
  writeConfigFile,
} from "../config.ts";
import type { Command } from "../context.ts";
import { overridingVariables } from "../env-override.ts";
import { CliError } from "../errors.ts";
import { checked, QueueStateRead } from "../read-answers.ts";
import { inlined, ProductsRead } from "../read-answers-ops.ts";
import { lineOf } from "../read-answers-policy.ts";
import { malformedToken } from "../token-shape.ts";
import { factoryLabel, type WhoamiAnswer, WhoamiRead } from "./whoami.ts";

/**
 * The product's queue version (one cheap authenticated read), or undefined when the product does not exist yet and
 * the token is the admin's — checked by the admin's product-free read (`GET /products`), which also proves the
 * token: only the admin can create the product, so its login must come first (README quick start). A product token
 * always names an existing product, and any other refusal (unauthorized, forbidden, a wrong URL) is thrown as is.
 * Both answers are checked: unchecked, another service's `{"ok": true}` read as a version of `undefined` — "Product
 * shop does not exist yet", exit 0, and the URL saved for every later command.
 * @throws ApiError / ConnectionError from either read; CliError bad_response for an answer neither reads as.
 */
async function productQueueVersion(client: GigafactoryClient, product: string): Promise<number | undefined> {
  let state: { version: number };
  try {
    state = await client.queueState();
  } catch (err) {
    if (!coordinatorRefused(err, "not_found")) throw err;
    const products = await client.listProducts().catch(() => {
      throw err; // not the admin (or not a coordinator): the product's own refusal says more
    });
    if (checked(ProductsRead, { products }, "a list of products").products.some((p) => p.id === product)) throw err;
    return undefined;
  }
  return checked(QueueStateRead, state, "a queue state").version;
}

/**
 * Who the token is on the product (GET …/whoami, checked): its role, and a minted token's name, printed by login; a
 * factory's token, which reads the queue version as login's check does, is refused with it (it was saved — "✔ Logged
 * in" — and every later command was refused 403 "yours is a factory token"). Best effort: any other outcome — a
 * coordinator without whoami, a refusal, an answer that is not a whoami — is undefined, and the login rests on the
 * queue version's check, as before.
 */
async function whoIs(client: GigafactoryClient): Promise<WhoamiAnswer | undefined> {
  try {
    const res = await client.send("GET", client.productUrl("/whoami", {}), {});
    const who = WhoamiRead.safeParse(await res.json());
    return who.success ? who.data : undefined;
  } catch {
    return undefined;
  }
}

/** How to log in with a token the coordinator takes, for a token it refused. */
const REFUSED_FIX =
  "log in with the admin token the coordinator was started with (GIGAFACTORY_ADMIN_TOKEN; `npm start` prints it), or an operator or viewer token, whole, as `gigafactory tokens mint` printed it";

/**
 * `err` said as what is wrong with login's token when the coordinator refused it (its own 401): its shape
 * (cli/token-shape), else a product token it does not know (revoked, rotated, another coordinator's), else one that is
 * neither its admin token nor a product token. The generic advice told to run `gigafactory login --url URL --token
 * TOKEN` again — the command just typed. Any other error as it is.
 */
function refusedLogin(err: unknown, token: string, source: string, product?: string): unknown {
  if (!coordinatorRefused(err, "unauthorized")) return err;
  const shape = malformedToken(token, source);
  if (shape) return shape;
  const serves = productFromToken(token);
  const what =
    serves === undefined
      ? `it is not this coordinator's admin token${product ? inlined`, nor a token of product ${product}` : ""} (a product token is gf_<product>_ then 43 characters)`
      : `gf_${serves}_… is not a token this coordinator knows: revoked or rotated, or minted by another coordinator`;
  return new CliError("unauthorized", `the coordinator refused the token (${source}): ${what}`, REFUSED_FIX);
}

/**
 * The coordinator's products, read with a token that names none — so that only the admin's reads them — or undefined
 * when the answer is not that (unreachable, another server): login then asks for --product as before.
 * @throws CliError unauthorized (refusedLogin) — the coordinator refused the token.
 */
async function adminProducts(client: GigafactoryClient, token: string, source: string): Promise<string[] | undefined> {
  try {
    const { products } = checked(ProductsRead, { products: await client.listProducts() }, "a list of products");
    const ids = products.slice(0, 10).map((p) => lineOf(p.id));
    return products.length > ids.length ? [...ids, "…"] : ids;
  } catch (err) {
    const refused = refusedLogin(err, token, source);
    if (refused !== err) throw refused;
    return undefined;
  }
}

/** " as ROLE (token NAME)" for login's line, or "" when the coordinator did not say (one without whoami). */
function asWhom(who: WhoamiAnswer | undefined, role: string | undefined): string {
  if (role === undefined) return "";
  const name = who?.tokenName || who?.tokenId;
  const token = role === "admin" ? " (the admin token)" : name ? ` (token ${lineOf(name)})` : "";
  return ` as ${lineOf(role)}${token}`;
}

/** Said on stderr (under --json too: its document's `overriddenBy` names them): the value itself may be a secret. */
const shadowNote = (name: string): string =>
  `⚠ ${name} is set to something else and overrides the saved login for every later command: unset it (\`unset ${name}\`) to use what login saved`;

export const login: Command = {
  path: ["login"],
  args: { names: "", min: 0, max: 0 },
  summary: "verify a coordinator URL and token, then save them for later commands",
  details: [
    "Saves {url, token, product} to $GIGAFACTORY_CONFIG, else $XDG_CONFIG_HOME/gigafactory/config.json, else",
    "~/.config/gigafactory/config.json (mode 0600). Later commands take --url/--token/--product first, then",
    "GIGAFACTORY_URL/_TOKEN/_PRODUCT, then that file; the saved token goes only to the saved URL's origin.",
    "Says the role it logged in as (operator, viewer, admin) and a minted token's name (`gigafactory whoami` says more).",
    "A factory's token is refused: the CLI needs an operator, viewer or admin token. --json: {url, product, role,",
    "configPath, queueVersion, productExists, overriddenBy} (role null from a coordinator without whoami).",
  ],
  options: {},
  async run(ctx) {
    const env = envLayer(ctx.io.env);
    const url = ctx.str("url") ?? env.url;
    // As `fetch` sends it, and saved so (cli/config reads the others the same way): a trailing line break or a
    // leading blank hid the token's product, and the login was refused "does not name a product (an admin token?)".
    const given = ctx.str("token") ?? env.token;
    const token = given === undefined ? undefined : trimHeaderBlanks(given);
    if (!url || !token) {
      // Name what is missing: "needs --url and --token" to someone who gave one sends them looking at the wrong one.
      const missing = [
        ...(url ? [] : ["--url (or GIGAFACTORY_URL)"]),
        ...(token ? [] : ["--token (or GIGAFACTORY_TOKEN)"]),
      ];
      throw new CliError(
        "usage",
        `login needs ${missing.join(" and ")}: none was given`,
        "run `gigafactory login --url URL --token TOKEN`",
        2,
      );
    }
    const base = coordinatorUrl(url, ctx.str("url") !== undefined ? "flag" : "env");
    checkToken(token, ctx.str("token") !== undefined ? "--token" : "GIGAFACTORY_TOKEN");
    const product = ctx.str("product") ?? productFromToken(token) ?? env.product;
    const tokenSource = ctx.str("token") !== undefined ? "--token" : "GIGAFACTORY_TOKEN";
    // As every command checks its product (cli/config): sent, it was refused `validation_failed: productId`, exit 1.
    // A token's own product is an id by its shape (productFromToken); the others are checked.
    const productSource = ctx.str("product") !== undefined ? "--product" : "GIGAFACTORY_PRODUCT";
    if (product && product !== productFromToken(token)) assertProductId(product, productSource, PRODUCT_FIX);
    if (product && ctx.str("product") !== undefined) assertTokenServes(token, tokenSource, product, "--product");
    if (!product) {
      // A cut-off paste of a product token names no product either: said as what it is (cli/token-shape).
      const malformed = malformedToken(token, tokenSource);
      if (malformed) throw malformed;
      // Asked first: a bad token was told "pass --product P", and with it, that the token was bad.
      const products = await adminProducts(ctx.client({ url: base, token, product: "" }), token, tokenSource);
      throw new CliError(
        "product_required",
        products ? "the admin token names no product" : "the token does not name a product (an admin token?)",
        products?.length ? `pass --product P as well, one of: ${products.join(", ")}` : "pass --product P as well",
        2,
      );
    }
    const conn = { url: base, token, product };
    const client = ctx.client(conn);
    const version = await productQueueVersion(client, product).catch((err: unknown) => {
      // With --product, such a token is sent, and refused 401 "check the token": say what is wrong with it.
      throw refusedLogin(err, token, tokenSource, product);
    });
    // No product yet: only the admin's product-free read let the login through (productQueueVersion), so it is the
    // admin, and there is no product to ask whoami on.
    const who = version === undefined ? undefined : await whoIs(client);
    const role = version === undefined ? "admin" : who?.role;
    if (who?.role === "factory") {
      const factory = factoryLabel(who); // demo-gpu (fac_…), as `whoami` says it
      throw new CliError(
        "factory_token",
        `the token is factory ${factory || "(unnamed)"}'s: it runs jobs on its host, and reads none of what the CLI shows; nothing was saved`,
        "log in with an operator or viewer token (the admin mints one: `gigafactory tokens mint --role operator --name NAME`), or the admin token with --product",
        2,
      );
    }
    const file = configPath(ctx.io.env);
    writeConfigFile(file, conn);
    // Every later command takes them over the saved file (cli/config: flags, then environment, then file), so `login
    // --url B` with GIGAFACTORY_URL=A set said "Logged in to B" and the next `gigafactory jobs` went to A.
    const overriddenBy = overridingVariables(env, conn);
    for (const name of overriddenBy) ctx.note(shadowNote(name), true);
    if (ctx.json)
      ctx.emit({
        url: conn.url,
        product,
        // null: the coordinator did not say (it predates whoami).
        role: role ?? null,
        configPath: file,
        queueVersion: version ?? null,
        productExists: version !== undefined,
        overriddenBy,
      });
    else if (version === undefined)
      ctx.print(
        `✔ Logged in to ${conn.url} with the admin token; saved to ${file}. Product ${product} does not exist yet: ` +
          `create it with \`gigafactory products create ${product}\``,
      );
    else
      ctx.print(
        `✔ Logged in to ${product}${asWhom(who, role)} at ${conn.url} (queue version ${version}); saved to ${file}`,
      );
    return 0;
  },
};
