// Bundles the extension, the CLI, the MCP server (dist/mcp.js, loaded by the CLI only for its
// `mcp` command, so neither extension.js nor the other commands carry the MCP SDK), the Redis
// client (dist/redis-client.js, loaded only for a registry on Redis) and the
// library (dist/lib/index.js + an ESM wrapper). `--production` minifies and drops source maps;
// `--watch` rebuilds on change. The library's .d.ts files come from `tsc -p tsconfig.lib.json`.
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Reports build results the way VS Code's esbuild problem matcher expects. */
const problemMatcherPlugin = {
  name: 'problem-matcher',
  setup(build) {
    build.onStart(() => console.log('[watch] build started'));
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      console.log('[watch] build finished');
    });
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
  plugins: watch ? [problemMatcherPlugin] : [],
  // proper-lockfile only needs graceful-fs to retry EMFILE; our lock loop already retries with
  // backoff, and plain fs saves ~11 KB of bundle.
  alias: { 'graceful-fs': 'node:fs' },
};

/** The CLI loads the MCP server from the separate bundle next to it (dist/mcp.js). */
const mcpExternalPlugin = {
  name: 'mcp-external',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/mcp\/command$/ }, () => ({ path: './mcp.js', external: true }));
  },
};

/**
 * The Redis client is its own bundle (dist/redis-client.js), loaded by RedisConnection on first
 * use: the extension, the CLI and the library carry it only as a file next to them, and nothing
 * loads it unless a registry is on Redis. `from` is the output file's folder relative to dist/.
 */
const redisExternalPlugin = (from) => ({
  name: 'redis-external',
  setup(build) {
    build.onResolve({ filter: /^@redis\/client$/ }, () => ({ path: `${from}redis-client.js`, external: true }));
  },
});

/**
 * The ESM entry re-exports the CommonJS build instead of being a second bundle: a process that
 * imports and requires the library then still has one in-process lock queue.
 */
const esmWrapperPlugin = {
  name: 'esm-wrapper',
  setup(build) {
    build.onEnd((result) => {
      if (result.errors.length > 0) return;
      const cjs = path.resolve('dist/lib/index.js');
      delete require.cache[cjs];
      const names = Object.keys(require(cjs)).filter((n) => n !== 'default' && n !== '__esModule').sort();
      const text =
        '// ESM entry of session-keeper: the CommonJS build, re-exported (one copy per process).\n' +
        "import lib from './index.js';\n\n" +
        `export const { ${names.join(', ')} } = lib;\n` +
        'export default lib;\n';
      fs.writeFileSync('dist/lib/index.mjs', text);
    });
  },
};

const builds = [
  {
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode'],
    plugins: [...common.plugins, redisExternalPlugin('./')],
  },
  {
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
    plugins: [...common.plugins, mcpExternalPlugin, redisExternalPlugin('./')],
  },
  { ...common, entryPoints: ['src/mcp/command.ts'], outfile: 'dist/mcp.js', plugins: [...common.plugins, redisExternalPlugin('./')] },
  {
    ...common,
    entryPoints: ['src/lib/index.ts'],
    outfile: 'dist/lib/index.js',
    plugins: [...common.plugins, esmWrapperPlugin, redisExternalPlugin('../')],
  },
  // The Redis client itself; its optional peers (tracing, a faster hash) are left out.
  {
    ...common,
    entryPoints: ['node_modules/@redis/client/dist/index.js'],
    outfile: 'dist/redis-client.js',
    external: ['@opentelemetry/api', '@node-rs/xxhash'],
  },
  // The parallel scan's worker thread (src/core/jsonl-parallel.ts finds it next to the CLI).
  { ...common, entryPoints: ['src/core/jsonl-range-worker.ts'], outfile: 'dist/jsonl-range-worker.js' },
];

async function main() {
  const contexts = await Promise.all(builds.map((options) => esbuild.context(options)));
  if (watch) {
    await Promise.all(contexts.map((ctx) => ctx.watch()));
    return;
  }
  await Promise.all(contexts.map((ctx) => ctx.rebuild()));
  await Promise.all(contexts.map((ctx) => ctx.dispose()));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
