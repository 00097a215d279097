/**
 * Axon tracking tokens as `token_entry` stores them: serialized by XStream (XML)
 * or Jackson (JSON). Read: a GapAwareTrackingToken's index and gaps, a
 * GlobalSequenceTrackingToken's globalIndex, a ReplayToken's current token.
 * Written: a GapAwareTrackingToken without gaps, in the serialization found.
 */

export const GAP_AWARE_TOKEN = 'org.axonframework.eventhandling.GapAwareTrackingToken';

export interface DecodedToken {
  serialization: 'xml' | 'json';
  /** Simple class name of the outer token. */
  tokenClass: string;
  /** Decimal string: the highest global index the processor has seen. */
  index: string | null;
  /** Positions below `index` not seen yet (a transaction may still fill them). */
  gaps: string[];
  /** A ReplayToken's position where the reset happened. */
  resetAt?: string | null;
}

export class TokenFormatError extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeAxonToken(bytes: Buffer, tokenType: string | null): DecodedToken {
  let text: string;
  try {
    text = utf8.decode(bytes).trim();
  } catch {
    throw new TokenFormatError('the token is binary (Java serialization?), not XML or JSON');
  }
  const tokenClass = (tokenType ?? '').split('.').pop() ?? '';
  if (text.startsWith('<')) return decodeXml(text, tokenClass);
  if (text.startsWith('{')) return decodeJson(text, tokenClass);
  throw new TokenFormatError('the token is neither XML nor JSON');
}

function decodeXml(xml: string, tokenClass: string): DecodedToken {
  const root = /^<([\w.$-]+)/.exec(xml)?.[1] ?? tokenClass;
  const rootClass = root.split('.').pop() ?? root;
  const section = (name: string, text: string) => new RegExp(`<${name}\\b[^>]*>([\\s\\S]*?)</${name}>`).exec(text)?.[1];
  if (rootClass === 'ReplayToken') {
    const current = section('currentToken', xml);
    const reset = section('tokenAtReset', xml);
    const inner = current !== undefined ? xmlPosition(current) : { index: null, gaps: [] };
    return { serialization: 'xml', tokenClass: rootClass, ...inner, resetAt: reset !== undefined ? xmlPosition(reset).index : null };
  }
  return { serialization: 'xml', tokenClass: rootClass, ...xmlPosition(xml) };
}

function xmlPosition(xml: string): { index: string | null; gaps: string[] } {
  const index = /<(?:index|globalIndex)>\s*(\d+)\s*</.exec(xml)?.[1] ?? null;
  const gapsXml = /<gaps\b[^>]*>([\s\S]*?)<\/gaps>/.exec(xml)?.[1] ?? '';
  const gaps = [...gapsXml.matchAll(/<long>\s*(\d+)\s*<\/long>/g)].map((m) => m[1]!);
  return { index, gaps };
}

function decodeJson(text: string, tokenClass: string): DecodedToken {
  let value: unknown;
  try {
    // Positions past 2^53 would lose digits as numbers: long integer literals are read as strings.
    value = JSON.parse(text.replace(/([:[,]\s*)(\d{16,})(?=\s*[,\]}])/g, '$1"$2"'));
  } catch {
    throw new TokenFormatError('the token looks like JSON but does not parse');
  }
  const obj = (v: unknown) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {});
  const root = obj(value);
  if (tokenClass === 'ReplayToken' || 'currentToken' in root || 'tokenAtReset' in root) {
    return { serialization: 'json', tokenClass: 'ReplayToken', ...jsonPosition(obj(root.currentToken)), resetAt: jsonPosition(obj(root.tokenAtReset)).index };
  }
  return { serialization: 'json', tokenClass: tokenClass || ('gaps' in root ? 'GapAwareTrackingToken' : 'GlobalSequenceTrackingToken'), ...jsonPosition(root) };
}

function jsonPosition(token: Record<string, unknown>): { index: string | null; gaps: string[] } {
  const num = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? String(v) : typeof v === 'string' && /^\d+$/.test(v) ? v : null);
  const index = num(token.index) ?? num(token.globalIndex);
  const gaps = Array.isArray(token.gaps) ? token.gaps.map(num).filter((g): g is string => g !== null) : [];
  return { index, gaps };
}

/** A GapAwareTrackingToken at `index` without gaps, as the serializer in use writes it. */
export function encodeGapAwareToken(index: string, serialization: 'xml' | 'json'): Buffer {
  const text =
    serialization === 'json'
      ? `{"index":${index},"gaps":[]}`
      : `<${GAP_AWARE_TOKEN}><index>${index}</index><gaps class="java.util.concurrent.ConcurrentSkipListSet"/></${GAP_AWARE_TOKEN}>`;
  return Buffer.from(text, 'utf8');
}
