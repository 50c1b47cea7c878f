"""The browser's side: CORS and WebSocket origins (one policy), the web console at `/`, and
GraphiQL, every asset served from this package (static/vendor/ is vendored from npm by
scripts/vendor_web.sh), so both work with no internet."""
