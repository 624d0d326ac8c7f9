/**
 * `nx run ROOT:owners-check`: `kiln owners lint` and `kiln owners check` in-process. It fails on a
 * lint finding or a missing required approval, and passes otherwise. It lives on the root project
 * because CODEOWNERS is one file for the workspace and approvals belong to the change, not to a
 * project: per project it would repeat one answer N times.
 */
import type { ExecutorContext } from '@nx/devkit';
import { asExecutor, ownersApi } from '../kiln';

export interface OwnersCheckExecutorOptions {
  readonly base?: string;
  readonly head?: string;
  readonly approvedBy?: readonly string[];
  readonly author?: string;
  readonly codeowners?: string;
  /** Default true: fail on CODEOWNERS lint findings. */
  readonly lint?: boolean;
  /** Default true: fail when a required approval is missing. */
  readonly approvals?: boolean;
}

export default async function ownersCheckExecutor(options: OwnersCheckExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  return asExecutor(async () => {
    const { ownersLint, ownersCheck } = await ownersApi();
    const files = options.codeowners !== undefined ? { codeowners: options.codeowners } : {};
    let ok = true;
    if (options.lint !== false) {
      const lint = await ownersLint(context.root, files);
      for (const f of lint.findings) console.error(`${f.file}:${f.line}:${f.column}: ${f.message} (${f.rule})`);
      console.log(lint.findings.length === 0 ? `${lint.file}: no lint findings.` : `${lint.file}: ${lint.findings.length} lint finding${lint.findings.length === 1 ? '' : 's'}.`);
      ok &&= lint.findings.length === 0;
    }
    if (options.approvals !== false) {
      const check = await ownersCheck(context.root, {
        ...files,
        ...(options.base !== undefined && { base: options.base }),
        ...(options.head !== undefined && { head: options.head }),
        ...(options.approvedBy && { approvedBy: options.approvedBy }),
        ...(options.author !== undefined && { author: options.author }),
        env: process.env,
      });
      for (const w of check.warnings) console.warn(w);
      for (const g of check.groups) if (!g.optional && !g.satisfied) console.error(`missing approval: one of ${g.owners.join(' ')} for ${g.files.join(', ')}`);
      console.log(
        check.satisfied ? 'All required code owner approvals are in.' : `${check.missing.length} required approval${check.missing.length === 1 ? ' is' : 's are'} missing.`,
      );
      ok &&= check.satisfied;
    }
    return ok;
  });
}
