/**
 * Compliance for a connection: the personal-data map, erasure cases and the
 * jobs that search for a subject and erase it (shred, redact, purge read
 * models, delete snapshots), the verification, the access export and the
 * report chained into the audit log.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Db } from 'mongodb';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import type { ConnectionSettings } from '../../../src-shared/schemas/connections';
import { scanTopics, type TopicFinding, type TopicScope } from './kafka-subject-scan';
import { describePlan, planTombstones, writeTombstones } from './kafka-tombstones';
import {
  describeSnapshots,
  REGENERATION_DEFINITION,
  regenerateSnapshots,
  regenerationSummary,
  snapshotKeys,
  type RegenerationResumePoint,
  type SnapshotPorts,
} from './snapshot-erasure';
import { ChronoError } from '../../../src-shared/errors';
import type { ErasureAction, ErasureCase, Inventory, PersonalDataMap } from '../../../src-shared/schemas/compliance';
import type { OperatorCredentials } from '../../../src-shared/schemas/operators';
import { approvalDigest, assertApproved, underTwoPersonRule } from './approvals';
import { OperatorRegistry } from './operators';
import type { AuditLog } from '../audit/audit-log';
import type { JobContext, JobRunners, Jobs } from '../jobs/jobs';
import { canonicalJson } from '../util/canonical-json';
import { makeNewFolder, placeNewFiles, writePartial } from '../util/new-files';
import { CaseStore } from './cases';
import { ERASED, getAt, splitEventPath } from './json-paths';
import { PersonalDataMaps, proposeMongoMap, proposePostgresMap } from './personal-data-map';
import { MongoSubjectData } from './mongo-subject-data';
import { clearPersonalKeys, decryptEvent, PgSubjectData, sealedFieldsOf, sha256, type ScanProgress } from './pg-subject-data';
import type { SubjectData } from './subject-data';
import { subjectLocations } from './subject-locations';
import { buildReport, reportHtml } from './report';
import { reportPdf } from './report-pdf';
import { ENGINE_AUDIT_RECORDS } from '../../../src-shared/schemas/audit';
import { zipFiles } from '../util/zip-files';
import type { DisplayZone } from '../../../src-shared/time-format';

export const COMPLIANCE_SEARCH = 'compliance.search';
export const COMPLIANCE_ERASE = 'compliance.erase';
/** The order erasure steps run in, whatever order they were chosen in. */
const STEP_ORDER: ErasureAction[] = ['shred', 'redact', 'purgeReadModels', 'deleteSnapshots', 'regenerateSnapshots', 'tombstoneTopics'];
const SHOWN_TOMBSTONES = 200;
const TOMBSTONE_BATCH = 500;
const PREVIEWED_EVENTS = 20;

export interface ComplianceDeps {
  dataDir: string;
  exportsDir: string;
  jobs: Jobs;
  audit: AuditLog;
  user: string;
  pool(connectionId: string): Promise<pg.Pool>;
  mongo(connectionId: string): Promise<Db>;
  /** The Kafka connection's kafkajs client (its scope's): topic scans and tombstones. */
  kafka(connectionId: string): Promise<Kafka>;
  /** The profile's permission to decrypt personal data: without it no export or e-mail match opens a sealed field. */
  mayDecrypt(connectionId: string): Promise<boolean>;
  /** The profile's settings and secret (main process only). */
  resolve(connectionId: string): Promise<{ settings: ConnectionSettings; secret: string | undefined; readOnly?: boolean; name?: string }>;
  /** The snapshot engine's ports (regenerating snapshots); without them only deletion is offered. */
  snapshotPorts?: SnapshotPorts;
  connectionName(connectionId: string): Promise<string>;
  /** Events per redaction batch (each one statement and one saved resume point). */
  redactionBatch?: number;
  /** Snapshots regenerated per saved resume point. */
  snapshotBatch?: number;
  /** The zone the Settings show times in: the PDF report writes its times in it. */
  displayZone?(): Promise<DisplayZone>;
  /** Told after a crypto-shred deleted subjects' keys (decrypted views drop their cached keys). */
  onShredded?(connectionId: string, subjectIds: readonly string[]): void;
}

interface EraseParams {
  caseId: string;
  connectionId: string;
  actions: ErasureAction[];
}

interface EraseResumePoint {
  done: ErasureAction[];
  redactAfter: string;
  regeneration?: RegenerationResumePoint;
}

export class ComplianceService {
  readonly maps: PersonalDataMaps;
  readonly cases: CaseStore;
  readonly operators: OperatorRegistry;
  private readonly redactionBatch: number;

  constructor(private readonly deps: ComplianceDeps) {
    this.maps = new PersonalDataMaps(join(deps.dataDir, 'compliance', 'maps'));
    this.cases = new CaseStore(join(deps.dataDir, 'compliance', 'cases'));
    this.operators = new OperatorRegistry(deps.dataDir);
    this.redactionBatch = deps.redactionBatch ?? 1000;
  }

  /** The runners of the search and erasure jobs, for `Jobs.register`. */
  jobRunners(): JobRunners {
    return {
      [COMPLIANCE_SEARCH]: { run: (params, context) => this.runSearch(params, context), summarize: (r) => summarizeInventory(r) },
      [COMPLIANCE_ERASE]: {
        authorize: (params) => this.authorizeErase(params),
        run: (params, context: JobContext<EraseResumePoint>) => this.runErase(params, context),
        summarize: (r) => r.summary,
      },
    };
  }

  // ---- map ----

  async proposeMap(connectionId: string, sampleSize: number): Promise<PersonalDataMap> {
    if ((await this.requireSupported(connectionId)) === 'mongo') return proposeMongoMap(await this.deps.mongo(connectionId), connectionId, sampleSize);
    return proposePostgresMap(await this.deps.pool(connectionId), connectionId, sampleSize);
  }

