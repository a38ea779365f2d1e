// Parse Mermaid diagrams with the real `mermaid` package from a node_modules folder (a
// checkout after `npm ci`), for cocowiki.mermaid. The protocol is serve_checker.mjs's.
//
// Usage: node check_mermaid.mjs NODE_MODULES_DIR
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { installDom, serve } from "./serve_checker.mjs";

async function loadMermaid(nodeModules) {
  const require = createRequire(join(nodeModules, "cocowiki-resolver.js"));
  installDom(require("jsdom").JSDOM);
  const version = require("mermaid/package.json").version;
  const module = await import(pathToFileURL(require.resolve("mermaid")).href);
  return { mermaid: module.default, version };
}

await serve(() => loadMermaid(process.argv[2] || "node_modules"));
