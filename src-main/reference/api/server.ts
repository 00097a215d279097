import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ZodError } from 'zod';
import type { CommandContext } from '../commands/handlers';
import { ConcurrencyConflictError, DomainRuleViolation, InvalidCommandError } from '../errors';
import type { Reply, Route } from './routes';

const MAX_BODY_BYTES = 1 << 20;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'too_large', `Body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalid_json', 'The body is not valid JSON');
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Maps errors to statuses the client can act on: 409 retry after reload, 422 fix the request, 400 fix the input. */
export function errorReply(err: unknown): Reply {
  if (err instanceof HttpError) return { status: err.status, body: { code: err.code, message: err.message } };
  if (err instanceof ZodError) return { status: 400, body: { code: 'invalid_command', message: 'The request body is invalid', details: err.issues } };
  if (err instanceof InvalidCommandError) return { status: 400, body: { code: 'invalid_command', message: err.message } };
  if (err instanceof ConcurrencyConflictError)
    return { status: 409, body: { code: 'concurrency_conflict', message: err.message, aggregateId: err.aggregateId, expectedVersion: err.expectedVersion } };
  if (err instanceof DomainRuleViolation) return { status: err.code === 'not_found' ? 404 : 422, body: { code: err.code, message: err.message } };
  return { status: 500, body: { code: 'internal', message: 'Internal error' } };
}

/**
 * The reference system's HTTP API on node:http. Commands answer 202 Accepted
 * with the event id; `Idempotency-Key` makes a command safe to retry;
 * `X-Correlation-Id` and `X-User-Id` flow into the event metadata.
 */
export function createApiServer(routes: Route[], onError: (err: unknown) => void = (err) => console.error(err)): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      let reply: Reply;
      try {
        const path = new URL(req.url ?? '/', 'http://localhost').pathname;
        const candidates = routes.filter((r) => r.pattern.test(path));
        const route = candidates.find((r) => r.method === req.method);
        if (!route)
          throw candidates.length > 0
            ? new HttpError(405, 'method_not_allowed', `${req.method} not allowed on ${path}`)
            : new HttpError(404, 'not_found', `No route for ${path}`);
        const params = (route.pattern.exec(path) ?? []).slice(1).map(decodeURIComponent);
        const body = req.method === 'POST' ? await readJson(req) : undefined;
        const context: CommandContext = {
          commandId: header(req, 'idempotency-key'),
          correlationId: header(req, 'x-correlation-id'),
          userId: header(req, 'x-user-id') ?? 'api',
        };
        reply = await route.handle(params, body, context);
      } catch (err) {
        reply = errorReply(err);
        if (reply.status >= 500) onError(err);
      }
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.body));
    })();
  });
}