  /**
   * Saves a confirmed map. It may turn the two-person rule on, never off: that
   * weakens every later erasure and goes through `setTwoPersonRule` (a dry run, a
   * confirmation and a reason).
   */
  async saveMap(map: PersonalDataMap): Promise<PersonalDataMap> {
    const current = await this.maps.get(map.connectionId);
    if (current?.requireSecondApprover === true && !map.requireSecondApprover) {
      throw new ChronoError(
        'forbidden',
        'Saving the map cannot switch the two-person rule off: use "Turn the two-person rule off", which asks for a dry run, a confirmation and a reason.',
      );
    }
    return this.maps.save(map);
  }

  /** Switches the two-person rule of a connection's map; the dry run says what would change and changes nothing. */
  async setTwoPersonRule(connectionId: string, enabled: boolean, dryRun: boolean): Promise<{ requireSecondApprover: boolean; summary: string }> {
    const map = await this.requireMap(connectionId);
    const kept = (await this.cases.list()).filter(
      (c) => c.connectionId === connectionId && c.twoPersonRule === true && !['erased', 'verified', 'reported'].includes(c.state),
    ).length;
    const change =
      map.requireSecondApprover === enabled
        ? `The two-person rule is already ${enabled ? 'on' : 'off'}.`
        : `The two-person rule goes ${enabled ? 'on' : 'off'} for cases opened from now on.`;
    const summary = `${change}${!enabled && kept ? ` ${kept} open case(s) opened under the rule keep it.` : ''}`;
    if (dryRun || map.requireSecondApprover === enabled) return { requireSecondApprover: map.requireSecondApprover, summary };
    const { confirmedAt: _at, ...rest } = map;
    const saved = await this.maps.save({ ...rest, requireSecondApprover: enabled });
    return { requireSecondApprover: saved.requireSecondApprover, summary };
  }

  async requireMap(connectionId: string): Promise<PersonalDataMap> {
    const map = await this.maps.get(connectionId);
    if (!map) throw new ChronoError('conflict', 'This connection has no confirmed personal-data map: propose one, check it and save it first.');
    return map;
  }

  // ---- cases ----

  /**
   * Opens a case. Under the two-person rule a registered operator opens it with
   * their passphrase, so the case knows who may not approve it; the rule is kept
   * on the case, so switching it off later does not release the case.
   */
  async createCase(
    input: Pick<ErasureCase, 'connectionId' | 'subject' | 'ticket' | 'requester' | 'reason'> & { operator?: OperatorCredentials | undefined },
  ): Promise<ErasureCase> {
    const { operator, ...fields } = input;
    await this.requireSupported(fields.connectionId);
    const map = await this.requireMap(fields.connectionId);
    if (map.requireSecondApprover && !operator)
      throw new ChronoError(
        'forbidden',
        'This connection has the two-person rule: open the case as a registered operator (your operator id and passphrase); another operator approves it.',
      );
    const opener = operator ? (await this.operators.unlock(operator)).operator : undefined;
    return this.cases.create({
      ...fields,
      id: this.cases.newId(),
      createdBy: this.deps.user,
      createdAt: new Date().toISOString(),
      ...(opener ? { openedBy: { operatorId: opener.id, name: opener.name, fingerprint: opener.fingerprint } } : {}),
      twoPersonRule: map.requireSecondApprover,
      state: 'open',
    });
  }

  async caseFor(caseId: string, connectionId?: string): Promise<ErasureCase> {
    const record = await this.cases.get(caseId);
    if (connectionId !== undefined && record.connectionId !== connectionId)
      throw new ChronoError('invalid_input', `Case ${caseId} is about connection "${record.connectionId}", not "${connectionId}".`);
    return record;
  }

  async startSearch(caseId: string, connectionId: string, includeMentions: boolean, kafka?: TopicScope & { connectionId: string }): Promise<string> {
    const record = await this.caseFor(caseId, connectionId);
    if (kafka && (await this.deps.resolve(kafka.connectionId)).settings.kind !== 'kafka')
      throw new ChronoError('invalid_input', 'kafka.connectionId: choose a Kafka connection for the topics.');
    // The scope is on the case before the job can read it.
    await this.cases.update(caseId, (c) => {
      const { topics: _old, ...rest } = c;
      return { ...rest, ...(kafka ? { topics: kafka } : {}) };
    });
    const job = await this.deps.jobs.start({
      kind: COMPLIANCE_SEARCH,
      title: `Find data subject of ${record.ticket}`,
      connectionIds: [connectionId, ...(kafka ? [kafka.connectionId] : [])],
      params: { caseId, includeMentions },
    });
    await this.cases.update(caseId, (c) => ({ ...c, searchJobId: job.id }));
    return job.id;
  }

  /**
   * A second registered operator approves the case's previewed actions: their
   * passphrase opens their key, which signs the digest of exactly those actions.
   */
  async approve(caseId: string, approver: OperatorCredentials): Promise<ErasureCase> {
    const record = await this.cases.get(caseId);
    if (!record.actions?.length)
      throw new ChronoError('conflict', 'Run the dry run of the actions to approve first: the approval covers exactly the actions previewed.');
    if (record.openedBy?.operatorId === approver.operatorId)
      throw new ChronoError('forbidden', 'You opened this case: a different registered operator must approve it.');
    const unlocked = await this.operators.unlock(approver);
    if (underTwoPersonRule(record, false) && !record.openedBy)
      throw new ChronoError(
        'forbidden',
        'This case names no registered operator who opened it, so no one can be told apart as the second person: open a new case as a registered operator.',
      );
    if (record.openedBy && unlocked.operator.fingerprint === record.openedBy.fingerprint)
      throw new ChronoError('forbidden', 'You opened this case: a different registered operator must approve it.');
    const actions = record.actions;
    const digest = approvalDigest(record, actions);
    const approval = {
      operatorId: unlocked.operator.id,
      name: unlocked.operator.name,
      fingerprint: unlocked.operator.fingerprint,
      digest: digest.toString('hex'),
      signature: unlocked.sign(digest),
      actions: [...actions],
      at: new Date().toISOString(),
    };
    return this.cases.update(caseId, (c) => {
      // The case changed between reading and signing (a new dry run or search): the signature would cover something else.
      if (approvalDigest(c, c.actions ?? []).toString('hex') !== approval.digest)
        throw new ChronoError('conflict', 'The case changed while it was being approved: look at its dry run again and approve again.');
      return { ...c, approval, state: c.state === 'previewed' ? 'approved' : c.state };
    });
  }

