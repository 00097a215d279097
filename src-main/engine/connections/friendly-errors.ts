import { ChronoError, type ErrorCode } from '../../../src-shared/errors';

/**
 * Turns driver errors (pg, mongodb, kafkajs, node:net/tls) into one message a
 * person can act on. Checks the error and its causes, innermost reasons first.
 */
export function explainConnectionError(err: unknown, where: string): ChronoError {
  if (err instanceof ChronoError) return err;
  const chain = causeChain(err);
  const text = chain.map((e) => `${e.name ?? ''} ${e.message ?? ''} ${e.code ?? ''}`).join(' | ');
  const codes = new Set(chain.map((e) => String(e.code ?? '')));
  const fail = (code: ErrorCode, message: string) => new ChronoError(code, message, { cause: firstMessage(chain) });

  if (
    codes.has('28P01') ||
    /password authentication failed|Authentication failed|SASL Authentication failed|AuthenticationFailed|SCRAM|invalid credentials/i.test(text)
  ) {
    return fail('auth_failed', `${where} rejected the user name or password.`);
  }
  if (codes.has('28000')) return fail('auth_failed', `${where} refused this user (no such role, or not allowed by pg_hba.conf).`);
  if (codes.has('3D000')) return fail('not_found', `${where}: ${firstMessage(chain)}.`);
  if (/does not support SSL|SSL off|server does not support/i.test(text)) {
    return fail('tls_error', `${where} does not accept TLS connections; set TLS/SSL mode to "disable" or enable TLS on the server.`);
  }
  if (/wrong version number|EPROTO|secure TLS connection|certificate|self[- ]signed|unable to verify|ERR_SSL|TLS|SSL/i.test(text)) {
    return fail('tls_error', `TLS handshake with ${where} failed (${firstMessage(chain)}); check the TLS setting and CA certificate.`);
  }
  if (codes.has('ENOTFOUND') || codes.has('EAI_AGAIN') || /getaddrinfo|ENOTFOUND/.test(text)) {
    return fail('host_not_found', `The host of ${where} could not be resolved; check the host name.`);
  }
  if (codes.has('ECONNREFUSED') || /ECONNREFUSED|Connection refused/i.test(text)) {
    return fail(
      'connection_refused',
      `${capitalise(where)} is not reachable: nothing is listening there. Check host and port, and that the server is running.`,
    );
  }
  if (codes.has('ETIMEDOUT') || /timeout|timed out|Server selection timed out/i.test(text)) {
    return fail('timeout', `${where} did not answer in time; check host, port, firewall and TLS settings.`);
  }
  if (codes.has('ECONNRESET') || /socket hang up|ECONNRESET|closed/i.test(text)) {
    return fail('unavailable', `${where} closed the connection (${firstMessage(chain)}); a TLS or protocol mismatch is likely.`);
  }
  return fail('unavailable', `${where}: ${firstMessage(chain)}`);
}

interface ErrorLike {
  name?: string;
  message?: string;
  code?: string | number;
}

function causeChain(err: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  let current: unknown = err;
  for (let depth = 0; current && depth < 6; depth += 1) {
    if (typeof current !== 'object') {
      chain.push({ message: String(current) });
      break;
    }
    const e = current as ErrorLike & { cause?: unknown; originalError?: unknown; reason?: unknown; errors?: unknown[] };
    chain.push(e);
    // Mongo's ServerSelectionError keeps the real reason in `reason`; Node's AggregateError in `errors`.
    if (Array.isArray(e.errors) && e.errors[0]) chain.push(...causeChain(e.errors[0]));
    current = e.cause ?? e.originalError ?? mongoReason(e.reason);
  }
  return chain;
}

function mongoReason(reason: unknown): unknown {
  if (!reason || typeof reason !== 'object') return undefined;
  const servers = (reason as { servers?: Map<string, { error?: unknown }> }).servers;
  if (servers instanceof Map) for (const server of servers.values()) if (server.error) return server.error;
  return undefined;
}

function firstMessage(chain: ErrorLike[]): string {
  const found = [...chain].reverse().find((e) => e.message) ?? chain[0];
  return (found?.message ?? 'unknown error').replace(/\s+/g, ' ').trim().slice(0, 300);
}

