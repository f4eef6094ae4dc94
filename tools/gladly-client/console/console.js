// The agent console's page. It only draws: the local server signs each call as Gladly does and
// decides what Gladly would do with the answer (auto-link, card reading, form outcome).
// Text from answers is always set as text, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { shopper: { name: "", emails: [], phones: [] }, linked: null, attributes: [], form: null };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  return fill(node, children, false);
}

// Sets (or, with keep, adds to) a node's children: arrays flatten, null and "" are skipped.
function fill(node, children, keep) {
  const nodes = [children].flat(Infinity)
    .filter((c) => c !== null && c !== undefined && c !== "")
    .map((c) => (c instanceof Node ? c : document.createTextNode(String(c))));
  if (keep === false) node.append(...nodes);
  else node.replaceChildren(...nodes);
  return node;
}

async function api(path, body) {
  let resp;
  try {
    resp = await fetch(path, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    return { error: "the console's server is not answering (stopped?)" };
  }
  let out;
  try {
    out = await resp.json();
  } catch (e) {
    return { error: `the console's server answered ${resp.status} without JSON` };
  }
  if (out.exchange) showExchange(out.exchange);
  return out;
}

// One agent operation at a time, as in Gladly: clicks while a call runs are ignored, so answers
// cannot land out of order. Anything that goes wrong lands on the timeline, never only in the
// browser's console.
let busy = false;
function operation(fn) {
  return async (...args) => {
    const ev = args[0];
    if (ev && typeof ev.preventDefault === "function") ev.preventDefault();
    if (busy) return;
    busy = true;
    document.body.setAttribute("aria-busy", "true");
    $("busy").textContent = "Waiting for the adaptor…";
    try {
      await fn(...args);
    } catch (e) {
      timeline("error", "The console failed", String(e));
    } finally {
      busy = false;
      document.body.removeAttribute("aria-busy");
      $("busy").textContent = "";
    }
  };
}

function showExchange(x) {
  const status = x.status === null ? "no answer" : x.status;
  const cls = "s" + String(x.status || 0)[0];
  const time = x.millis === null ? "" : ` · ${x.millis} ms`;
  const level = x.requestBody && x.requestBody.lookupLevel ? ` (${x.requestBody.lookupLevel})` : "";
  const item = el("li", {},
    el("details", {},
      el("summary", {}, el("span", { class: cls }, `${x.method} ${x.path}${level} → ${status}${time}`)),
      el("p", { class: "muted" }, x.url),
      x.error ? el("p", { class: "field-error" }, x.error) : null,
      el("h3", {}, "Request"),
      el("pre", {}, x.requestHeaders.map(([n, v]) => `${n}: ${v}`).join("\n") +
        (x.requestBody === null ? "" : "\n\n" + JSON.stringify(x.requestBody, null, 2))),
      el("h3", {}, "Answer"),
      el("pre", {}, JSON.stringify(x.responseBody, null, 2))));
  $("exchanges").prepend(item);
}

function timeline(kind, message, detail) {
  const stamp = new Date().toLocaleTimeString();
  $("timeline").prepend(el("li", { class: kind, tabindex: "-1" },
    el("span", { class: "muted" }, stamp + " "), message,
    detail ? el("div", { class: "detail" }, detail) : null));
}

function readShopper(form) {
  const f = new FormData(form);
  const one = (k) => String(f.get(k) || "").trim();
  return {
    name: one("name"),
    emails: one("email") ? [one("email")] : [],
    phones: one("phone") ? [one("phone")] : [],
  };
}

const autoLink = operation(async (ev) => {
  state.shopper = readShopper(ev.target);
  const out = await api("/api/link", state.shopper);
  const d = $("link-decision");
  if (out.error) {
    d.className = "no-link";
    d.textContent = "The lookup failed: " + out.error;
    return;
  }
  const { candidates, decision } = out.ok;
  d.className = decision.links === null ? "no-link" : "links";
  d.textContent = decision.reason;
  showCandidates(candidates);
  if (decision.links !== null) await link(candidates[decision.links], "auto-linked");
});

const search = operation(async (ev) => {
  const f = new FormData(ev.target);
  state.shopper = readShopper($("writes-in"));
  const out = await api("/api/search", { key: f.get("key"), value: f.get("value"), shopper: state.shopper });
  if (out.error) {
    $("link-decision").className = "no-link";
    $("link-decision").textContent = out.error;
    showCandidates([]);
    return;
  }
  $("link-decision").className = "";
  const n = out.ok.candidates.length;
  $("link-decision").textContent = `${n} result${n === 1 ? "" : "s"}: pick one to link. ` +
    `Auto-linking this shopper: ${out.ok.decision.reason}`;
  showCandidates(out.ok.candidates);
});

function showCandidates(list) {
  $("candidates").replaceChildren(...list.map((c) => el("li", {},
    el("strong", {}, c.name || "(no name)"), " ",
    el("span", { class: "muted" }, [c.emails.join(", "), c.phones.map((p) => p.number).join(", "), c.address]
      .filter(Boolean).join(" · ")), " ",
    el("button", { type: "button", class: "secondary", onclick: operation(() => link(c, "linked")) },
      `Link ${c.name || c.externalCustomerId}`))));
}

async function link(candidate, how) {
  state.linked = candidate.externalCustomerId;
  state.attributes = [];
  timeline("done", `Profile ${how} to ${candidate.name || "customer"} (${candidate.externalCustomerId})`);
  await loadProfile();
}

async function loadProfile() {
  const out = await api("/api/profile", {
    externalCustomerId: state.linked, shopper: state.shopper, customAttributes: state.attributes,
  });
  const box = $("profile");
  if (out.error) {
    // Gladly keeps what it showed before when a lookup fails.
    timeline("error", "The profile lookup failed; Gladly keeps what it had", out.error);
    return;
  }
  const p = out.ok;
  state.attributes = p.customAttributes;
  fill(box, [
    el("h2", { id: "profile-h" }, "Customer profile"),
    el("div", { class: "person" },
      el("h3", { id: "profile-name" }, p.name || "(no name)"),
      el("dl", {},
        el("dt", {}, "Emails"), el("dd", {}, p.emails.join(", ") || "—"),
        el("dt", {}, "Phones"), el("dd", {}, p.phones.map((x) => x.number + (x.kind ? ` (${x.kind.toLowerCase()})` : "")).join(", ") || "—"),
        el("dt", {}, "Address"), el("dd", {}, p.address || "—"),
        el("dt", {}, "Customer id"), el("dd", {}, p.externalCustomerId))),
    p.customAttributes.length ? el("h3", {}, "Custom attributes") : null,
    p.customAttributes.length ? el("dl", { class: "attrs", id: "custom-attributes" },
      p.customAttributes.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v || "—")])) : null,
    actionButtons(p.actions, "Profile actions"),
    p.notes.length ? el("ul", { class: "notes", "aria-label": "What Gladly would not read" },
      p.notes.map((n) => el("li", {}, n))) : null,
    el("h3", {}, `Orders (${p.orders.length})`),
    p.orders.map(orderCard)]);
}