  // ---- search ----

  private async runSearch(params: { caseId: string; includeMentions: boolean }, context: JobContext<unknown>): Promise<Inventory> {
    const started = Date.now();
    const record = await this.cases.get(params.caseId);
    const data = await this.subjectData(record.connectionId);
    const scan: ScanProgress = { signal: context.signal, progress: (done, total, message) => context.progress({ done, total, message }) };
    // After shredding an e-mail no longer opens: a case that found its subject before keeps searching by its ids.
    // Checked when the job runs (a resumed job too): the profile's permission may have changed since it started.
    const mayDecrypt = await this.deps.mayDecrypt(record.connectionId);
    const resolved = await this.resolveSubject(data, record, scan, mayDecrypt);
    const subjectIds = resolved.length > 0 ? resolved : (record.inventory?.subjectIds ?? []);
    context.signal.throwIfAborted();
    const advice = await data.indexAdvice();
    context.signal.throwIfAborted();
    const locations: Inventory['locations'] = [];
    let scanned = 0;
    let mentions: Inventory['mentions'] = [];
    let mentionsTruncated = false;
    if (subjectIds.length > 0) {
      const topics = record.topics ? { kafka: await this.kafka(record.topics.connectionId), scope: record.topics } : undefined;
      const found = await subjectLocations(data, subjectIds, !advice.some((a) => a.location === 'events'), topics, scan);
      locations.push(...found.locations);
      scanned = found.scanned;
      context.signal.throwIfAborted();
      if (params.includeMentions) {
        const found = await data.findMentions(subjectIds, scan);
        mentions = found.mentions;
        mentionsTruncated = found.truncated;
        locations.push({
          location: 'events (free text of others)',
          kind: 'mentions',
          count: mentions.length,
          firstSeen: null,
          lastSeen: null,
          note: 'reported, never erased',
        });
      }
    }
    const note =
      record.subject.by === 'email' && !mayDecrypt
        ? 'Only e-mails stored in clear were compared: this profile may not decrypt personal data, so encrypted e-mails were not opened. Search by subject id, or allow decryption in the profile.'
        : undefined;
    const inventory: Inventory = {
      subjectIds,
      locations,
      mentions,
      mentionsTruncated,
      advice,
      scanned,
      elapsedMs: Date.now() - started,
      ...(note ? { note } : {}),
    };
    // A search cancelled while its last read was still running ends here: a cancelled job leaves the case as it was.
    context.signal.throwIfAborted();
    await this.cases.update(params.caseId, (c) => ({ ...c, inventory, state: c.state === 'open' ? 'searched' : c.state }));
    return inventory;
  }

  private async resolveSubject(data: SubjectData, record: ErasureCase, scan: ScanProgress, mayDecrypt: boolean): Promise<string[]> {
    if (record.subject.by === 'id') return [record.subject.value];
    // Matching an e-mail against decrypted values would tell whether that person is in the store: only with the permission.
    if (record.subject.by === 'email') return data.subjectsByEmail(record.subject.value, scan, mayDecrypt);
    return data.subjectsByIdentifier(record.subject.value);
  }

  // ---- access export ----

