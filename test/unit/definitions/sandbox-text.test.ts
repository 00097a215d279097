import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED, sandboxTextModule } from '../../../scripts/sandbox-text.mjs';

describe('the sandbox worker and prelude shipped as text', () => {
  it('sandbox-text.generated.ts matches sandbox-worker.cjs and sandbox-prelude.js (run `node scripts/sandbox-text.mjs` after editing them)', () => {
    expect(readFileSync(join(process.cwd(), GENERATED), 'utf8')).toBe(sandboxTextModule(process.cwd()));
  });
});