function actionButtons(actions, label) {
  if (!actions.length) return null;
  return el("div", { class: "actions", role: "group", "aria-label": label },
    actions.map((a) => el("button", {
      type: "button", "data-action": `${label}|${a.name}`, onclick: operation(() => openForm(a, `${label}|${a.name}`)),
    }, a.name)));
}

function money(v) { return v || "—"; }

function orderCard(o) {
  const when = o.createdAt ? new Date(o.createdAt).toLocaleString() : "date unknown";
  const names = Object.fromEntries(o.products.map((p) => [p.id, p.name]));
  const count = o.itemCount === null ? "" : `${o.itemCount} item${o.itemCount === 1 ? "" : "s"}`;
  return el("article", { class: "order", id: `order-${o.orderNumber}`, "aria-label": `Order #${o.orderNumber}` },
    el("h3", {}, `#${o.orderNumber}`, el("span", { class: "status" }, o.status || "—"),
      el("span", { class: "muted" }, [when, count].filter(Boolean).join(" · ")),
      el("span", { class: "total" }, `${money(o.total)} ${o.currency}`)),
    o.note ? el("p", { class: "muted" }, o.note) : null,
    el("ul", { "aria-label": "Items" }, o.products.map((p) => el("li", { class: "item" },
      p.imageUrl ? el("img", { src: p.imageUrl, alt: p.name, loading: "lazy" }) : null,
      el("span", {}, `${p.quantity ?? "?"} × ${p.name}`, p.sku ? el("span", { class: "muted" }, ` (${p.sku})`) : null,
        ` · ${money(p.unitPrice)}`, p.status ? el("span", { class: "muted" }, ` · ${p.status}`) : null)))),
    el("div", { class: "cols" },
      el("div", { class: "shipments" }, el("strong", {}, "Shipments"),
        o.fulfillments.length ? el("ul", {}, o.fulfillments.map((f) => el("li", {},
          [f.carrier, f.shippingSpeed, f.status].filter(Boolean).join(" · "), " ",
          f.trackingUrl ? el("a", { href: f.trackingUrl, target: "_blank", rel: "noopener noreferrer" }, f.trackingNumber || "track")
            : (f.trackingNumber || ""),
          f.estimatedDeliveryDate ? el("div", { class: "muted" }, `Expected ${new Date(f.estimatedDeliveryDate).toLocaleDateString()}`) : null,
          f.productIds.length ? el("div", { class: "muted" }, "Contains: " + f.productIds.map((id) => names[id] || id).join(", ")) : null,
          f.shippingAddress.length ? el("div", { class: "muted" }, "To: " + f.shippingAddress.join(", ")) : null)))
          : el("p", { class: "muted" }, "None yet")),
      el("div", { class: "billing" }, el("strong", {}, "Billing address"),
        el("p", { class: "muted" }, o.billingAddress.join(", ") || "—"))),
    el("p", {},
      o.orderLink ? el("a", { href: o.orderLink, target: "_blank", rel: "noopener noreferrer" }, "Open in the store's admin") : null,
      o.orderLink && o.customerOrderUrl ? " · " : null,
      o.customerOrderUrl ? el("a", { href: o.customerOrderUrl, target: "_blank", rel: "noopener noreferrer" }, "Shopper's view") : null),
    actionButtons(o.actions, `Actions for order #${o.orderNumber}`));
}