  async exportCase(
    caseId: string,
    connectionId: string,
    progress: (done: number, message: string) => void,
    signal: AbortSignal,
  ): Promise<{ path: string; archive: string; archiveName: string; files: string[]; bytes: number; events: number; decrypted: boolean }> {
    const record = await this.caseFor(caseId, connectionId);
    const ids = this.subjectIds(record);
    const data = await this.subjectData(connectionId);
    // Like browse and its exports: sealed fields open only for a profile that may decrypt; otherwise they are written as stored.
    const decrypted = await this.deps.mayDecrypt(connectionId);
    const keys = decrypted ? data.keyCache() : undefined;
    // A folder of its own, made by this call: an access export never writes into or over another one.
    const folder = await makeNewFolder(
      this.deps.exportsDir,
      `access-${record.ticket.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 40)}-${new Date().toISOString().replace(/[:.]/g, '-')}`,
    );
    // summary.txt is written last: a folder without it is an export that did not finish.
    const newFile = (name: string, text: string) => writeFile(join(folder, name), text, { mode: 0o600, flag: 'wx' });
    try {
      // Events streamed page by page as one JSON array, decrypted where the key exists.
      const out = createWriteStream(join(folder, 'events.json'), { encoding: 'utf8', mode: 0o600, flags: 'wx' });
      let events = 0;
      let after = '0';
      const write = async (text: string) => {
        if (!out.write(text)) await once(out, 'drain');
      };
      await write('[\n');
      for (;;) {
        signal.throwIfAborted();
        const page = await data.subjectEvents(ids, after, 1000);
        if (page.length === 0) break;
        let chunk = '';
        for (const row of page) chunk += `${events++ === 0 ? '' : ',\n'}${JSON.stringify(keys ? await decryptEvent(row, keys) : row)}`;
        await write(chunk);
        after = page[page.length - 1]!.position;
        progress(events, `${events} events written`);
      }
      await write('\n]\n');
      out.end();
      await once(out, 'finish');
      const json = (value: unknown) => `${JSON.stringify(value, null, 1)}\n`;
      const snapshots = await data.snapshotRows(ids);
      const readModels = await data.readModelRows(ids);
      const keyIds = await data.keyIds(ids);
      await newFile('snapshots.json', json(snapshots));
      await newFile('read-models.json', json(readModels));
      // Which keys exist, never their material.
      await newFile('key-store.json', json({ keyIds }));
      await newFile('mentions.json', json(record.inventory?.mentions ?? []));
      const summary = [
        `Access export for ticket ${record.ticket} (case ${record.id})`,
        `Requested by ${record.requester}; exported ${new Date().toISOString()} by ${this.deps.user}.`,
        '',
        decrypted
          ? `events.json       ${events} events about the subject, personal fields decrypted where the key exists ("[shredded]" where it was deleted)`
          : `events.json       ${events} events about the subject, encrypted personal fields as stored (this profile may not decrypt personal data)`,
        `snapshots.json    ${snapshots.length} snapshots naming the subject`,
        ...readModels.map((m) => `read-models.json  ${m.rows.length} rows of ${m.table}`),
        `key-store.json    ${keyIds.length} encryption key(s) held for the subject (ids only)`,
        `mentions.json     ${record.inventory?.mentions.length ?? 0} events of others that mention the subject`,
        '',
      ].join('\n');
      await newFile('summary.txt', summary);
      const files = ['summary.txt', 'events.json', 'snapshots.json', 'read-models.json', 'key-store.json', 'mentions.json'];
      let bytes = 0;
      for (const file of files) bytes += (await stat(join(folder, file))).size;
      // The same files as one zip beside the folder: what is downloaded (browser mode) or saved (desktop).
      const archive = `${folder}.zip`;
      progress(events, 'Packing the bundle into one zip file');
      await zipFiles(folder, files, archive, signal);
      await this.cases.update(caseId, (c) => ({ ...c, exported: { path: folder, archive, files, bytes, at: new Date().toISOString() } }));
      return { path: folder, archive, archiveName: basename(archive), files, bytes, events, decrypted };
    } catch (err) {
      // The folder is this call's own (made above), so removing it removes nothing of anyone else's.
      await rm(folder, { recursive: true, force: true });
      await rm(`${folder}.zip`, { force: true });
      throw err;
    }
  }

  // ---- erasure ----

  /** Dry run: what each chosen action would do, recorded in the case. */
  async previewErase(caseId: string, connectionId: string, actions: ErasureAction[]): Promise<ErasureCase['previews'] & object> {
    const record = await this.caseFor(caseId, connectionId);
    const ids = this.subjectIds(record);
    const data = await this.subjectData(connectionId);
    const previews: NonNullable<ErasureCase['previews']> = [];
    for (const action of orderActions(actions)) {
      if (action === 'shred') {
        const map = await this.requireMap(connectionId);
        const keyIds = await data.keyIds(ids);
        previews.push(
          map.keyStore
            ? {
                action,
                affected: keyIds.length,
                summary: keyIds.length
                  ? `Deletes ${keyIds.length} key(s) of the subject from ${map.keyStore.table}: every field sealed with them stops decrypting, in every copy.`
                  : `The subject has no key in ${map.keyStore.table}: nothing to shred (already shredded?).`,
              }
            : {
                action,
                affected: 0,
                summary: 'No key store is mapped.',
                refused: 'The personal-data map names no key store, so there is no key to delete. Redact instead.',
              },
        );
      } else if (action === 'redact') {
        let after = '0';
        let affected = 0;
        const redactions: NonNullable<NonNullable<ErasureCase['previews']>[number]['redactions']> = [];
        let first: string | undefined;
        for (;;) {
          const rows = await data.subjectEvents(ids, after, 5000);
          if (rows.length === 0) break;
          first ??= rows[0]!.position;
          for (const row of rows) {
            const { changes } = data.redactedForm(row, ids);
            if (changes.length === 0) continue;
            affected += 1;
            if (redactions.length < PREVIEWED_EVENTS)
              redactions.push({
                position: row.position,
                streamId: row.streamId,
                eventType: row.eventType,
                changes: changes.map((c) => ({ path: c.path, before: c.before, after: ERASED })),
              });
          }
          after = rows[rows.length - 1]!.position;
        }
        const refused = await data.updateRefusal(first);
        previews.push({
          action,
          affected,
          summary: `Rewrites the mapped personal paths of ${affected} event(s) to "${ERASED}" in batches of ${this.redactionBatch}.`,
          redactions,
          ...(refused ? { refused } : {}),
        });
      } else if (action === 'purgeReadModels') {
        const tables = await data.purgeReadModels(ids, true);
        previews.push({
          action,
          affected: tables.reduce((n, t) => n + t.rows, 0),
          summary: tables.length
            ? tables.map((t) => `${t.action === 'delete' ? 'deletes' : 'anonymises'} ${t.rows} row(s) of ${t.table}`).join('; ')
            : 'No read model is mapped.',
        });
      } else if (action === 'deleteSnapshots') {
        const n = await data.deleteSnapshots(ids, true);
        // The list is a courtesy: deletion goes through the map's table, with or without a confirmed store preset.
        const ports = this.deps.snapshotPorts;
        const shown = ports
          ? await ports.snapshots(connectionId).then(
              async (store) => (await describeSnapshots(store, snapshotKeys(await data.snapshotRows(ids)))).shown,
              () => [],
            )
          : [];
        previews.push({ action, affected: n, summary: `Deletes ${n} snapshot(s) naming the subject; replays rebuild them from the events.`, snapshots: shown });
      } else if (action === 'regenerateSnapshots') {
        previews.push(await this.previewRegeneration(connectionId, data, ids, actions, record));
      } else {
        previews.push(await this.previewTombstones(record));
      }
    }
    await this.cases.update(caseId, (c) => ({
      ...c,
      actions: orderActions(actions),
      previews,
      state: ['open', 'searched', 'previewed'].includes(c.state) ? 'previewed' : c.state,
    }));
    return previews;
  }

