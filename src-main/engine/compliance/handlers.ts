import type { Handlers } from '../dispatch/dispatcher';
import type { ComplianceService } from './service';

type ComplianceOperation =
  | 'compliance.proposeMap'
  | 'compliance.getMap'
  | 'compliance.saveMap'
  | 'compliance.setTwoPersonRule'
  | 'operators.enroll'
  | 'operators.list'
  | 'compliance.createCase'
  | 'compliance.listCases'
  | 'compliance.getCase'
  | 'compliance.search'
  | 'compliance.export'
  | 'compliance.approve'
  | 'compliance.erase'
  | 'compliance.verify'
  | 'compliance.report'
  | 'compliance.changes';

/** The compliance operations: map, operators, cases, search and erasure jobs, approvals, verification, export and report. */
export function complianceHandlers({ compliance }: { compliance: ComplianceService }): Pick<Handlers, ComplianceOperation> {
  return {
    'compliance.proposeMap': (input) => compliance.proposeMap(input.connectionId, input.sampleSize),
    'compliance.getMap': async (input) => ({ map: await compliance.maps.get(input.connectionId) }),
    'compliance.saveMap': (input) => compliance.saveMap({ ...input.map, connectionId: input.connectionId }),
    'compliance.setTwoPersonRule': (input) => compliance.setTwoPersonRule(input.connectionId, input.enabled, input.dryRun === true),
    'operators.enroll': (input) => compliance.operators.enroll(input.name, input.passphrase, input.sponsor),
    'operators.list': async () => ({ operators: await compliance.operators.list() }),
    'compliance.createCase': (input) => compliance.createCase(input),
    'compliance.listCases': async () => ({ cases: await compliance.cases.list() }),
    'compliance.getCase': (input) => compliance.cases.get(input.caseId),
    'compliance.search': async (input) => ({ jobId: await compliance.startSearch(input.caseId, input.connectionId, input.includeMentions, input.kafka) }),
    'compliance.export': (input, context) =>
      compliance.exportCase(input.caseId, input.connectionId, (done, message) => context.progress({ done, message }), context.signal),
    'compliance.approve': (input) => compliance.approve(input.caseId, input.approver),
    'compliance.erase': async (input) =>
      input.dryRun === true
        ? { previews: await compliance.previewErase(input.caseId, input.connectionId, input.actions) }
        : { jobId: await compliance.startErase(input.caseId, input.connectionId, input.actions) },
    'compliance.verify': (input) => compliance.verify(input.caseId, input.connectionId),
    'compliance.report': (input) => compliance.report(input.caseId),
    'compliance.changes': async (input) => {
      const changes = await compliance.cases.changes(input.caseId);
      return { changes: changes.slice(0, input.limit), total: changes.length };
    },
  };
}
