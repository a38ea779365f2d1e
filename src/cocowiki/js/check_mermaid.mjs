// Parse Mermaid diagrams with the real `mermaid` package, for cocowiki.mermaid.
//
// Usage: node check_mermaid.mjs NODE_MODULES_DIR
// Reads one JSON object per line on stdin, {"text": "<diagram source>"}, and answers each
// with one JSON line on stdout, {"error": null} when the diagram parses or
// {"error": "<parser message>"} when it does not. A batch, {"texts": [...]}, is answered
// with one line, {"errors": [null | "<parser message>", ...]}, in the same order. The first line written is
// {"ready": true, "version": "..."} once mermaid has loaded, or {"fatal": "..."} when it
// cannot load. Mermaid needs a DOM even to parse (DOMPurify hooks), so jsdom provides one.
import { createRequire } from "node:module";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

const write = (value) => process.stdout.write(JSON.stringify(value) + "\n");

// Mermaid logs through console; stdout carries the protocol, so send all logs to stderr.
for (const name of ["log", "info", "warn", "debug", "trace"]) {
  console[name] = (...args) => console.error(...args);
}

async function loadMermaid(nodeModules) {
  const require = createRequire(join(nodeModules, "cocowiki-resolver.js"));
  const { JSDOM } = require("jsdom");
  const dom = new JSDOM("<!DOCTYPE html><html><body></body></html>", {
    pretendToBeVisual: true,
  });
  globalThis.window = dom.window;
  globalThis.document = dom.window.document;
  const version = require("mermaid/package.json").version;
  const module = await import(pathToFileURL(require.resolve("mermaid")).href);
  const mermaid = module.default;
  mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
  return { mermaid, version };
}

function messageOf(error) {
  const text = error && error.message ? error.message : String(error);
  return text.trim() || "the diagram does not parse";
}

async function main() {
  let loaded;
  try {
    loaded = await loadMermaid(process.argv[2] || "node_modules");
  } catch (error) {
    write({ fatal: messageOf(error) });
    process.exitCode = 3;
    return;
  }
  write({ ready: true, version: loaded.version });
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let request;
    try {
      request = JSON.parse(line);
    } catch (error) {
      write({ error: `cocowiki: malformed request line: ${messageOf(error)}` });
      continue;
    }
    if (Array.isArray(request.texts)) {
      const errors = [];
      for (const text of request.texts) errors.push(await parseError(loaded.mermaid, text));
      write({ errors });
    } else {
      write({ error: await parseError(loaded.mermaid, request.text) });
    }
  }
}

async function parseError(mermaid, text) {
  try {
    await mermaid.parse(text);
    return null;
  } catch (error) {
    return messageOf(error);
  }
}

await main();