  private async previewRegeneration(
    connectionId: string,
    data: SubjectData,
    ids: string[],
    actions: readonly ErasureAction[],
    record: ErasureCase,
  ): Promise<NonNullable<ErasureCase['previews']>[number]> {
    const action = 'regenerateSnapshots' as const;
    if (!this.deps.snapshotPorts)
      return {
        action,
        affected: 0,
        summary: 'Snapshots cannot be regenerated here.',
        refused: 'This engine has no snapshot store for the connection: delete the snapshots instead.',
      };
    const keys = snapshotKeys(await data.snapshotRows(ids));
    let store;
    try {
      store = await this.deps.snapshotPorts.snapshots(connectionId);
    } catch (err) {
      if (!(err instanceof ChronoError)) throw err;
      return {
        action,
        affected: keys.length,
        summary: `Cannot regenerate the ${keys.length} snapshot(s) naming the subject.`,
        refused: `${err.message} (Regeneration replays the streams through the store's preset; deletion does not need one.)`,
      };
    }
    const { shown, notJson } = await describeSnapshots(store, keys);
    const erasesEvents =
      actions.some((a) => a === 'shred' || a === 'redact') || (record.outcomes ?? []).some((o) => o.action === 'shred' || o.action === 'redact');
    const preview = {
      action,
      affected: keys.length,
      snapshots: shown,
      summary: [
        `Replays the streams of ${keys.length} snapshot(s) naming the subject after the other steps and overwrites each at its version in the store's own format.`,
        erasesEvents
          ? 'The events are shredded or redacted first, so the new states hold no readable personal data.'
          : 'Neither shredding nor redaction is chosen: the events still hold the data, and so would the regenerated snapshots.',
      ].join(' '),
    };
    return notJson > 0
      ? { ...preview, refused: `${notJson} of the snapshots are not JSON, which Chronoscope cannot rewrite in their format: delete the snapshots instead.` }
      : preview;
  }

  private async previewTombstones(record: ErasureCase): Promise<NonNullable<ErasureCase['previews']>[number]> {
    const action = 'tombstoneTopics' as const;
    if (!record.topics)
      return {
        action,
        affected: 0,
        summary: 'No Kafka topic was searched.',
        refused: 'Search the case again with its Kafka connection and topics first: tombstones are written for the keys the search finds.',
      };
    const findings = await this.scanCaseTopics(record);
    const plan = planTombstones(findings, await this.cases.tombstones(record.id));
    const preview = {
      action,
      affected: plan.targets.length,
      summary: describePlan(plan, true),
      tombstones: plan.targets
        .slice(0, SHOWN_TOMBSTONES)
        .map((t) => ({ topic: t.topic, partition: t.partition, keySha256: t.keySha256, messages: t.messages })),
      retained: plan.retained,
    };
    return findings.some((f) => f.policy.compact)
      ? preview
      : {
          ...preview,
          refused:
            'None of the searched topics is compacted (cleanup.policy): a tombstone removes nothing there; the copies stay until retention deletes them, as listed.',
        };
  }

  private async scanCaseTopics(record: ErasureCase): Promise<TopicFinding[]> {
    const data = await this.subjectData(record.connectionId);
    const never = new AbortController().signal;
    return scanTopics(
      await this.kafka(record.topics!.connectionId),
      record.topics!,
      this.subjectIds(record),
      { signal: never, progress: () => undefined },
      data.keyCache(),
    );
  }

  /** Real run: checks the dry run, the refusals and the two-person rule, then starts the erasure job. */
  async startErase(caseId: string, connectionId: string, actions: ErasureAction[]): Promise<string> {
    const record = await this.caseFor(caseId, connectionId);
    const map = await this.requireMap(connectionId);
    const ordered = orderActions(actions);
    const previewed = new Set(record.previews?.map((p) => p.action) ?? []);
    const missing = ordered.filter((a) => !previewed.has(a));
    if (missing.length) throw new ChronoError('conflict', `Run the dry run of ${missing.join(', ')} for this case first.`);
    const refused = record.previews?.find((p) => ordered.includes(p.action) && p.refused);
    if (refused) throw new ChronoError('forbidden', `${refused.action} cannot run on this store: ${refused.refused}`);
    const previous = record.eraseJobId ? await this.deps.jobs.get(record.eraseJobId).catch(() => undefined) : undefined;
    if (previous && ['queued', 'running', 'paused'].includes(previous.state))
      throw new ChronoError(
        'conflict',
        `The erasure of this case is already ${previous.state}: ${previous.state === 'paused' ? 'resume it from the jobs tray' : 'wait for it to finish'}.`,
      );
    if (underTwoPersonRule(record, map.requireSecondApprover)) await assertApproved(record, ordered, this.operators);
    const kafkaId = ordered.includes('tombstoneTopics') ? record.topics?.connectionId : undefined;
    if (kafkaId !== undefined) await this.assertKafkaWritable(kafkaId);
    const job = await this.deps.jobs.start({
      kind: COMPLIANCE_ERASE,
      title: `Erase data subject of ${record.ticket}`,
      connectionIds: [connectionId, ...(kafkaId !== undefined ? [kafkaId] : [])],
      params: { caseId, connectionId, actions: ordered },
    });
    await this.cases.update(caseId, (c) => ({ ...c, eraseJobId: job.id, state: 'erasing' }));
    return job.id;
  }

  /** Before every run of an erasure job (start, resume, after a restart): the two-person rule still holds for it. */
  private async authorizeErase(params: EraseParams): Promise<void> {
    const record = await this.cases.get(params.caseId);
    if (underTwoPersonRule(record, (await this.requireMap(params.connectionId)).requireSecondApprover))
      await assertApproved(record, orderActions(params.actions), this.operators);
  }

