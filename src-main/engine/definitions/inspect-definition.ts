/**
 * Loads a definition in the sandbox only to learn what it declares (name,
 * appliesTo, handler types), then closes it: user code is never evaluated in
 * the main process.
 */
import type { DefinitionSource } from './definitions';
import { Sandbox, SandboxError, type DefinitionInfo, type SandboxOptions } from './sandbox';

export interface DefinitionLoadError {
  message: string;
  /** Line in the definition's file, when the error points into it. */
  line?: number;
}

export type Inspection = { ok: true; info: DefinitionInfo } | { ok: false; error: DefinitionLoadError };

export async function inspectDefinition(definition: DefinitionSource, options: SandboxOptions = {}): Promise<Inspection> {
  try {
    const sandbox = await Sandbox.start(definition.source, definition.name, options);
    const info = sandbox.info;
    await sandbox.close();
    return { ok: true, info };
  } catch (err) {
    if (err instanceof SandboxError) return { ok: false, error: { message: err.message, ...(err.line !== undefined ? { line: err.line } : {}) } };
    return { ok: false, error: { message: (err as Error).message ?? String(err) } };
  }
}

/** One line for a list: `categories Account · prefix acc- · types A, B`, or `any stream`. */
export function summarizeAppliesTo(appliesTo: DefinitionInfo['appliesTo']): string {
  const parts: string[] = [];
  if (appliesTo.categories?.length) parts.push(`categories ${appliesTo.categories.join(', ')}`);
  if (appliesTo.streamPrefix !== undefined) parts.push(`prefix ${appliesTo.streamPrefix}`);
  if (appliesTo.types?.length) parts.push(`types ${appliesTo.types.join(', ')}`);
  return parts.length > 0 ? parts.join(' · ') : 'any stream';
}
