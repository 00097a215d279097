import { ChronoError, toErrorPayload, type ErrorPayload } from '../../../src-shared/errors';
import {
  connectionsOf,
  targetsWithoutConnections,
  type OperationName,
  type OperationSpec,
  type ParsedInputOf,
  type ResultOf,
  type StreamDataOf,
} from '../../../src-shared/operations';
import { readOnlyRefusal, reasonRequired } from '../../../src-shared/operation-words';
import { redactSecretsInText } from '../../../src-shared/redact-secrets';
import { describeIssues, parseInput, type FieldProblem } from '../../../src-shared/validate';
import { isClientMessage, type Progress, type ServerMessage } from '../../../src-shared/wire';
import type { AuditEntry } from '../audit/audit-log';
import { explainDriverError } from '../connections/friendly-errors';
import { describePlanChanges, planDigest, type ConfirmationTokens } from '../audit/confirmations';
import { encodeAnswer, MAX_ANSWER_BYTES, oversizedAnswer } from './answer-cap';

export interface CallContext<N extends OperationName = OperationName> {
  operationId: string;
  /**
   * A destructive operation's real run: the answer of the dry run the user confirmed,
   * so the handler applies exactly the targets shown (offsets, positions) where they could have moved since.
   */
  confirmed?: unknown;
  signal: AbortSignal;
  emit(data: StreamDataOf<N>): void;
  progress(progress: Progress): void;
}

export type Handler<N extends OperationName> = (input: ParsedInputOf<N>, context: CallContext<N>) => Promise<ResultOf<N>>;
export type Handlers = { [N in OperationName]: Handler<N> };

export interface DispatcherDeps {
  operations: Record<string, OperationSpec>;
  handlers: Record<string, (input: never, context: CallContext<never>) => Promise<unknown>>;
  audit: { append(entry: AuditEntry): Promise<{ seq: number }> };
  confirmations: ConfirmationTokens;
  isReadOnly(connectionId: string): Promise<boolean>;
  /** A profile's name, for refusals people read (the id when it has none). */
  profileName?: (connectionId: string) => Promise<string>;
  /** The connection profiles' stored secrets, masked in anything recorded (a password typed into a reason). */
  storedSecrets?: () => Promise<string[]>;
  user: string;
  now?: () => Date;
  /** Reports failures the caller should see in the console; never gets secrets. */
  onInternalError?: (operation: string, err: unknown) => void;
  /**
   * When given, every result and emitted item is checked against the
   * operation's declared schema and each mismatch reported here (the test
   * harness records it and fails the call). Off in the product: the cost is a
   * second parse of every answer.
   */
  onOutputMismatch?: (mismatch: OutputMismatch) => void;
}

/** An answer that does not match what the contract declares for it. */
export interface OutputMismatch {
  operation: string;
  kind: 'result' | 'data';
  problems: FieldProblem[];
}

/** What a host sets for its sessions. */
export interface SessionOptions {
  /** Largest answer sent to the peer, in JSON bytes (MAX_ANSWER_BYTES unless a test sets less). */
  maxAnswerBytes?: number;
  /**
   * Saves a successful result over the cap where the user can fetch it (browser mode's
   * downloads) and returns the sentence saying where; undefined when it keeps none.
   */
  keepOversized?: (op: string, data: unknown) => Promise<string | undefined>;
}

/** One peer of a host: a window (Electron) or a WebSocket (browser mode). */
export interface Session {
  receive(message: unknown): void;
  /** Cancels everything this peer still has running (window closed, socket dropped). */
  close(): void;
}

const SECRET_FIELDS = /secret|password|passphrase|token|confirmation|^ca$/i;
/** Shorter stored secrets are not masked in recorded text: they would mask ordinary words. */
const MIN_MASKED_SECRET = 4;

/**
 * Calls one session (a window, a browser tab) may have running at once. Each may hold
 * a pooled database connection or wait for a sandbox worker; a peer that fires calls
 * faster than they finish gets a clear refusal instead of an ever longer pile. The
 * screens run a handful at a time, far below this.
 */
export const MAX_CALLS_IN_FLIGHT = 16;

/**
 * Streaming operations (status, live tail, definition changes) are counted apart: each
 * lives as long as the screen that opened it, mostly idle, so counting them with the
 * calls above would let open screens starve ordinary reads. They have their own cap
 * because each holds something for its whole life (a LISTEN connection, a timer).
 */
export const MAX_STREAMS_IN_FLIGHT = 16;

/**
 * The one place where an operation is validated, guarded, run and audited.
 * Both hosts hand it raw messages and a send function; nothing else differs.
 */
