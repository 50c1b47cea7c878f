// Small building blocks shared by the pages.
import { html, useState } from "../lib/html.js";
import { describe } from "../lib/errors.js";
import { t } from "../lib/i18n.js";

export function Alert({ error }) {
  const message = describe(error);
  if (!message) return null;
  return html`<div class="alert" role="alert" data-code=${message.code || ""}>
    <strong>${message.title}</strong>
    ${message.detail && html`<span class="alert-detail">${message.detail}</span>`}
    ${message.reference && html`<small class="alert-ref">${t("errors.reference", { id: message.reference })}</small>`}
  </div>`;
}

export function Notice({ children, kind = "info" }) {
  return html`<div class=${`notice notice-${kind}`} role="status">${children}</div>`;
}

export function Field({ label, hint, children }) {
  // The hint stays outside the label, so that the field's accessible name is the label alone.
  return html`<div class="field"><label class="field"><span class="field-label">${label}</span>${children}</label>
    ${hint && html`<small class="field-hint">${hint}</small>`}</div>`;
}

export function Loading() {
  return html`<p class="muted" aria-busy="true">${t("common.loading")}</p>`;
}

export function Empty({ children }) {
  return html`<p class="empty">${children}</p>`;
}

export function Pager({ page, pageInfo, onPrevious, onNext }) {
  if (!pageInfo || (page <= 1 && !pageInfo.hasNextPage)) return null;
  return html`<nav class="pager" aria-label=${t("common.pages")}>
    <button type="button" class="secondary" disabled=${page <= 1} onClick=${onPrevious}>← ${t("common.previous")}</button>
    <span class="muted">${t("common.page", { page })}</span>
    <button type="button" class="secondary" disabled=${!pageInfo.hasNextPage} onClick=${() => onNext(pageInfo.endCursor)}>
      ${t("common.next")} →</button>
  </nav>`;
}

export function ProgressBar({ value, label }) {
  const percent = Math.max(0, Math.min(100, Math.round((Number(value) || 0) * 100)));
  return html`<div class="progress" role="progressbar" aria-label=${label} aria-valuemin="0" aria-valuemax="100"
      aria-valuenow=${percent}>
    <div class="progress-fill" style=${`width:${percent}%`}></div>
    <span class="progress-text">${percent} %</span>
  </div>`;
}

// Two clicks for what cannot be undone, without a blocking browser dialog.
export function ConfirmButton({ label, confirmLabel, onConfirm, disabled = false }) {
  const [armed, setArmed] = useState(false);
  if (!armed) {
    return html`<button type="button" class="danger-outline" disabled=${disabled} onClick=${() => setArmed(true)}>${label}</button>`;
  }
  return html`<span class="confirm">
    <button type="button" class="danger" onClick=${() => { setArmed(false); onConfirm(); }}>${confirmLabel}</button>
    <button type="button" class="secondary" onClick=${() => setArmed(false)}>${t("common.cancel")}</button>
  </span>`;
}

export function CopyButton({ text, label = t("common.copy") }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = Object.assign(document.createElement("textarea"), { value: text });
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    setDone(true);
    setTimeout(() => setDone(false), 2000);
  };
  return html`<button type="button" class="secondary" onClick=${copy}>${done ? t("common.copied") : label}</button>`;
}

export function download(filename, text, type = "text/plain") {
  const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function unescapeHtml(text) {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, name) => {
    if (name[0] === "#") {
      const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    }
    return ENTITIES[name.toLowerCase()] ?? entity;
  });
}

// Turns the server's snippet (HTML-escaped text with <b>…</b> around matches) into nodes,
// without ever handing it to innerHTML.
export function Snippet({ html: snippet }) {
  const parts = [];
  let bold = false;
  for (const piece of String(snippet).split(/(<b>|<\/b>)/)) {
    if (piece === "<b>") bold = true;
    else if (piece === "</b>") bold = false;
    else if (piece) {
      const text = unescapeHtml(piece);
      parts.push(bold ? html`<mark>${text}</mark>` : text);
    }
  }
  return html`<p class="snippet">${parts}</p>`;
}

export function PageHeader({ title, children }) {
  return html`<header class="page-header"><h1>${title}</h1>${children && html`<div class="page-actions">${children}</div>`}</header>`;
}
