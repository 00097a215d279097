import { describe, expect, it } from 'vitest';
import { GAP_AWARE_TOKEN, TokenFormatError, decodeAxonToken, encodeGapAwareToken } from '../../../src-main/stores/postgres/companions/axon-token';

const xml = (text: string) => Buffer.from(text, 'utf8');

describe('Axon tracking tokens', () => {
  it('reads a gap-aware token serialized by XStream: index and gaps', () => {
    const token = xml(
      `<org.axonframework.eventhandling.GapAwareTrackingToken><index>42</index><gaps class="java.util.concurrent.ConcurrentSkipListSet"><long>39</long><long>40</long></gaps></org.axonframework.eventhandling.GapAwareTrackingToken>`,
    );
    expect(decodeAxonToken(token, GAP_AWARE_TOKEN)).toEqual({ serialization: 'xml', tokenClass: 'GapAwareTrackingToken', index: '42', gaps: ['39', '40'] });
  });

  it('reads the same token serialized by Jackson', () => {
    expect(decodeAxonToken(xml('{"index":42,"gaps":[39,40]}'), GAP_AWARE_TOKEN)).toEqual({
      serialization: 'json',
      tokenClass: 'GapAwareTrackingToken',
      index: '42',
      gaps: ['39', '40'],
    });
  });

  it('reads a global-sequence token and a replay token (its current position and where the reset was)', () => {
    expect(
      decodeAxonToken(
        xml(
          '<org.axonframework.eventhandling.GlobalSequenceTrackingToken><globalIndex>7</globalIndex></org.axonframework.eventhandling.GlobalSequenceTrackingToken>',
        ),
        null,
      ),
    ).toMatchObject({
      tokenClass: 'GlobalSequenceTrackingToken',
      index: '7',
      gaps: [],
    });
    const replayXml = xml(
      `<org.axonframework.eventhandling.ReplayToken><tokenAtReset class="org.axonframework.eventhandling.GapAwareTrackingToken"><index>100</index><gaps/></tokenAtReset><currentToken class="org.axonframework.eventhandling.GapAwareTrackingToken"><index>12</index><gaps><long>11</long></gaps></currentToken></org.axonframework.eventhandling.ReplayToken>`,
    );
    expect(decodeAxonToken(replayXml, 'org.axonframework.eventhandling.ReplayToken')).toEqual({
      serialization: 'xml',
      tokenClass: 'ReplayToken',
      index: '12',
      gaps: ['11'],
      resetAt: '100',
    });
    const replayJson = xml('{"tokenAtReset":{"index":100,"gaps":[]},"currentToken":{"index":12,"gaps":[11]}}');
    expect(decodeAxonToken(replayJson, 'org.axonframework.eventhandling.ReplayToken')).toEqual({
      serialization: 'json',
      tokenClass: 'ReplayToken',
      index: '12',
      gaps: ['11'],
      resetAt: '100',
    });
  });

  it('writes a token without gaps that reads back, in either serialization', () => {
    for (const serialization of ['xml', 'json'] as const) {
      expect(decodeAxonToken(encodeGapAwareToken('9007199254740993', serialization), GAP_AWARE_TOKEN)).toMatchObject({
        serialization,
        index: '9007199254740993',
        gaps: [],
      });
    }
  });

  it('says why a token cannot be read', () => {
    expect(() => decodeAxonToken(Buffer.from([0xac, 0xed, 0x00, 0x05, 0xff]), GAP_AWARE_TOKEN)).toThrow(TokenFormatError);
    expect(() => decodeAxonToken(xml('not a token'), GAP_AWARE_TOKEN)).toThrow(/neither XML nor JSON/);
    expect(() => decodeAxonToken(xml('{"index":'), GAP_AWARE_TOKEN)).toThrow(/does not parse/);
  });
});