export function createDispatcher(deps: DispatcherDeps) {
  const now = deps.now ?? (() => new Date());
  // A `target` operation that cannot name its connections would slip past the read-only guard.
  const unguardable = targetsWithoutConnections(deps.operations);
  if (unguardable.length)
    throw new Error(`These target operations name no connection, so read-only profiles could not be enforced: ${unguardable.join(', ')}.`);

  /** Runs one call; a driver error escaping its handler becomes a sentence here, the one boundary every call crosses. */
  async function run(op: string, rawInput: unknown, context: CallContext): Promise<unknown> {
    const spec = Object.prototype.hasOwnProperty.call(deps.operations, op) ? deps.operations[op] : undefined;
    const check = spec && deps.onOutputMismatch ? outputChecker(op, spec, deps.onOutputMismatch) : undefined;
    let result: unknown;
    try {
      result = await execute(op, rawInput, check ? { ...context, emit: (data) => context.emit(check('data', data) as never) } : context);
    } catch (err) {
      throw explainDriverError(err);
    }
    return check ? check('result', result) : result;
  }

  async function execute(op: string, rawInput: unknown, context: CallContext): Promise<unknown> {
    const spec = Object.prototype.hasOwnProperty.call(deps.operations, op) ? deps.operations[op] : undefined;
    const handler = deps.handlers[op];
    if (!spec || !handler) throw new ChronoError('unknown_operation', `Unknown operation "${op}".`);
    const input = parseInput(spec.input, rawInput, op) as Record<string, unknown>;
    if (spec.effect === 'none') return handler(input as never, context as never);
    // A change nobody can explain later is not made: every destructive real run says why.
    if (spec.destructive && input.dryRun !== true && !(typeof input.reason === 'string' && input.reason.trim() !== '')) {
      throw new ChronoError('invalid_input', reasonRequired(op), { problems: [{ field: 'reason', message: 'say why (recorded in the audit log)' }] });
    }

    const dryRun = input.dryRun === true;
    const mask = await secretMasker();
    const entry: AuditEntry = {
      at: now().toISOString(),
      user: deps.user,
      operation: op,
      target: mask(spec.target?.(input as never) ?? op),
      reason: typeof input.reason === 'string' ? mask(input.reason) : '',
      dryRun,
      outcome: 'ok',
      details: { input: maskDeep(redact(spec.auditInput ? spec.auditInput(input as never) : input), mask) as unknown },
    };
    let intentSeq: number | undefined;
    try {
      await guardReadOnly(spec, op, input, dryRun, await writableVerdicts(spec, input, dryRun));
      const confirmed = spec.destructive && !dryRun ? await holdToConfirmedPlan(spec, op, input, handler, context) : undefined;
      // Write-ahead: a change whose intent cannot be recorded does not run.
      // The intent names what the user confirmed, so a change whose outcome is lost can be checked against it later.
      if (!dryRun)
        intentSeq = (await deps.audit.append({ ...entry, outcome: 'pending', details: { ...entry.details, ...recordedConfirmation(confirmed, mask) } })).seq;
      const result = await handler(input as never, (confirmed === undefined ? context : { ...context, confirmed }) as never);
      if (spec.target) entry.target = mask(spec.target(input as never, result as never));
      const answer =
        spec.destructive && dryRun && isObject(result)
          ? { ...(result as Record<string, unknown>), confirmation: deps.confirmations.issue(op, input, planOf(spec, result)) }
          : result;
      try {
        await deps.audit.append({ ...entry, ...(intentSeq !== undefined ? { intentSeq } : {}) });
      } catch (err) {
        if (intentSeq === undefined) throw err;
        // The change ran: say so rather than report a failure that invites running it again.
        throw new ChronoError(
          'internal',
          `${op} ran, but its outcome could not be written to the audit log (${(err as Error).message}); its intent record #${intentSeq} will show it as "outcome unknown".`,
          { intentSeq, applied: true },
        );
      }
      return answer;
    } catch (err) {
      if (err instanceof ChronoError && isObject(err.details) && err.details.applied === true) throw err;
      const payload = toErrorPayload(explainDriverError(err));
      const outcome =
        payload.code === 'cancelled'
          ? 'cancelled'
          : ['read_only', 'confirmation_required', 'forbidden', 'plan_changed'].includes(payload.code)
            ? 'refused'
            : 'error';
      await deps.audit.append({
        ...entry,
        outcome,
        errorCode: payload.code,
        ...(intentSeq !== undefined ? { intentSeq } : {}),
        details: { ...entry.details, message: mask(redactSecretsInText(payload.message)) },
      });
      throw err;
    }
  }

  /** The stored secrets of the connection profiles, masked wherever the dispatcher records text. */
  async function secretMasker(): Promise<(text: string) => string> {
    const secrets = ((await deps.storedSecrets?.().catch(() => [])) ?? [])
      .filter((secret) => secret.length >= MIN_MASKED_SECRET)
      .sort((a, b) => b.length - a.length);
    if (!secrets.length) return (text) => text;
    return (text) => secrets.reduce((masked, secret) => masked.split(secret).join('[secret]'), text);
  }

  /** Which named connections are read-only, asked before anything runs (a change needs them all writable). */
  async function writableVerdicts(spec: OperationSpec, input: Record<string, unknown>, dryRun: boolean): Promise<Map<string, boolean>> {
    const verdicts = new Map<string, boolean>();
    if (spec.effect !== 'target' || dryRun) return verdicts;
    for (const connectionId of connectionsOf(spec, input)) verdicts.set(connectionId, await deps.isReadOnly(connectionId));
    return verdicts;
  }

  async function guardReadOnly(
    spec: OperationSpec,
    op: string,
    input: Record<string, unknown>,
    dryRun: boolean,
    readOnly: Map<string, boolean>,
  ): Promise<void> {
    if (spec.effect !== 'target' || dryRun) return;
    // Fail closed: a change to a connected system with no connection named cannot be checked.
    if (!readOnly.size)
      throw new ChronoError('invalid_input', `${op} names no connection to act on; choose at least one.`, {
        problems: [{ field: 'connectionIds', message: 'choose at least one connection' }],
      });
    for (const [connectionId, isReadOnly] of readOnly) {
      if (!isReadOnly) continue;
      const name = (await deps.profileName?.(connectionId).catch(() => connectionId)) ?? connectionId;
      throw new ChronoError('read_only', readOnlyRefusal(name, op), { connectionId });
    }
  }

  /**
   * Redeems the confirmation (once: a token cannot be replayed) and recomputes the plan as
   * a dry run: if it is not what the user confirmed, nothing runs. Gives the handler the
   * confirmed dry run, so it can apply exactly the targets that were shown.
   */
  async function holdToConfirmedPlan(
    spec: OperationSpec,
    op: string,
    input: Record<string, unknown>,
    handler: DispatcherDeps['handlers'][string],
    context: CallContext,
  ): Promise<unknown> {
    const redeemed = deps.confirmations.redeem(op, input, typeof input.confirmation === 'string' ? input.confirmation : undefined);
    if (redeemed.verdict !== 'ok') {
      const why = {
        missing: 'run it as a dry run first and confirm',
        expired: 'the confirmation has expired; run the dry run again',
        mismatch: 'the confirmation belongs to a different request; run the dry run again',
        used: 'this confirmation was already used (each one authorises a single run); run the dry run again',
      }[redeemed.verdict];
      throw new ChronoError('confirmation_required', `${op} is destructive: ${why}.`, { verdict: redeemed.verdict });
    }
    const now = planOf(spec, await handler({ ...input, dryRun: true, confirmation: undefined } as never, context as never));
    if (planDigest(now.plan) !== planDigest(redeemed.plan)) {
      const changes = describePlanChanges(redeemed.plan, now.plan);
      throw new ChronoError(
        'plan_changed',
        `Nothing was changed: what ${op} would do is no longer what you confirmed (${changes.join('; ')}). Run the dry run again and confirm the new plan.`,
        { changes },
      );
    }
    return redeemed.shown;
  }

  const isStream = (op: string): boolean => Object.prototype.hasOwnProperty.call(deps.operations, op) && deps.operations[op]!.stream !== undefined;

  return {
    run,
    openSession(send: (message: ServerMessage, json: string) => void, options: SessionOptions = {}): Session {
      const running = new Map<string, AbortController>();
      /** Ids of the streaming calls among `running`. */
      const streams = new Set<string>();
      /** Streams stopped because an item was over the answer cap: they end with this refusal. */
      const refusedStreams = new Map<string, ErrorPayload>();
      const answerCap = options.maxAnswerBytes ?? MAX_ANSWER_BYTES;
      let closed = false;
      /** Sends a message within the answer cap; returns the size of one it refused (nothing sent). */
      const safeSend = (message: ServerMessage): number | undefined => {
        if (closed) return undefined;
        const { json, bytes } = encodeAnswer(message);
        if (json === undefined || bytes > answerCap) return bytes;
        send(message, json);
        return undefined;
      };
      const sendError = (id: string, error: ErrorPayload) => {
        // An error over the cap (a driver's endless message) still ends its call, shortened.
        if (safeSend({ t: 'result', id, ok: false, error }) !== undefined)
          safeSend({ t: 'result', id, ok: false, error: { code: error.code, message: error.message.slice(0, 10_000) } });
      };

      /** The refusal of a call beyond this session's limits, if it is one. */
      function tooMany(op: string): ChronoError | undefined {
        if (isStream(op)) {
          if (streams.size < MAX_STREAMS_IN_FLIGHT) return undefined;
          return new ChronoError(
            'unavailable',
            `${MAX_STREAMS_IN_FLIGHT} live views (tails, status checks) are already open in this window: close one before opening another.`,
            { limit: MAX_STREAMS_IN_FLIGHT },
          );
        }
        if (running.size - streams.size < MAX_CALLS_IN_FLIGHT) return undefined;
        return new ChronoError(
          'unavailable',
          `${MAX_CALLS_IN_FLIGHT} requests are already running in this window: wait for some to finish (or cancel them), then try again.`,
          { limit: MAX_CALLS_IN_FLIGHT },
        );
      }

      return {
        receive(message) {
          if (!isClientMessage(message)) return;
          if (message.t === 'cancel') {
            running.get(message.id)?.abort();
            return;
          }
          if (running.has(message.id)) return;
          const refusal = tooMany(message.op);
          if (refusal) {
            sendError(message.id, refusal.toPayload());
            return;
          }
          const { id, op } = message;
          const controller = new AbortController();
          running.set(id, controller);
          if (isStream(op)) streams.add(id);
          const context: CallContext = {
            operationId: id,
            signal: controller.signal,
            emit: (data) => {
              const bytes = safeSend({ t: 'data', id, data });
              if (bytes === undefined || refusedStreams.has(id)) return;
              refusedStreams.set(id, oversizedAnswer(op, 'data', bytes, answerCap).toPayload());
              controller.abort();
            },
            progress: (progress) => void safeSend({ t: 'progress', id, progress }),
          };
          run(op, message.input, context)
            .then(async (data) => {
              const refused = refusedStreams.get(id);
              if (refused) return sendError(id, refused);
              const bytes = safeSend({ t: 'result', id, ok: true, data: data ?? null });
              if (bytes === undefined) return;
              const kept = Number.isFinite(bytes) ? await options.keepOversized?.(op, data).catch(() => undefined) : undefined;
              sendError(id, oversizedAnswer(op, 'result', bytes, answerCap, kept).toPayload());
            })
            .catch((err: unknown) => {
              const error = refusedStreams.get(id) ?? toErrorPayload(err);
              if (error.code === 'internal') deps.onInternalError?.(op, err);
              sendError(id, error);
            })
            .finally(() => {
              running.delete(id);
              streams.delete(id);
              refusedStreams.delete(id);
            });
        },
        close() {
          closed = true;
          for (const controller of running.values()) controller.abort();
          running.clear();
          streams.clear();
        },
      };
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;

/** Checks answers of `op` against its declared schemas; the value passes through unchanged. */
function outputChecker(op: string, spec: OperationSpec, report: (mismatch: OutputMismatch) => void) {
  return (kind: OutputMismatch['kind'], value: unknown): unknown => {
    const schema = kind === 'result' ? spec.result : spec.stream;
    // What a host sends is JSON (the WebSocket) or a structured clone of it (Electron): check that, not in-process objects.
    const sent = value === undefined ? null : (JSON.parse(JSON.stringify(value)) as unknown);
    const parsed = schema ? schema.safeParse(sent) : undefined;
    if (parsed && !parsed.success) report({ operation: op, kind, problems: describeIssues(parsed.error) });
    else if (!schema) report({ operation: op, kind, problems: [{ field: '(data)', message: 'the operation declares no stream' }] });
    return value;
  };
}

/** What a destructive dry run's confirmation is bound to: the operation's declared plan, else its whole answer. */
function planOf(spec: OperationSpec, result: unknown): { shown: unknown; plan: unknown } {
  const shown = isObject(result) ? Object.fromEntries(Object.entries(result).filter(([key]) => key !== 'confirmation')) : result;
  return { shown, plan: spec.plan ? spec.plan(shown as never) : shown };
}

/** Confirmed answers up to this size are recorded with the intent; larger ones (long previews) are left to the dry run's record. */
const MAX_RECORDED_CONFIRMATION = 16 * 1024;

function recordedConfirmation(confirmed: unknown, mask: (text: string) => string): { confirmed?: unknown } {
  if (confirmed === undefined) return {};
  const masked = maskDeep(redact(confirmed), mask);
  return JSON.stringify(masked).length <= MAX_RECORDED_CONFIRMATION ? { confirmed: masked } : {};
}

function maskDeep(value: unknown, mask: (text: string) => string): unknown {
  if (typeof value === 'string') return mask(value);
  if (Array.isArray(value)) return value.map((item) => maskDeep(item, mask));
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, maskDeep(v, mask)]));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Input as recorded in the audit log: secrets and certificates removed, passwords inside URIs and DSNs masked. */
export function redact(value: unknown): unknown {
  if (typeof value === 'string') return redactSecretsInText(value);
  if (Array.isArray(value)) return value.map(redact);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !['dryRun', 'reason'].includes(key))
      .map(([key, v]) => [key, SECRET_FIELDS.test(key) ? (v === undefined ? v : '[redacted]') : redact(v)]),
  );
}
