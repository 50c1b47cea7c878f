// preact + hooks + htm in one vendored module (no build step): html`<div>${x}</div>`.
export {
  html, render, Component, useState, useEffect, useRef, useMemo, useCallback, useContext, createContext,
} from "../../vendor/htm/standalone.module.js";
