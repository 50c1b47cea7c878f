// Data hooks over session.call: loading, the contract error, and a way to reload.
import { useCallback, useEffect, useRef, useState } from "./html.js";
import { call } from "./session.js";

export function useQuery(query, variables = {}, { skip = false } = {}) {
  const key = JSON.stringify(variables);
  const [state, setState] = useState({ data: null, error: null, loading: !skip });
  const generation = useRef(0);
  const load = useCallback(async () => {
    if (skip) return;
    const mine = ++generation.current;
    setState((previous) => ({ ...previous, loading: true, error: null }));
    try {
      const data = await call(query, JSON.parse(key));
      if (mine === generation.current) setState({ data, error: null, loading: false });
    } catch (error) {
      if (mine === generation.current) setState({ data: null, error, loading: false });
    }
  }, [query, key, skip]);
  useEffect(() => {
    load();
  }, [load]);
  return { ...state, reload: load };
}

// A user's action (a form submit, a button): busy while it runs, its error kept for display.
export function useAction(action) {
  const [state, setState] = useState({ busy: false, error: null });
  const run = useCallback(
    async (...args) => {
      setState({ busy: true, error: null });
      try {
        const result = await action(...args);
        setState({ busy: false, error: null });
        return result;
      } catch (error) {
        setState({ busy: false, error });
        return undefined;
      }
    },
    [action],
  );
  return { ...state, run, clear: () => setState({ busy: false, error: null }) };
}

// Cursor paging: "next" follows endCursor; "previous" pops the cursors already visited.
export function useCursor() {
  const [stack, setStack] = useState([null]);
  const after = stack[stack.length - 1];
  return {
    after,
    page: stack.length,
    next: (cursor) => setStack((previous) => [...previous, cursor]),
    previous: () => setStack((previous) => (previous.length > 1 ? previous.slice(0, -1) : previous)),
    reset: () => setStack([null]),
  };
}