/** A PostgreSQL server error as `pg` (and PGlite's socket) reports it: a SQLSTATE and a severity. */
interface PostgresErrorLike {
  code: string;
  severity?: string;
  message?: string;
  detail?: string;
  hint?: string;
  table?: string;
  column?: string;
}

/** A MongoDB driver error: its class name, and a server error's numeric code and code name. */
interface MongoErrorLike {
  name: string;
  message?: string;
  code?: number | string;
  codeName?: string;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Turns a driver error thrown anywhere below a handler (pg, mongodb, node:net)
 * into a ChronoError whose message says what to do; the driver's own words go to
 * `details` only. Anything else is returned as it was.
 */
export function explainDriverError(err: unknown): unknown {
  if (err instanceof ChronoError || !err || typeof err !== 'object') return err;
  const chain = causeChain(err);
  const postgres = (chain as object[]).find(isPostgresError);
  if (postgres) return explainPostgresError(postgres);
  const mongo = (chain as object[]).find(isMongoError);
  if (mongo) return explainMongoError(mongo, err);
  const message = redactUris(firstMessage(chain));
  const codes = new Set(chain.map((e) => String(e.code ?? '')));
  // A connection cut mid-session, or `pg`'s own client-side words for it (they carry no code).
  if (codes.has('ECONNRESET') || codes.has('EPIPE') || /^Connection terminated|not queryable|Client was closed/i.test(message)) {
    return new ChronoError('unavailable', 'The connection to the database was lost; try again, and check that the server is running if it persists.', {
      driverMessage: message,
    });
  }
  if ([...codes].some((code) => NETWORK_CODES.has(code))) {
    const explained = explainConnectionError(err, 'the server');
    return new ChronoError(explained.code, capitalise(explained.message), { driverMessage: message });
  }
  if (/timeout exceeded when trying to connect|Query read timeout/i.test(message)) {
    return new ChronoError('timeout', 'The database did not answer in time; try again, and check the server and the network if it persists.', {
      driverMessage: message,
    });
  }
  return err;
}

function isPostgresError(e: object): e is PostgresErrorLike {
  const { code, severity } = e as { code?: unknown; severity?: unknown };
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && typeof severity === 'string';
}

function isMongoError(e: object): e is MongoErrorLike {
  const name = (e as { name?: unknown }).name;
  return typeof name === 'string' && name.startsWith('Mongo');
}

const REDETECT = 'Run the schema detection again and confirm a preset or a custom mapping that fits.';

function explainPostgresError(e: PostgresErrorLike): ChronoError {
  const details = {
    sqlState: e.code,
    driverMessage: redactUris(e.message ?? ''),
    ...(e.detail ? { detail: redactUris(e.detail) } : {}),
    ...(e.hint ? { hint: e.hint } : {}),
    ...(e.table ? { table: e.table } : {}),
    ...(e.column ? { column: e.column } : {}),
  };
  const fail = (code: ErrorCode, message: string) => new ChronoError(code, message, details);
  const state = e.code;
  const named = (pattern: RegExp) => pattern.exec(e.message ?? '')?.[1];
  switch (state) {
    case '42883': // undefined_function: e.g. "operator does not exist: text - text"
    case '42804': // datatype_mismatch
    case '42846': // cannot_coerce
    case '42725': // ambiguous_function
      return fail(
        'unavailable',
        `A column of this store has a type the confirmed mapping cannot read (for example text where a number is needed). ${REDETECT}`,
      );
    case '42703': {
      const column = named(/column "?([^"\s]+)"? (?:of relation "[^"]+" )?does not exist/);
      return fail('not_found', `A column the confirmed mapping reads${column ? ` (${column})` : ''} no longer exists. ${REDETECT}`);
    }
    case '42P01':
    case '3F000': {
      const table = named(/(?:relation|schema) "([^"]+)" does not exist/);
      return fail(
        'not_found',
        `The table the confirmed mapping reads${table ? ` (${table})` : ''} no longer exists or is not visible to this user. ${REDETECT}`,
      );
    }
    case '42501':
      return fail('forbidden', 'This database user may not read the event tables; grant it SELECT on them, or connect as a user who may.');
    case '22P02': // invalid_text_representation
    case '22007': // invalid_datetime_format
    case '22008': // datetime_field_overflow
    case '22003': // numeric_value_out_of_range
      return fail(
        'invalid_input',
        `A value could not be read as the type the query needs; check the values you entered, and that the mapping's columns hold what their roles expect. ${REDETECT}`,
      );
    case '57014':
      return fail(
        'timeout',
        'The database stopped the query before it finished (a statement timeout, or an administrator cancelled it); narrow the read with filters or a time range, or try again.',
      );
    case '40001':
    case '40P01':
      return fail('conflict', 'The database broke off the query to resolve a conflict with another transaction; try again.');
    case '25006':
      return fail('read_only', 'The database only accepts reads here (a standby, or a read-only transaction); connect to the primary to make changes.');
    case '28P01':
      return fail('auth_failed', 'The database server rejected the user name or password; check them in the connection settings.');
    case '28000':
      return fail(
        'auth_failed',
        'The database server refused this user (no such role, or not allowed by pg_hba.conf); check the user, or ask the administrator to allow it.',
      );
    case '3D000':
      return fail('not_found', 'The database named in the connection does not exist; check the database name in the connection settings.');
    default:
      break;
  }
  if (state.startsWith('08') || state.startsWith('57P') || state === '53300') {
    return fail('unavailable', 'The database server closed or refused the connection; try again, and check that the server is running if it persists.');
  }
  if (state.startsWith('53'))
    return fail('unavailable', 'The database server is out of resources (memory, disk or connections); try again later, or ask its administrator.');
  return fail(
    'unavailable',
    `The database refused the request (SQLSTATE ${state}); check the connection and its mapping. The database's own words are in the error details.`,
  );
}

