// The checker's protocol, shared by check_mermaid.mjs (mermaid from a node_modules folder)
// and bundle_checker.mjs (mermaid and jsdom bundled into one file shipped in the wheel).
//
// Reads one JSON object per line on stdin, {"text": "<diagram source>"}, and answers each
// with one JSON line on stdout, {"error": null} when the diagram parses or
// {"error": "<parser message>"} when it does not. A batch, {"texts": [...]}, is answered
// with one line, {"errors": [null | "<parser message>", ...]}, in the same order. The first
// line written is {"ready": true, "version": "..."} once mermaid has loaded, or
// {"fatal": "..."} when it cannot load.
import { createInterface } from "node:readline";

const write = (value) => process.stdout.write(JSON.stringify(value) + "\n");

// Mermaid logs through console; stdout carries the protocol, so send all logs to stderr.
for (const name of ["log", "info", "warn", "debug", "trace"]) {
  console[name] = (...args) => console.error(...args);
}

// Mermaid needs a DOM even to parse (DOMPurify hooks), so jsdom provides one; it must be
// in place before mermaid's module is evaluated.
export function installDom(JSDOM) {
  const dom = new JSDOM("<!DOCTYPE html><html><body></body></html>", {
    pretendToBeVisual: true,
  });
  globalThis.window = dom.window;
  globalThis.document = dom.window.document;
}

function messageOf(error) {
  const text = error && error.message ? error.message : String(error);
  return text.trim() || "the diagram does not parse";
}

async function parseError(mermaid, text) {
  try {
    await mermaid.parse(text);
    return null;
  } catch (error) {
    return messageOf(error);
  }
}

// Answer requests until stdin closes; `load` resolves to {mermaid, version}.
export async function serve(load) {
  let loaded;
  try {
    loaded = await load();
    loaded.mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
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
