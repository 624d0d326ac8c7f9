#!/usr/bin/env node
/**
 * The kiln composite action's entry (action.yml passes its inputs as INPUT_* variables): on a pull
 * request, lints CODEOWNERS and says who must approve (kiln prints those annotations itself under
 * GITHUB_ACTIONS=true); then runs the target for the affected projects (or one shard of a plan)
 * and turns what failed into annotations: a configuration error at its file, line and column, a
 * failed task with its exit code and the last lines of its output. Everything goes into the job
 * summary ($GITHUB_STEP_SUMMARY). Exits 1 when a task failed (or, if asked, an approval is
 * missing), 2 on a configuration error. Node only, no dependencies.
 */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';

const env = process.env;
const input = (name, fallback = '') => (env[`INPUT_${name.toUpperCase().replace(/-/g, '_')}`] ?? '').trim() || fallback;
const truthy = (v) => /^(1|true|yes|on)$/i.test(v);

/** `%`, CR, LF (and in properties `:` and `,`) escaped as the workflow command format wants. */
const escapeData = (s) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProp = (s) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

function annotation(level, message, props = {}) {
  const parts = Object.entries(props)
    .filter(([, v]) => v !== undefined && v !== '' && v !== 0)
    .map(([k, v]) => `${k}=${escapeProp(String(v))}`);
  return `::${level}${parts.length ? ` ${parts.join(',')}` : ''}::${escapeData(message)}`;
}

/** Runs kiln with `args`; stderr is passed through (and kept), stdout is kept. */
function kiln(args) {
  const [command, ...pre] = input('kiln-command', 'npx --no-install kiln').split(/\s+/);
  return new Promise((resolve) => {
    const child = spawn(command, [...pre, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s) => {
      stderr += s;
      process.stderr.write(s);
    });
    child.on('error', (e) => resolve({ code: 127, stdout, stderr: `${stderr}${e.message}\n` }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Annotation lines kiln printed itself (owners), passed on to the runner's log on stdout. */
function passAnnotations(text) {
  for (const line of text.split('\n')) if (/^::(error|warning|notice)( |::)/.test(line)) console.log(line);
}

/** The last `n` lines each task printed (kiln prefixes them with the task's id). */
function lastLines(stderr, id, n = 15) {
  const prefix = `${id} `;
  return stderr
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.slice(prefix.length))
    .slice(-n);
}

/** A `{"error":…}` document on stdout, as kiln prints with --json, turned into an annotation. */
function errorDocument(stdout) {
  try {
    const doc = JSON.parse(stdout);
    return doc && typeof doc.error === 'object' ? doc.error : undefined;
  } catch {
    return undefined;
  }
}

const summary = [];
const flush = () => {
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, `${summary.join('\n')}\n`);
  else console.log(summary.join('\n'));
};
const seconds = (ms) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

async function main() {
  const target = input('target', 'build');
  const pullRequest = Boolean(env.GITHUB_BASE_REF);
  const base = input('base', env.KILN_BASE || (pullRequest ? `origin/${env.GITHUB_BASE_REF}` : 'HEAD~1'));
  let exit = 0;
  summary.push(`## kiln: ${target}${input('shard') ? ` (shard ${input('shard')})` : ''}`, '');

  if (truthy(input('owners', 'true'))) {
    const lint = await kiln(['owners', 'lint', '--format', 'markdown']);
    passAnnotations(lint.stdout);
    // Exit 2: no CODEOWNERS (or one kiln cannot read): said once, and no approvals to check.
    if (lint.code === 2) summary.push(`Owners: not checked (${lint.stderr.trim().split('\n')[0] || 'kiln owners lint exited with 2'}).`, '');
    else
      summary.push(
        lint.stdout
          .split('\n')
          .filter((l) => !l.startsWith('::'))
          .join('\n'),
        '',
      );
    if (pullRequest && lint.code !== 2) {
      const approvedBy = input('approved-by');
      const check = await kiln(['owners', 'check', '--base', base, '--head', 'HEAD', '--format', 'markdown', ...(approvedBy ? ['--approved-by', approvedBy] : [])]);
      passAnnotations(check.stdout);
      summary.push(
        check.stdout
          .split('\n')
          .filter((l) => !l.startsWith('::'))
          .join('\n'),
        '',
      );
      if (check.code === 1 && truthy(input('require-approvals', 'false'))) exit = 1;
      if (check.code === 2) exit = 2;
    }
  }

  const shard = input('shard');
  const plan = input('plan');
  const parallel = input('parallel');
  const args = ['run', '-t', target, '--json', ...(truthy(input('affected', 'true')) ? ['--affected', '--base', base, '--head', 'HEAD'] : [])];
  if (shard) args.push('--shard', shard, ...(plan ? ['--plan', plan] : []));
  if (parallel) args.push('--parallel', parallel);
  const run = await kiln(args);
  const error = errorDocument(run.stdout);
  if (error) {
    console.log(
      annotation('error', `${error.message}${error.hint ? `\n${error.hint}` : ''}`, { file: error.file, line: error.line, col: error.column, title: `kiln: ${error.code}` }),
    );
    summary.push(`❌ kiln could not run ${target}: \`${error.code}\` ${error.message}${error.file ? ` (${error.file}${error.line ? `:${error.line}` : ''})` : ''}`);
    flush();
    return Math.max(exit, run.code || 2);
  }
  let tasks = [];
  try {
    tasks = JSON.parse(run.stdout).tasks ?? [];
  } catch {
    console.log(annotation('error', `kiln run exited with ${run.code} without its JSON report`, { title: 'kiln' }));
    flush();
    return Math.max(exit, run.code || 1);
  }
  const failed = tasks.filter((t) => t.status === 'failure');
  for (const t of failed) {
    const how = t.signal ? `killed by ${t.signal}` : `exit code ${t.exitCode ?? '?'}`;
    const tail = lastLines(run.stderr, t.id);
    console.log(annotation('error', `${t.id} failed (${how})${tail.length ? `\n${tail.join('\n')}` : ''}`, { title: `kiln: ${t.id} failed` }));
  }
  const count = (f) => tasks.filter(f).length;
  summary.push(
    `${tasks.length} task${tasks.length === 1 ? '' : 's'}: ${count((t) => t.cache === 'miss' && t.status !== 'skipped')} run, ${count((t) => t.cache === 'local')} from the local cache, ${count((t) => t.cache === 'remote')} from the remote cache, ${failed.length} failed, ${count((t) => t.status === 'skipped')} skipped.`,
    '',
  );
  if (tasks.length > 0) {
    summary.push('| task | status | cache | time |', '|---|---|---|---:|');
    const order = { failure: 0, skipped: 1, success: 2 };
    for (const t of [...tasks].sort((a, b) => order[a.status] - order[b.status] || (a.id < b.id ? -1 : 1)))
      summary.push(
        `| \`${t.id}\` | ${t.status === 'failure' ? '❌ failed' : t.status === 'skipped' ? '➖ skipped' : '✅'} | ${t.cache} | ${t.cache === 'miss' ? seconds(t.durationMs) : ''} |`,
      );
  }
  flush();
  return Math.max(exit, run.code);
}

process.exitCode = await main();
