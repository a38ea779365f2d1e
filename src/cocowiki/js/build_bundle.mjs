// Make bundle/: what an installed cocowiki needs from npm, so that it needs node alone.
//
//   bundle/check_mermaid.mjs  the diagram checker with mermaid and jsdom in it (esbuild)
//   bundle/mermaid.min.js     mermaid's browser build, which the viewer inlines
//   bundle/versions.json      the versions of mermaid, jsdom and esbuild bundled
//
// Run by setup.py when a wheel is built (after `npm ci` at the project root), or by hand
// with `npm run bundle`. Usage: node build_bundle.mjs [NODE_MODULES_DIR]
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const nodeModules = resolve(process.argv[2] || join(here, "..", "..", "..", "node_modules"));
const require = createRequire(join(nodeModules, "cocowiki-resolver.js"));
const esbuild = require("esbuild");
const out = join(here, "bundle");
const versionOf = (name) => JSON.parse(readFileSync(require.resolve(`${name}/package.json`))).version;

// Some packages read files at run time through their own folder, which the bundle does
// not ship. ES modules that `require` JSON through `createRequire(import.meta.url)` get
// esbuild's own `require` instead, which bundles the JSON. jsdom reads its default
// stylesheet (inlined here as a string) and names the worker of synchronous XMLHttpRequest
// (which mermaid never makes: left out); anything else of the kind in jsdom fails the
// build, so an upgrade that adds one is noticed here rather than in a user's build.
const LOCAL_REQUIRE = /^const require = createRequire\(import\.meta\.url\);$/m;
const JSDOM_FILE = /[\\/]jsdom[\\/]lib[\\/]/;
const JSDOM_READ =
  /fs\.readFileSync\(\s*path\.resolve\(__dirname, "([^"]+)"\),\s*\{ encoding: "utf-8" \}\s*\)/g;

function bundledFiles(path, source) {
  if (JSDOM_FILE.test(path)) {
    source = source
      .replace(JSDOM_READ, (_, file) =>
        JSON.stringify(readFileSync(resolve(dirname(path), file), "utf8")),
      )
      .replace('require.resolve("./xhr-sync-worker.js")', "null");
    if (/__dirname|__filename|require\.resolve/.test(source)) {
      throw new Error(`${path} reads files through its own folder: bundle them too`);
    }
  }
  return source.replace(LOCAL_REQUIRE, "");
}

const ownFiles = {
  name: "cocowiki-own-files",
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/].*\.(c|m)?js$/ }, (args) => ({
      contents: bundledFiles(args.path, readFileSync(args.path, "utf8")),
      loader: "js",
    }));
  },
};

mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: [join(here, "bundle_checker.mjs")],
  outfile: join(out, "check_mermaid.mjs"),
  nodePaths: [nodeModules],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  minify: true,
  legalComments: "eof",
  logLevel: "error",
  plugins: [ownFiles],
  // jsdom is CommonJS and requires node's own modules: give the ESM bundle a `require`.
  banner: {
    js: 'import { createRequire as cocowikiRequire } from "node:module"; const require = cocowikiRequire(import.meta.url);',
  },
});
copyFileSync(require.resolve("mermaid/dist/mermaid.min.js"), join(out, "mermaid.min.js"));
const versions = Object.fromEntries(["mermaid", "jsdom", "esbuild"].map((n) => [n, versionOf(n)]));
writeFileSync(join(out, "versions.json"), JSON.stringify(versions, null, 1) + "\n");
