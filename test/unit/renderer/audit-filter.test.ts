import { describe, expect, it } from 'vitest';
import { AUDITED_OPERATIONS, auditFilterFromQuery } from '../../../src-renderer/src/features/audit/audit-filter';

describe('the audit filter lists every operation the log can hold', () => {
  it('offers changes, views that record opened personal data, and the engine’s own records; never plain reads', () => {
    expect(AUDITED_OPERATIONS).toEqual(
      expect.arrayContaining(['settings.update', 'checkpoints.reset', 'streams.read', 'feed.tail', 'personalData.decrypted', 'compliance.reportChained']),
    );
    expect(AUDITED_OPERATIONS).not.toContain('audit.list');
    expect(AUDITED_OPERATIONS).not.toContain('connections.list');
    expect([...AUDITED_OPERATIONS].sort()).toEqual(AUDITED_OPERATIONS);
  });

  it('keeps a filter on an engine record from the address', () => {
    expect(auditFilterFromQuery({ operation: 'personalData.decrypted' }).operation).toBe('personalData.decrypted');
  });
});
