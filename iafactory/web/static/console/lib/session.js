// The signed-in session: tokens in sessionStorage (this tab only; never a cookie, so no CSRF),
// refreshed silently before the access token expires, and once more on UNAUTHENTICATED.
import { ApiError, graphql } from "./api.js";
import { LOGOUT, REFRESH } from "./operations.js";

const KEY = "iafactory.console.session";
const BEFORE_SUPPORT = "iafactory.console.beforeSupport";
const listeners = new Set();
let tokens = read(KEY);
let refreshing = null;
let timer = null;
let signOutReason = null;

function read(key) {
  try {
    const value = JSON.parse(sessionStorage.getItem(key) || "null");
    return value && value.accessToken ? value : null;
  } catch {
    return null;
  }
}

function write(key, value) {
  if (value) sessionStorage.setItem(key, JSON.stringify(value));
  else sessionStorage.removeItem(key);
}

// The access token's claims (sub, tenant_id, role, superadmin, exp): a hint for the UI only;
// the server checks every request.
export function claims(token = tokens && tokens.accessToken) {
  if (!token) return {};
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(
      Array.from(atob(part), (c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")).join(""),
    );
    return JSON.parse(json);
  } catch {
    return {};
  }
}

export const current = () => tokens;
export const isSupportSession = () => claims().role === "SUPPORT";
export const hasSessionBeforeSupport = () => read(BEFORE_SUPPORT) !== null;

export function onChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function msLeft() {
  return tokens ? new Date(tokens.expiresAt).getTime() - Date.now() : 0;
}

function schedule() {
  clearTimeout(timer);
  if (!tokens) return;
  const left = msLeft();
  if (isSupportSession()) {
    // A support session is short and cannot be refreshed: it simply ends.
    timer = setTimeout(() => leaveSupport("SUPPORT_ENDED"), Math.max(0, left));
    return;
  }
  const early = Math.min(60_000, left * 0.2);
  timer = setTimeout(() => refresh().catch(() => {}), Math.max(1_000, left - early));
}

function save(next) {
  tokens = next ? { accessToken: next.accessToken, refreshToken: next.refreshToken, expiresAt: next.expiresAt } : null;
  write(KEY, tokens);
  schedule();
  for (const listener of listeners) listener(tokens);
}

export function signIn(payload) {
  signOutReason = null;
  save(payload);
}

export function consumeSignOutReason() {
  const reason = signOutReason;
  signOutReason = null;
  return reason;
}

function endSession(reason) {
  signOutReason = reason;
  write(BEFORE_SUPPORT, null);
  save(null);
}

// One refresh at a time; every caller waits for the same rotation (the old token dies with it).
export function refresh() {
  if (!tokens || isSupportSession()) return Promise.resolve(tokens);
  if (!refreshing) {
    const refreshToken = tokens.refreshToken;
    refreshing = graphql(REFRESH, { refreshToken })
      .then((data) => {
        const payload = data.refreshToken;
        if (tokens && tokens.refreshToken === refreshToken) save(payload);
        return tokens;
      })
      .catch((error) => {
        if (error instanceof ApiError && error.code !== "NETWORK" && error.code !== "RATE_LIMITED") {
          endSession(error.code === "TENANT_SUSPENDED" ? "TENANT_SUSPENDED" : "SESSION_EXPIRED");
        }
        throw error;
      })
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

// A valid access token, refreshed first when it is about to expire (a sleeping laptop's timers lag).
export async function accessToken() {
  if (tokens && !isSupportSession() && msLeft() < 5_000) await refresh().catch(() => {});
  return tokens ? tokens.accessToken : null;
}

// An operation as the signed-in user; retried once after a refresh when the token was refused.
export async function call(query, variables = {}) {
  const token = await accessToken();
  try {
    return await graphql(query, variables, { token });
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== "UNAUTHENTICATED" || !token) throw error;
    if (isSupportSession()) {
      leaveSupport("SUPPORT_ENDED");
      throw error;
    }
    await refresh();
    return graphql(query, variables, { token: tokens && tokens.accessToken });
  }
}

export async function signOut() {
  const ending = tokens;
  const before = read(BEFORE_SUPPORT);
  endSession(null);
  for (const session of [ending, before]) {
    if (session && session.refreshToken && claims(session.accessToken).role !== "SUPPORT") {
      await graphql(LOGOUT, { refreshToken: session.refreshToken }, { token: session.accessToken }).catch(() => {});
    }
  }
}

export function enterSupport(payload) {
  write(BEFORE_SUPPORT, tokens);
  signIn(payload);
}

export function leaveSupport(reason = null) {
  const before = read(BEFORE_SUPPORT);
  write(BEFORE_SUPPORT, null);
  signOutReason = reason;
  save(before);
  if (before) refresh().catch(() => {});
}

schedule();
