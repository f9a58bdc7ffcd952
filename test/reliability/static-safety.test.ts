// Static checks that the extension cannot be made to run commands taken from session files,
// and that a workspace cannot redirect where sessions are kept.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, existsSync, realpathSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import * as esbuild from 'esbuild';
import { recordFigures } from './lib/figures';

/** The repository: the nearest folder above the compiled test that has our package.json. */
function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'session-keeper') return dir;
    if (dirname(dir) === dir) throw new Error(`no session-keeper package.json above ${from}`);
  }
}
const root = findRoot(__dirname);

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Source text without comments, so a comment explaining why we never spawn is not a hit. */
function code(file: string): string {
  return readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/**
 * Ways a file reaches a shell through child_process: importing exec/execSync, calling them on a
 * namespace import, require()-ing the module (untraceable), or passing `shell: true`.
 */
function shellUses(text: string): string[] {
  const hits: string[] = [];
  const from = `['"](?:node:)?child_process['"]`;
  for (const m of text.matchAll(new RegExp(`import\\s*\\{([^}]*)\\}\\s*from\\s*${from}`, 'g'))) {
    for (const name of (m[1] ?? '').split(',').map((x) => x.trim().split(/\s+as\s+/)[0])) {
      if (name === 'exec' || name === 'execSync') hits.push(`imports ${name}`);
    }
  }
  for (const m of text.matchAll(new RegExp(`import\\s*(?:\\*\\s*as\\s+)?(\\w+)\\s*from\\s*${from}`, 'g'))) {
    if (new RegExp(`\\b${m[1]}\\s*\\.\\s*exec(Sync)?\\s*\\(`).test(text)) hits.push(`${m[1]}.exec()`);
  }
  if (new RegExp(`require\\s*\\(\\s*${from}`).test(text)) hits.push('require(child_process)');
  if (/shell\s*:\s*(true|['"`])/.test(text)) hits.push('shell option');
  return hits;
}

// Anything that starts a process or feeds a shell. The extension has no reason to do either.
const forbiddenInExtension: Array<[string, RegExp]> = [
  ['child_process', /child_process/],
  // A bare exec() (RegExp#exec is a method call and fine; cp.exec() needs child_process, flagged above).
  ['exec()', /(?<![.\w])exec(Sync|File|FileSync)?\s*\(/],
  ['spawn()', /\bspawn(Sync)?\s*\(/],
  ['fork()', /\bfork\s*\(/],
  ['terminal.sendText', /\bsendText\s*\(/],
  ['ShellExecution', /\bShellExecution\b/],
  ['ProcessExecution', /\bProcessExecution\b/],
  ['createTerminal', /\bcreateTerminal\s*\(/],
  ['eval', /\beval\s*\(/],
  ['new Function', /\bnew\s+Function\s*\(/],
  ['vm module', /['"](node:)?vm['"]/],
];

describe('static safety', () => {
  test('the checker itself flags what it must (so the checks below can fail)', () => {
    assert.ok(shellUses(`import { exec } from 'node:child_process'; exec('ls')`).length > 0);
    assert.ok(shellUses(`import * as cp from 'child_process'; cp.execSync(x)`).length > 0);
    assert.ok(shellUses(`spawn(cmd, args, { shell: true })`).length > 0);
    assert.ok(shellUses(`const cp = require('child_process')`).length > 0);
    assert.deepEqual(shellUses(`import { execFile } from 'node:child_process'; /re/.exec(s); execFile('ps', ['-A'])`), []);
    const flagged = (t: string): boolean => forbiddenInExtension.some(([, re]) => re.test(t));
    for (const bad of ['terminal.sendText(cmd)', 'new vscode.ShellExecution(x)', 'cp.spawn(a)', 'window.createTerminal()', 'eval(s)']) {
      assert.ok(flagged(bad), bad);
    }
    assert.equal(flagged('const m = re.exec(line)'), false);
  });

  const extensionFiles = [...tsFiles(join(root, 'src', 'ui')), join(root, 'src', 'extension.ts')].filter(existsSync);

  test('src/ui and src/extension.ts start no processes and feed no shell', () => {
    assert.ok(extensionFiles.length > 0, 'expected extension sources');
    const hits: string[] = [];
    for (const file of extensionFiles) {
      const text = code(file);
      for (const [name, re] of forbiddenInExtension) {
        if (re.test(text)) hits.push(`${relative(root, file)}: ${name}`);
      }
    }
    assert.deepEqual(hits, [], `the extension must not run commands:\n${hits.join('\n')}`);
    recordFigures({
      test: 'static-no-exec',
      injects: 'grep of src/ui, src/extension.ts and the bundled extension for process/shell APIs',
      figures: { filesScanned: extensionFiles.length, hits: hits.length },
    });
  });

  test('the bundled extension pulls in child_process only from allowlisted core modules that pass fixed argv', async () => {
    const result = await esbuild.build({
      entryPoints: [join(root, 'src', 'extension.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['vscode'],
      write: false,
      metafile: true,
      logLevel: 'silent',
      absWorkingDir: root,
    });
    // Inputs are relative to the working directory, whose entries may be symlinks (the runner's mirror).
    const realRoot = dirname(realpathSync(join(root, 'package.json')));
    const importers: string[] = [];
    for (const [input, info] of Object.entries(result.metafile.inputs)) {
      if (info.imports.some((i) => /^(node:)?child_process$/.test(i.path))) importers.push(relative(realRoot, realpathSync(join(root, input))));
    }
    // Reading another process's start time may need `ps` on macOS; that is the one place a
    // process may be started, with a literal program name and no shell.
    const allowed = new Set(['src/core/process-info.ts']);
    const unexpected = importers.filter((i) => !allowed.has(i));
    assert.deepEqual(unexpected, [], `child_process reached the extension bundle via: ${unexpected.join(', ')}`);
    for (const file of importers) {
      assert.deepEqual(shellUses(code(join(root, file))), [], `${file} must use execFile/spawn with an argv array, never a shell`);
    }
  });

  test('the CLI starts processes only with an argv array and never through a shell', () => {
    const files = tsFiles(join(root, 'src', 'cli'));
    assert.ok(files.length > 0, 'expected CLI sources');
    const hits: string[] = [];
    for (const file of files) {
      const text = code(file);
      for (const h of shellUses(text)) hits.push(`${relative(root, file)}: ${h}`);
      if (/\bsendText\s*\(/.test(text)) hits.push(`${relative(root, file)}: sendText`);
    }
    assert.deepEqual(hits, []);
  });

  test('settings that choose paths are machine-scoped, so a workspace cannot redirect them', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      contributes?: { configuration?: unknown };
    };
    const conf = pkg.contributes?.configuration;
    const sections = Array.isArray(conf) ? conf : conf ? [conf] : [];
    const props: Record<string, { scope?: string }> = {};
    for (const s of sections as Array<{ properties?: Record<string, { scope?: string }> }>) {
      Object.assign(props, s.properties ?? {});
    }
    const dirSetting = props['sessionKeeper.sessionsDirectory'];
    assert.ok(dirSetting, 'package.json must contribute sessionKeeper.sessionsDirectory');
    assert.equal(dirSetting.scope, 'machine', 'sessionsDirectory must have scope "machine"');
    // Any other setting naming a path, directory or command gets the same treatment.
    for (const [key, value] of Object.entries(props)) {
      if (/(directory|dir|path|command|executable|program)$/i.test(key)) {
        assert.ok(value.scope === 'machine' || value.scope === 'application', `${key} must be machine- or application-scoped`);
      }
    }
  });
});