  private async runErase(params: EraseParams, context: JobContext<EraseResumePoint>): Promise<{ summary: string }> {
    const record = await this.cases.get(params.caseId);
    const ids = this.subjectIds(record);
    const steps = orderActions(params.actions);
    // Checked again where the erasure happens: a job resumed (or one whose parameters were edited) runs only what was approved.
    if (underTwoPersonRule(record, (await this.requireMap(params.connectionId)).requireSecondApprover)) await assertApproved(record, steps, this.operators);
    const data = await this.subjectData(params.connectionId);
    const resumePoint: EraseResumePoint = context.resumeFrom ? structuredClone(context.resumeFrom) : { done: [], redactAfter: '0' };
    for (const [index, action] of steps.entries()) {
      if (resumePoint.done.includes(action)) continue;
      context.signal.throwIfAborted();
      context.progress({ done: index, total: steps.length, message: `Running ${action}` });
      let affected = 0;
      let summary = '';
      if (action === 'shred') {
        const deleted = await data.shred(ids);
        this.deps.onShredded?.(params.connectionId, ids);
        affected = deleted.length;
        summary = deleted.length ? `Deleted ${deleted.length} subject key(s).` : 'No key left to delete (already shredded).';
      } else if (action === 'redact') {
        const refusal = await data.updateRefusal((await data.subjectEvents(ids, '0', 1))[0]?.position);
        if (refusal) throw new ChronoError('forbidden', refusal);
        for (;;) {
          context.signal.throwIfAborted();
          const batch = await data.planRedaction(ids, resumePoint.redactAfter, this.redactionBatch);
          if (batch.read === 0) break;
          // The change list is written before the store, so no change goes unlisted after a crash.
          await this.cases.appendChanges(params.caseId, batch.changed);
          await data.applyRedaction(batch);
          resumePoint.redactAfter = batch.last!;
          await context.saveResumePoint(resumePoint, { done: index, total: steps.length, message: `Redacting: past position ${batch.last}` });
        }
        affected = (await this.cases.changes(params.caseId)).length;
        summary = `${affected} event(s) redacted in total ("${ERASED}" at the mapped paths).`;
      } else if (action === 'purgeReadModels') {
        const tables = await data.purgeReadModels(ids, false);
        affected = tables.reduce((n, t) => n + t.rows, 0);
        summary =
          tables.map((t) => `${t.action === 'delete' ? 'deleted' : 'anonymised'} ${t.rows} row(s) of ${t.table}`).join('; ') || 'No read model is mapped.';
      } else if (action === 'deleteSnapshots') {
        affected = await data.deleteSnapshots(ids, false);
        summary = `Deleted ${affected} snapshot(s).`;
      } else if (action === 'regenerateSnapshots') {
        const ports = this.deps.snapshotPorts;
        if (!ports) throw new ChronoError('conflict', 'This engine has no snapshot store for the connection: delete the snapshots instead.');
        // The list is fixed when the step starts: a resumed run walks the same snapshots from where it stopped.
        resumePoint.regeneration ??= {
          keys: snapshotKeys(await data.snapshotRows(ids)),
          index: 0,
          result: { changed: 0, missing: 0, failed: 0, failures: [] },
        };
        const result = await regenerateSnapshots(
          await ports.snapshots(params.connectionId),
          await ports.replayer(params.connectionId, REGENERATION_DEFINITION, context.signal),
          resumePoint.regeneration,
          this.deps.snapshotBatch ?? 50,
          (state) =>
            context.saveResumePoint(
              { ...resumePoint, regeneration: state },
              { done: index, total: steps.length, message: `Regenerating snapshots: ${Math.min(state.index, state.keys.length)} of ${state.keys.length}` },
            ),
          context.signal,
        );
        affected = result.changed;
        summary = regenerationSummary(result);
      } else {
        const record = await this.cases.get(params.caseId);
        if (!record.topics) throw new ChronoError('conflict', 'The case has no Kafka topics: search them first.');
        await this.assertKafkaWritable(record.topics.connectionId);
        const plan = planTombstones(await this.scanCaseTopics(record), await this.cases.tombstones(params.caseId));
        const written = await writeTombstones(
          await this.kafka(record.topics.connectionId),
          plan.targets,
          TOMBSTONE_BATCH,
          (sent) => this.cases.appendTombstones(params.caseId, sent),
          context.signal,
        );
        affected = (await this.cases.tombstones(params.caseId)).length;
        summary = `${describePlan(plan, false)} ${written} tombstone(s) sent by this run, ${affected} in total for the case. A tombstone sent again after a crash (between its send and its record) only repeats the deletion marker.`;
      }
      const finishedAt = new Date().toISOString();
      await this.cases.update(params.caseId, (c) => ({
        ...c,
        outcomes: [...(c.outcomes ?? []).filter((o) => o.action !== action), { action, summary, affected, finishedAt }],
      }));
      resumePoint.done.push(action);
      await context.saveResumePoint(resumePoint, { done: index + 1, total: steps.length, message: `${action} done` });
    }
    const changes = await this.cases.changes(params.caseId);
    await this.cases.update(params.caseId, (c) => ({ ...c, state: 'erased', changedEvents: changes.length }));
    const verification = await this.verify(params.caseId, params.connectionId);
    return { summary: `Erasure ${verification.ok ? 'verified' : 'done but verification failed'}: ${steps.join(', ')}` };
  }

  // ---- verification ----

