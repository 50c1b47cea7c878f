// French and English. The browser's language by default; the switch is remembered (not a token).
import { en } from "./messages-en.js";
import { fr } from "./messages-fr.js";

const TABLES = { en, fr };
const KEY = "iafactory.console.language";
export const LANGUAGES = [["fr", "Français"], ["en", "English"]];

function initial() {
  const stored = localStorage.getItem(KEY);
  if (stored && TABLES[stored]) return stored;
  const preferred = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
  for (const tag of preferred) {
    const base = String(tag || "").slice(0, 2).toLowerCase();
    if (TABLES[base]) return base;
  }
  return "en";
}

let language = initial();
document.documentElement.lang = language;

export const currentLanguage = () => language;

export function setLanguage(next) {
  if (!TABLES[next]) return;
  language = next;
  localStorage.setItem(KEY, next);
  document.documentElement.lang = next;
}

// t("projects.count", { count: 3 }) -> "3 projects"; a missing key shows itself (never blank).
export function t(key, params = {}) {
  const table = TABLES[language];
  let text = table[key] ?? en[key] ?? key;
  if (typeof text === "function") text = text(params);
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

export function formatDate(value) {
  if (!value) return "";
  return new Intl.DateTimeFormat(language, { dateStyle: "medium", timeStyle: "short" }).format(new Date(value));
}

export function formatNumber(value, options = {}) {
  return new Intl.NumberFormat(language, options).format(value);
}

export function formatBytes(bytes) {
  const units = language === "fr" ? ["o", "Ko", "Mo", "Go", "To"] : ["B", "KB", "MB", "GB", "TB"];
  let value = Number(bytes) || 0;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${formatNumber(value, { maximumFractionDigits: unit ? 1 : 0 })} ${units[unit]}`;
}

export function formatSeconds(seconds) {
  const total = Math.round(Number(seconds) || 0);
  const minutes = Math.floor(total / 60);
  const rest = String(total % 60).padStart(2, "0");
  return minutes >= 60 ? `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min` : `${minutes}:${rest}`;
}

export function languageName(code) {
  try {
    const name = new Intl.DisplayNames([language], { type: "language" }).of(code);
    return name.charAt(0).toLocaleUpperCase(language) + name.slice(1);
  } catch {
    return code;
  }
}
