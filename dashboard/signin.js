// signin.js — the sign-in form: a bearer token and a product (filled in from a
// gf_<product>_… token), checked against the API before it is kept for this tab.
// The admin token is kept only when the user ticks "keep it" (else it lives in memory).

import { ApiError, describeError, isAdminToken, productFromToken, saveSession, verifySession } from "./api.js";
import { setBusy } from "./busy.js";
import { h, replace, showError, statusLine } from "./dom.js";
import { fieldError } from "./field-error.js";
import { foreignTokenProblem, headerCharProblem, tokenReadProblem, tokenShapeProblem } from "./token-shape.js";

/** What to sign in with instead of a token whose shape is wrong (token-shape.js). */
const WHOLE_TOKEN =
  "Sign in with an operator or viewer token, whole, as it was minted (gf_<product>_ then 43 characters), or with the admin token and a product.";

/** What to do instead of a token the coordinator cannot read (token-shape.js tokenReadProblem): src/cli/token-readable's. */
/** What to do instead of a token holding a character no header can carry: shared/header-token's advice. */
const COPY_AGAIN =
  "Copy the token again, whole and alone (tokens are ASCII: gf_<product>_ and letters, digits, '_' or '-').";
const TOKEN_ALONE = "Give the token alone, as it was minted or set: the dashboard adds `Authorization: Bearer` itself.";

/**
 * Why `token` (trimmed, not empty) is not sent, in the words said beside the Token box, or undefined when it may be.
 * @param {string} token @returns {string | undefined}
 */
function tokenRefusal(token) {
  // fetch cannot put it in a header at all (it threw, told as an unreachable coordinator).
  const unsafe = headerCharProblem(token);
  if (unsafe) return `Not sent: ${unsafe}. ${COPY_AGAIN}`;
  // The coordinator would refuse it as a token it does not know, which says nothing of what is wrong.
  // Another service's token (a GitHub ghp_… pasted by mistake) names no product: it was taken for the admin token,
  // offered "keep me signed in" and sent to the coordinator as a bearer.
  const foreign = foreignTokenProblem(token);
  if (foreign) return `Not sent: ${foreign}. ${WHOLE_TOKEN}`;
  const shape = tokenShapeProblem(token);
  if (shape) return `Not sent: the token is not a product token: ${shape}. ${WHOLE_TOKEN}`;
  const unreadable = tokenReadProblem(token);
  return unreadable ? `Not sent: ${unreadable}. ${TOKEN_ALONE}` : undefined;
}

/**
 * @param {HTMLElement} root
 * @param {(session: import("./api.js").Session) => void} onSignedIn
 * @param {string} [notice] why the user is here again (e.g. a refused token)
 */
export function signInView(root, onSignedIn, notice = "") {
  const token = h("input", {
    id: "token",
    name: "token",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    "aria-describedby": "token-help",
  });
  const product = h("input", {
    id: "product",
    name: "product",
    type: "text",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    pattern: "[a-z0-9][a-z0-9\\-]{0,62}",
    "aria-describedby": "product-help",
  });
  const remember = h("input", { id: "remember-admin", name: "remember-admin", type: "checkbox" });
  const rememberField = h(
    "div",
    { class: "field", hidden: true },
    h(
      "label",
      { for: "remember-admin", class: "check" },
      remember,
      " Keep me signed in as admin in this tab (otherwise a reload asks again)",
    ),
  );
  const error = h("p", { class: "status", id: "signin-error", role: "alert" });
  // While the check is out: a slow coordinator left a greyed-out button and nothing that said why.
  const progress = statusLine("muted");
  progress.id = "signin-progress";
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  let productTouched = false;
  product.addEventListener("input", () => {
    productTouched = product.value !== "";
  });
  token.addEventListener("input", () => {
    const inferred = productFromToken(token.value);
    if (inferred && !productTouched) product.value = inferred;
    // Only a token that claims no product's shape may be the admin's: a product token cut off named no product, nor
    // does another service's (tokenShapeProblem faults both).
    // Nor one the coordinator cannot read (`Bearer gf_demo_…`): it is not sent at all.
    const t = token.value.trim();
    const admin = t !== "" && isAdminToken(t) && !tokenShapeProblem(t) && !tokenReadProblem(t) && !headerCharProblem(t);
    if (admin) rememberField.removeAttribute("hidden");
    else rememberField.setAttribute("hidden", "");
  });

  const form = h(
    "form",
    { class: "signin card", "aria-labelledby": "signin-title", novalidate: true },
    h("h1", { id: "signin-title" }, "Sign in"),
    h(
      "p",
      { class: "muted" },
      "Use an operator or viewer token for one product. It is kept for this tab only (session storage) until you sign out or close the tab.",
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: "token" }, "Token"),
      token,
      h("small", { id: "token-help", class: "muted" }, "gf_<product>_… — or the admin token"),
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: "product" }, "Product"),
      product,
      h("small", { id: "product-help", class: "muted" }, "Filled in from a product token"),
    ),
    rememberField,
    error,
    progress,
    submit,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const session = { token: token.value.trim(), product: product.value.trim() };
    const refused = session.token ? tokenRefusal(session.token) : undefined;
    if (!session.token || !session.product) {
      // Every fault at once, each box it is about marked; focus goes to the first (field-error.js). A cut token with
      // Product empty was told only "Enter a token and a product.", and its own fault once Product was filled.
      const said = refused ? `${refused} Enter a product too.` : "Enter a token and a product.";
      if (!session.product) fieldError(product, error, said);
      if (!session.token || refused) fieldError(token, error, said);
      return;
    }
    if (refused) return fieldError(token, error, refused);
    setBusy(submit, true); // aria-disabled, not disabled: a pressed Sign in keeps keyboard focus (busy.js)
    showError(error, "");
    progress.textContent = "Checking the token with the coordinator…";
    try {
      await verifySession(session);
      saveSession(session, remember instanceof HTMLInputElement && remember.checked);
      onSignedIn(session);
    } catch (err) {
      // "check the Product field", not "check the link"; the box it is about marked, and focused (else the token).
      const said = describeError(err, "signin");
      const code = err instanceof ApiError ? err.code : "";
      if (code === "not_found") fieldError(product, error, said);
      else if (code === "unauthorized" || code === "forbidden") fieldError(token, error, said);
      else {
        showError(error, said);
        token.focus();
      }
    } finally {
      progress.textContent = "";
      setBusy(submit, false);
    }
  });

  replace(root, form);
  if (notice) showError(error, notice);
  token.focus();
}
