/**
 * The page's static files, `static/status.js` and `static/status.css` beside this file: plain
 * files, no bundler, nothing from the internet. `tsc` does not copy them; `npm run build` copies
 * `src/sinks/status/static/` to `dist/sinks/status/static/`, so the same relative URL finds them
 * from `src/` (tests) and from `dist/` (the package).
 */
import { readFileSync } from 'node:fs';

/** One served file. */
export interface Asset {
  type: string;
  body: Buffer;
}

/** URL path → file name and content type. */
export const ASSET_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/status.js': { file: 'status.js', type: 'text/javascript; charset=utf-8' },
  '/status.css': { file: 'status.css', type: 'text/css; charset=utf-8' },
};

/** Where the files are: `static/` beside this module. */
export const ASSET_DIR = new URL('./static/', import.meta.url);

/**
 * Reads every asset once.
 * @param dir the folder (default {@link ASSET_DIR})
 * @returns the assets by URL path, and the files that could not be read (the page then works
 *   without them: numbers rendered on the server, no live updates)
 */
export function loadAssets(dir: URL = ASSET_DIR): {
  assets: Map<string, Asset>;
  missing: string[];
} {
  const assets = new Map<string, Asset>();
  const missing: string[] = [];
  for (const [path, { file, type }] of Object.entries(ASSET_FILES)) {
    try {
      assets.set(path, { type, body: readFileSync(new URL(file, dir)) });
    } catch {
      missing.push(new URL(file, dir).pathname);
    }
  }
  return { assets, missing };
}