  async verify(caseId: string, connectionId: string): Promise<NonNullable<ErasureCase['verification']>> {
    const record = await this.caseFor(caseId, connectionId);
    const ids = this.subjectIds(record);
    const map = await this.requireMap(connectionId);
    const data = await this.subjectData(connectionId);
    const keys = data.keyCache();
    const checks: NonNullable<ErasureCase['verification']>['checks'] = [];
    const inClear: NonNullable<ErasureCase['verification']>['inClear'] = [];
    let sealedFields = 0;
    let stillDecrypting = 0;

    const keyIds = await data.keyIds(ids);
    if (map.keyStore)
      checks.push({
        location: map.keyStore.table,
        ok: keyIds.length === 0,
        detail: keyIds.length ? `${keyIds.length} key(s) of the subject still exist` : 'no key of the subject is left',
      });

    let after = '0';
    let events = 0;
    let clearEvents = 0;
    let decryptingEvents = 0;
    for (;;) {
      const rows = await data.subjectEvents(ids, after, 5000);
      if (rows.length === 0) break;
      for (const row of rows) {
        events += 1;
        let decrypts = false;
        for (const { field, sealed } of [...sealedFieldsOf(row.data), ...sealedFieldsOf(row.metadata)]) {
          sealedFields += 1;
          if ((await keys.open(sealed, field)) !== undefined) {
            stillDecrypting += 1;
            decrypts = true;
          }
        }
        if (decrypts) decryptingEvents += 1;
        const mapping = map.events.find((e) => e.eventType === row.eventType);
        const clear =
          data.ownsPersonalData(row, ids) &&
          (mapping?.personalPaths ?? []).some((p) => {
            const { part, keys: path } = splitEventPath(p.path);
            const value = part === 'streamId' ? undefined : getAt(part === 'metadata' ? row.metadata : row.data, path);
            return value !== undefined && value !== null && value !== ERASED && sealedFieldsOf(value).length === 0;
          });
        if (clear) clearEvents += 1;
      }
      after = rows[rows.length - 1]!.position;
    }
    checks.push({
      location: 'events',
      ok: decryptingEvents === 0,
      detail: `${events} event(s) of the subject; ${sealedFields} encrypted field(s), ${stillDecrypting} still decrypt`,
    });
    if (clearEvents)
      inClear.push({ location: 'events', ok: false, detail: `${clearEvents} event(s) hold mapped personal data in clear (not encrypted, not redacted)` });
    if (events) inClear.push({ location: 'events', ok: true, detail: `${events} event(s) still carry the subject's id (a pseudonym without the erased data)` });

    const snapshots = await data.snapshotRows(ids);
    let snapshotDecrypts = 0;
    let snapshotClear = 0;
    for (const snapshot of snapshots) {
      for (const { field, sealed } of sealedFieldsOf(snapshot.state)) {
        sealedFields += 1;
        if ((await keys.open(sealed, field)) !== undefined) {
          stillDecrypting += 1;
          snapshotDecrypts += 1;
        }
      }
      if (clearPersonalKeys(snapshot.state).length) snapshotClear += 1;
    }
    if (map.snapshots)
      checks.push({
        location: map.snapshots.table,
        ok: snapshotDecrypts === 0,
        detail: `${snapshots.length} snapshot(s) name the subject; ${snapshotDecrypts} encrypted field(s) still decrypt`,
      });
    if (snapshotClear)
      inClear.push({ location: map.snapshots?.table ?? 'snapshots', ok: false, detail: `${snapshotClear} snapshot(s) hold personal-looking fields in clear` });

    for (const model of await data.readModelRows(ids)) {
      const mapping = map.readModels.find((m) => m.table === model.table)!;
      const clearRows = model.rows.filter((row) => mapping.personalColumns.some((c) => row[c] !== null && row[c] !== undefined && row[c] !== ERASED)).length;
      checks.push({ location: model.table, ok: true, detail: `${model.rows.length} row(s) name the subject` });
      if (clearRows)
        inClear.push({ location: model.table, ok: false, detail: `${clearRows} row(s) copied personal data in clear (${mapping.personalColumns.join(', ')})` });
      else if (model.rows.length)
        inClear.push({ location: model.table, ok: true, detail: `${model.rows.length} row(s) still carry the subject's id in ${mapping.subjectColumn}` });
    }
    if (record.topics) {
      const tombstoned = (record.outcomes ?? []).some((o) => o.action === 'tombstoneTopics');
      const never = new AbortController().signal;
      for (const topic of await scanTopics(
        await this.kafka(record.topics.connectionId),
        record.topics,
        ids,
        { signal: never, progress: () => undefined },
        keys,
      )) {
        sealedFields += topic.sealedFields;
        stillDecrypting += topic.stillDecrypting;
        checks.push({
          location: `topic ${topic.topic}`,
          ok: topic.stillDecrypting === 0,
          detail: `${topic.count} message(s) name the subject; ${topic.sealedFields} encrypted field(s), ${topic.stillDecrypting} still decrypt`,
        });
        if (topic.count)
          inClear.push({
            location: `topic ${topic.topic}`,
            ok: true,
            detail: `${topic.count} message(s) still carry the subject's id (${topic.inKey} as key); ${topic.retention}`,
          });
        if (tombstoned && topic.policy.compact && topic.keyed.length > 0) {
          const ended = topic.keyed.filter((k) => k.tombstoned).length;
          checks.push({
            location: `topic ${topic.topic} (tombstones)`,
            ok: ended === topic.keyed.length,
            detail: `${ended} of ${topic.keyed.length} key(s) naming the subject end in a tombstone; compaction drops their earlier messages, and the tombstones after delete.retention.ms`,
          });
        }
      }
    }
    const exportLeft =
      record.exported &&
      (await Promise.all([record.exported.path, record.exported.archive].map((p) => (p ? stat(p).catch(() => undefined) : undefined)))).some(Boolean);
    if (exportLeft) {
      inClear.push({
        location: 'access export bundle',
        ok: false,
        detail: 'The access export made for this case (its folder or zip) is still in the exports folder: delete both once it has been delivered.',
      });
    }
    const mentions = record.inventory?.mentions.length ?? 0;
    if (mentions)
      inClear.push({
        location: 'events (free text of others)',
        ok: false,
        detail: `${mentions} event(s) of other subjects mention the subject's id in free text: review them; they were not erased`,
      });

    const verification = {
      at: new Date().toISOString(),
      ok: checks.every((c) => c.ok) && stillDecrypting === 0,
      sealedFields,
      stillDecrypting,
      checks,
      inClear,
    };
    await this.cases.update(caseId, (c) => ({
      ...c,
      verification,
      state: ['erased', 'verified', 'reported'].includes(c.state) ? (c.state === 'reported' ? 'reported' : 'verified') : c.state,
    }));
    return verification;
  }

