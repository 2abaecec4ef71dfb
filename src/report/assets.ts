// What the HTML report inlines from files: uPlot's build and stylesheet from node_modules, and the
// report's own stylesheet and chart script from assets/ next to this file. The one module of
// src/report/ besides evidence.ts that reads the disk; html.ts stays text in, text out.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface Library {
  js: string;
  css: string;
  version: string;
}

let library: Library | undefined;

/** uPlot's minified build and stylesheet from node_modules (read once per process). */
export function chartLibrary(): Library {
  if (library) return library;
  const require = createRequire(import.meta.url);
  const read = (p: string) => readFileSync(require.resolve(p), 'utf8');
  const pkg = JSON.parse(read('uplot/package.json')) as { version: string };
  library = {
    // A literal "</script" inside the library would end our element early; it has none, but be sure.
    js: read('uplot/dist/uPlot.iife.min.js').replace(/<\/(script)/gi, '<\\/$1'),
    css: read('uplot/dist/uPlot.min.css').replace(/<\/(style)/gi, '<\\/$1'),
    version: pkg.version,
  };
  return library;
}

interface Assets {
  css: string;
  js: string;
}

let assets: Assets | undefined;

/**
 * The report's own stylesheet and chart script, assets/report.{css,js} next to this file
 * (read once per process, like uPlot). The script is linted as browser code (eslint.config.js).
 */
export function reportAssets(): Assets {
  if (assets) return assets;
  const read = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
  assets = {
    css: read('report.css').replace(/<\/(style)/gi, '<\\/$1'),
    js: read('report.js').replace(/<\/(script)/gi, '<\\/$1'),
  };
  return assets;
}
