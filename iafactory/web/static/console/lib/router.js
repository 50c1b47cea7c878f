// Hash routes (#/projects/ID?x=y), so that the server serves one page for every screen.
// Invitation and reset links may also arrive as /accept?token=... or /reset-password?token=...
import { useEffect, useState } from "./html.js";

const PATH_LINKS = { "/accept": "/accept", "/reset-password": "/reset" };

function adoptPathLink() {
  const target = PATH_LINKS[location.pathname.replace(/\/+$/, "")];
  if (target && !location.hash) {
    const base = location.pathname.replace(/[^/]*$/, "").replace(/[^/]+\/$/, "") || "/";
    history.replaceState(null, "", `${base}#${target}${location.search}`);
  }
}

export function parse(hash = location.hash) {
  const [path, query = ""] = hash.replace(/^#/, "").split("?");
  return { path: path || "/", segments: (path || "/").split("/").filter(Boolean), params: new URLSearchParams(query) };
}

export function navigate(path) {
  location.hash = path;
}

export function href(path) {
  return `#${path}`;
}

export function useRoute() {
  const [route, setRoute] = useState(() => {
    adoptPathLink();
    return parse();
  });
  useEffect(() => {
    const update = () => setRoute(parse());
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}
