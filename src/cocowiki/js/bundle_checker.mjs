// The entry point esbuild bundles, with mermaid and jsdom, into bundle/check_mermaid.mjs
// (see build_bundle.mjs): the checker of an installed cocowiki, which needs node and no
// node_modules. The protocol is serve_checker.mjs's.
//
// Usage: node bundle/check_mermaid.mjs
import { installDom, serve } from "./serve_checker.mjs";

async function loadMermaid() {
  installDom((await import("jsdom")).JSDOM);
  const module = await import("mermaid"); // evaluated here, after the DOM is in place
  const manifest = await import("mermaid/package.json", { with: { type: "json" } });
  return { mermaid: module.default, version: manifest.default.version };
}

await serve(loadMermaid);