  // ---- report ----

  /** Writes the report (JSON, HTML and PDF) to the exports folder and records its hash in the audit log. */
  async report(caseId: string): Promise<{ sha256: string; auditSeq: number; json: string; html: string; pdf: string; report: Record<string, unknown> }> {
    const record = await this.cases.get(caseId);
    const changes = await this.cases.changes(caseId);
    const head = (await this.deps.audit.verify()).head ?? null;
    const report = buildReport({
      record,
      connectionName: await this.deps.connectionName(record.connectionId).catch(() => record.connectionId),
      subjectIds: this.subjectIds(record),
      changes,
      tombstones: await this.cases.tombstones(caseId),
      auditHead: head,
      user: this.deps.user,
      now: new Date(),
    });
    const text = canonicalJson(report);
    const hash = sha256(text);
    // New files, never written over: a report made again for the case is `-2`, and the one the audit log vouched for stays.
    const name = `erasure-report-${record.id}`;
    const wanted = join(this.deps.exportsDir, name);
    const pdf = await reportPdf(report, hash, (await this.deps.displayZone?.()) ?? 'local');
    const partials = [
      { partial: await writePartial(`${wanted}.json`, `${text}\n`), name: `${name}.json` },
      { partial: await writePartial(`${wanted}.html`, reportHtml(report, hash)), name: `${name}.html` },
      { partial: await writePartial(`${wanted}.pdf`, pdf), name: `${name}.pdf` },
    ];
    const [jsonPath, htmlPath, pdfPath] = (await placeNewFiles(this.deps.exportsDir, partials)) as [string, string, string];
    const audited = await this.deps.audit.append({
      at: new Date().toISOString(),
      user: this.deps.user,
      operation: ENGINE_AUDIT_RECORDS.reportChained,
      target: `case:${record.id}`,
      reason: `Erasure report for ticket ${record.ticket}`,
      dryRun: false,
      outcome: 'ok',
      details: { reportSha256: hash, ticket: record.ticket, verified: report.verification?.ok ?? false },
    });
    // Once erased and verified, the case keeps only the subject ids (pseudonyms needed to verify again), not the e-mail typed.
    const forget = record.verification?.ok === true && record.subject.by !== 'id';
    await this.cases.update(caseId, (c) => ({
      ...c,
      ...(forget ? { subject: { ...c.subject, value: '[erased]' } } : {}),
      state: 'reported',
      report: { sha256: hash, auditSeq: audited.seq, json: jsonPath, html: htmlPath, pdf: pdfPath, at: report.generatedAt },
    }));
    return { sha256: hash, auditSeq: audited.seq, json: jsonPath, html: htmlPath, pdf: pdfPath, report: report as unknown as Record<string, unknown> };
  }

  // ---- helpers ----

  private subjectIds(record: ErasureCase): string[] {
    if (!record.inventory) throw new ChronoError('conflict', 'Search for the subject first: the case has no inventory yet.');
    if (record.inventory.subjectIds.length === 0)
      throw new ChronoError('not_found', 'The search found no subject for this request: nothing to export or erase.');
    return record.inventory.subjectIds;
  }

  private async subjectData(connectionId: string): Promise<SubjectData> {
    const kind = await this.requireSupported(connectionId);
    const map = await this.requireMap(connectionId);
    return kind === 'mongo' ? new MongoSubjectData(await this.deps.mongo(connectionId), map) : new PgSubjectData(await this.deps.pool(connectionId), map);
  }

  /** Tombstones write to the Kafka connection: refused while its profile is read-only (also when a paused job resumes). */
  private async assertKafkaWritable(connectionId: string): Promise<void> {
    const resolved = await this.deps.resolve(connectionId);
    if (resolved.settings.kind !== 'kafka')
      throw new ChronoError('invalid_input', 'The topics of this case are on a connection that is no longer a Kafka connection.');
    if (resolved.readOnly === true)
      throw new ChronoError(
        'read_only',
        `"${resolved.name ?? connectionId}" is read-only: writing tombstones changes its topics. Mark the profile read-write in Connections to do it.`,
        { connectionId },
      );
  }

  private async kafka(connectionId: string) {
    const { settings } = await this.deps.resolve(connectionId);
    if (settings.kind !== 'kafka') throw new ChronoError('invalid_input', 'The topics of this case are on a connection that is no longer a Kafka connection.');
    return this.deps.kafka(connectionId);
  }

  /** PostgreSQL stores of the classic layout and MongoDB stores of the reference layout; a Kafka connection holds copies, not the store. */
  private async requireSupported(connectionId: string): Promise<'postgres' | 'mongo'> {
    const kind = (await this.deps.resolve(connectionId)).settings.kind;
    if (kind === 'kafka')
      throw new ChronoError('invalid_input', "Choose the event store's connection for the case; Kafka topics are searched from the inventory step.");
    return kind;
  }
}

function orderActions(actions: readonly ErasureAction[]): ErasureAction[] {
  if (actions.includes('deleteSnapshots') && actions.includes('regenerateSnapshots'))
    throw new ChronoError('invalid_input', 'actions: choose either to delete or to regenerate the snapshots, not both.');
  return STEP_ORDER.filter((a) => actions.includes(a));
}

function summarizeInventory(inventory: Inventory): string {
  if (inventory.subjectIds.length === 0) return 'No subject found';
  return inventory.locations.map((l) => `${l.location}: ${l.count}`).join(', ');
}