function explainMongoError(e: MongoErrorLike, original: unknown): ChronoError {
  const details = {
    driverError: e.name,
    ...(e.codeName ? { codeName: e.codeName } : {}),
    ...(e.code !== undefined ? { mongoCode: e.code } : {}),
    driverMessage: redactUris(e.message ?? ''),
  };
  const fail = (code: ErrorCode, message: string) => new ChronoError(code, message, details);
  if (/Network|ServerSelection|Topology|PoolClosed/.test(e.name)) {
    const explained = explainConnectionError(original, 'the MongoDB server');
    return fail(explained.code, capitalise(explained.message));
  }
  if (e.name === 'MongoParseError' || e.name === 'MongoInvalidArgumentError' || e.name === 'MongoAPIError') {
    return fail('invalid_input', 'The MongoDB driver refused the request as malformed; check the connection settings and the mapping.');
  }
  switch (e.codeName ?? Number(e.code)) {
    case 'Unauthorized':
    case 13:
      return fail('forbidden', 'This MongoDB user may not read the collection; grant it the read role on the database, or connect as a user who may.');
    case 'AuthenticationFailed':
    case 18:
      return fail('auth_failed', 'The MongoDB server rejected the user name or password; check them in the connection settings.');
    case 'MaxTimeMSExpired':
    case 50:
      return fail('timeout', 'MongoDB stopped the query before it finished; narrow the read with filters or a time range, or try again.');
    case 'BadValue':
    case 2:
    case 'FailedToParse':
    case 9:
    case 'DollarPrefixedFieldName':
    case 52:
    case 'EmptyFieldName':
    case 56:
      return fail(
        'invalid_input',
        'MongoDB refused a field name or value of the request (a name starting with "$", an empty name, or a malformed value); check the mapping\'s field names and the values you entered.',
      );
    case 'NamespaceNotFound':
    case 26:
      return fail('not_found', `The collection the confirmed mapping reads no longer exists. ${REDETECT}`);
    default:
      return fail(
        'unavailable',
        `MongoDB refused the request${e.codeName ? ` (${e.codeName})` : ''}; check the connection and its mapping. MongoDB's own words are in the error details.`,
      );
  }
}

/** Credentials inside URIs (`scheme://user:password@host`) never travel, not even in details. */
function redactUris(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1***@');
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
