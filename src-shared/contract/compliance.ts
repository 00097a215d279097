import { z } from 'zod';
import { empty } from '../schemas/common';
import {
  complianceApproveInput,
  complianceCaseInput,
  complianceChangesInput,
  complianceChangesResult,
  complianceCreateCaseInput,
  complianceEraseInput,
  complianceEraseResult,
  complianceExportInput,
  complianceExportResult,
  complianceGetMapInput,
  complianceGetMapResult,
  complianceListCasesResult,
  complianceProposeMapInput,
  complianceReportInput,
  complianceReportResult,
  complianceSaveMapInput,
  complianceSearchInput,
  complianceSetTwoPersonRuleInput,
  complianceSetTwoPersonRuleResult,
  complianceVerifyInput,
  erasureCase,
  personalDataMap,
  verification,
} from '../schemas/compliance';
import { operatorView, operatorsEnrollInput, operatorsListResult } from '../schemas/operators';
import { op } from './op';

/** The operations of personal data: maps, operators, access and erasure cases. */
export const complianceOperations = {
  'compliance.proposeMap': op({
    summary: 'Propose where a connection keeps personal data (event paths, read-model columns, snapshots, key store) from a sample of events',
    input: complianceProposeMapInput,
    result: personalDataMap,
    effect: 'none',
  }),
  'compliance.getMap': op({
    summary: "The connection's confirmed personal-data map, if any",
    input: complianceGetMapInput,
    result: complianceGetMapResult,
    effect: 'none',
  }),
  'compliance.saveMap': op({
    summary: 'Confirm a personal-data map (and the two-person rule) for a connection',
    input: complianceSaveMapInput,
    result: personalDataMap,
    effect: 'local',
    target: (input) => `connection:${input.connectionId}`,
    invalidates: ['compliance.getMap'],
  }),
  'compliance.setTwoPersonRule': op({
    summary: 'Turn the two-person rule of a connection on or off (a dry run, a confirmation and a reason); cases opened under the rule keep it',
    input: complianceSetTwoPersonRuleInput,
    result: complianceSetTwoPersonRuleResult,
    effect: 'local',
    destructive: true,
    target: (input) => `connection:${input.connectionId}`,
    invalidates: ['compliance.getMap'],
  }),
  'operators.list': op({
    summary: 'The registered operators: name, id, key fingerprint, sponsor (never a key)',
    input: empty,
    result: operatorsListResult,
    effect: 'none',
  }),
  'operators.enroll': op({
    summary:
      'Register an operator with their own passphrase-protected signing key; once one exists, an existing operator sponsors each new one with their passphrase',
    input: operatorsEnrollInput,
    result: operatorView,
    effect: 'local',
    target: (input, result) => `operator:${result?.id ?? input.name}`,
    invalidates: ['operators.list'],
  }),
  'compliance.createCase': op({
    summary: 'Open an access or erasure case: subject, ticket, reason, requester',
    input: complianceCreateCaseInput,
    result: erasureCase,
    effect: 'local',
    target: (input, result) => `case:${result?.id ?? input.ticket}`,
    // The audit log outlives an erasure: it names the case, never the subject.
    auditInput: (input) => ({ ...input, subject: { by: input.subject.by, value: '[subject]' } }),
    invalidates: ['compliance.listCases'],
  }),
  'compliance.listCases': op({ summary: 'Erasure cases, newest first', input: empty, result: complianceListCasesResult, effect: 'none' }),
  'compliance.getCase': op({
    summary: 'One erasure case with its inventory, dry runs, outcomes and verification',
    input: complianceCaseInput,
    result: erasureCase,
    effect: 'none',
  }),
  'compliance.search': op({
    summary: "Start a job that finds the case's subject in events (data and metadata), snapshots, read models and the key store",
    input: complianceSearchInput,
    result: z.object({ jobId: z.string() }),
    // Looking for a person's data is itself recorded.
    effect: 'local',
    // An e-mail is matched against decrypted values (which tells whether that person is in the store).
    personalData: true,
    target: (input) => `case:${input.caseId}`,
    invalidates: ['compliance.getCase', 'compliance.listCases', 'jobs.list'],
  }),
  'compliance.export': op({
    summary: "Write everything found about the case's subject, decrypted where the key exists, as a bundle (JSON per location and a summary)",
    input: complianceExportInput,
    result: complianceExportResult,
    effect: 'local',
    personalData: true,
    target: (input) => `case:${input.caseId}`,
    invalidates: ['compliance.getCase', 'compliance.listCases', 'jobs.list'],
  }),
  'compliance.approve': op({
    summary:
      "A second registered operator approves the case's previewed actions: their passphrase opens their key, which signs the digest of exactly those actions",
    input: complianceApproveInput,
    result: erasureCase,
    effect: 'local',
    target: (input) => `case:${input.caseId}`,
    invalidates: ['compliance.getCase', 'compliance.listCases', 'jobs.list'],
  }),
  'compliance.erase': op({
    summary:
      'Erase the case subject: crypto-shred, redact events, purge read models, delete or regenerate snapshots, tombstone compacted topics; the dry run previews each, the real run is a job',
    input: complianceEraseInput,
    result: complianceEraseResult,
    effect: 'target',
    destructive: true,
    target: (input) => `case:${input.caseId}`,
    plan: (result) => (result.previews ?? []).map((p) => ({ action: p.action, affected: p.affected, refused: p.refused ?? null })),
    invalidates: ['compliance.getCase', 'compliance.listCases', 'jobs.list'],
  }),
  'compliance.verify': op({
    summary: "Check that nothing of the case's subject decrypts anywhere and list what still holds its data in clear",
    input: complianceVerifyInput,
    result: verification,
    effect: 'local',
    target: (input) => `case:${input.caseId}`,
    invalidates: ['compliance.getCase', 'compliance.listCases', 'jobs.list'],
  }),
  'compliance.report': op({
    summary: 'Write the erasure report (JSON and printable HTML, no personal data of the subject) and chain its hash into the audit log',
    input: complianceReportInput,
    result: complianceReportResult,
    effect: 'local',
    target: (input) => `case:${input.caseId}`,
    invalidates: ['compliance.getCase', 'compliance.listCases', 'jobs.list'],
  }),
  'compliance.changes': op({
    summary: 'The events a redaction changed: position, id, paths and SHA-256 after (never the erased values)',
    input: complianceChangesInput,
    result: complianceChangesResult,
    effect: 'none',
  }),
} as const;