async function openForm(action, key) {
  const out = await api("/api/form", { formUrl: action.formUrl });
  if (out.error) {
    timeline("closed", `${action.name}: the form did not open`, out.error);
    return;
  }
  const form = out.ok;
  form.sections = form.sections.filter((x) => x !== null && typeof x === "object");
  state.form = form;
  state.formKey = key;
  $("form-title").textContent = form.title || action.name;
  $("form-submit").textContent = form.submitButton || "Submit";
  $("form-close").textContent = form.closeButton || "Cancel";
  $("form-errors").replaceChildren();
  $("form-sections").replaceChildren(...form.sections.map(section));
  $("form-dialog").showModal();
  const first = $("form-sections").querySelector("input, select");
  if (first) first.focus();
}

function section(s, i) {
  if (s.type === "text") return el("p", { class: "form-text" }, s.text || "");
  if (s.type !== "input" || !s.input || typeof s.attr !== "string") {
    return el("p", { class: "notes" }, `(a section of type ${s.type} Gladly would not show)`);
  }
  const id = `f-${i}`;
  const inp = s.input;
  const label = `${s.label || s.attr}${inp.optional ? " (optional)" : ""}`;
  let control;
  if (inp.type === "select") {
    const options = (Array.isArray(inp.options) ? inp.options : []).filter((o) => o && typeof o === "object");
    const chosen = s.defaultValue === undefined || s.defaultValue === null ? "" : String(s.defaultValue);
    const known = options.some((o) => String(o.value) === chosen);
    control = el("select", { id, name: s.attr },
      known ? null : el("option", { value: "" }, inp.placeholder || "Pick one"),
      options.map((o) => el("option", { value: String(o.value), selected: String(o.value) === chosen }, o.text)));
  } else if (inp.type === "checkbox") {
    control = el("input", { id, name: s.attr, type: "checkbox", checked: s.defaultValue === true });
  } else {
    control = el("input", { id, name: s.attr, type: "text", value: s.defaultValue === undefined ? "" : String(s.defaultValue), placeholder: inp.placeholder });
  }
  control.dataset.kind = inp.type;
  control.setAttribute("aria-describedby", `${id}-err ${id}-hint`);
  const field = inp.type === "checkbox"
    ? el("div", { class: "field", "data-attr": s.attr },
        el("span", { class: "label" }, label),
        el("label", {}, control, " ", inp.text || ""))
    : el("div", { class: "field", "data-attr": s.attr }, el("label", { for: id }, label), control);
  field.append(
    el("p", { class: "hint", id: `${id}-hint` }, s.hint || ""),
    el("p", { class: "field-error", id: `${id}-err` }));
  return field;
}

