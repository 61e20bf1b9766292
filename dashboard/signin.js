// signin.js — the sign-in form: a bearer token and a product (filled in from a
// gf_<product>_… token), checked against the API before it is kept for this tab.
// The admin token is kept only when the user ticks "keep it" (else it lives in memory).

import { describeError, isAdminToken, productFromToken, saveSession, verifySession } from "./api.js";
import { h, replace, showError } from "./dom.js";

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
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  let productTouched = false;
  product.addEventListener("input", () => {
    productTouched = product.value !== "";
  });
  token.addEventListener("input", () => {
    const inferred = productFromToken(token.value);
    if (inferred && !productTouched) product.value = inferred;
    const admin = token.value.trim() !== "" && isAdminToken(token.value);
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
    submit,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const session = { token: token.value.trim(), product: product.value.trim() };
    if (!session.token || !session.product) {
      showError(error, "Enter a token and a product.");
      (session.token ? product : token).focus();
      return;
    }
    submit.setAttribute("disabled", "");
    showError(error, "");
    try {
      await verifySession(session);
      saveSession(session, remember instanceof HTMLInputElement && remember.checked);
      onSignedIn(session);
    } catch (err) {
      showError(error, describeError(err, "signin")); // "check the Product field", not "check the link"
      token.focus();
    } finally {
      submit.removeAttribute("disabled");
    }
  });

  replace(root, form);
  if (notice) showError(error, notice);
  token.focus();
}