function formValues() {
  const values = {};
  for (const c of $("form-sections").querySelectorAll("input, select")) {
    values[c.name] = c.dataset.kind === "checkbox" ? c.checked : c.value;
  }
  return values;
}

const submitForm = operation(async () => {
  const button = $("form-submit");
  button.disabled = true;
  try {
    const out = await api("/api/submit", { actionUrl: state.form.actionUrl, values: formValues() });
    const o = out.ok || { kind: "closed", message: "The console failed", detail: out.error || "" };
    for (const f of $("form-sections").querySelectorAll(".field")) {
      f.querySelector(".field-error").textContent = "";
      const c = f.querySelector("input, select");
      if (c) c.removeAttribute("aria-invalid");
    }
    $("form-errors").replaceChildren();
    if (o.kind === "fix") {
      // Gladly keeps the form open: the general errors on top, each field's error beside it.
      $("form-errors").replaceChildren(...o.general.map((g) => el("p", {}, g.message, g.detail ? el("span", { class: "detail" }, " " + g.detail) : null)));
      let first = null;
      for (const fe of o.fields) {
        const f = [...$("form-sections").querySelectorAll(".field")].find((x) => x.dataset.attr === fe.attr);
        if (!f) {
          $("form-errors").append(el("p", {}, `${fe.attr}: ${fe.detail}`));
          continue;
        }
        f.querySelector(".field-error").textContent = fe.detail || fe.code;
        const c = f.querySelector("input, select");
        c.setAttribute("aria-invalid", "true");
        first = first || c;
      }
      if (first) first.focus();
      return;
    }
    $("form-dialog").close();
    const title = state.form.title || "Action";
    if (o.kind === "done") {
      timeline("done", `${title}: ${o.message}`, o.detail);
      await loadProfile();
    } else {
      timeline("closed", `${title}: ${o.message}`, o.detail);
    }
    // Back where the agent was: the same action's button if it is still offered, else the news.
    const again = [...document.querySelectorAll("#profile button[data-action]")]
      .find((b) => b.dataset.action === state.formKey);
    (again || $("timeline").firstElementChild).focus();
  } finally {
    button.disabled = false;
  }
});

async function start() {
  const about = await api("/api/about");
  $("adaptor").textContent = about.adaptor;
  $("search-key").replaceChildren(...about.searchKeys.map((k) => el("option", { value: k }, k)));
  $("writes-in").addEventListener("submit", autoLink);
  $("search").addEventListener("submit", search);
  $("action-form").addEventListener("submit", submitForm);
  $("form-close").addEventListener("click", () => $("form-dialog").close());
  const raw = $("show-raw");
  raw.addEventListener("change", () => document.body.classList.toggle("no-raw", !raw.checked));
}

start().catch((e) => timeline("error", "The console could not start", String(e)));
