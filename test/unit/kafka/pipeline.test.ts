import { describe, expect, it } from 'vitest';
import { assessPipeline, type PipelineReading } from '../../../src-main/engine/kafka/pipeline';
import type { PipelinePoint } from '../../../src-shared/schemas/kafka';

const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);
const point = (seconds: number, backlog: PipelinePoint['backlog'], positions: Partial<PipelinePoint> = {}): PipelinePoint => ({
  at: new Date(T0 + seconds * 1000).toISOString(),
  storeHead: 1000,
  relayed: 1000,
  unpublished: backlog.relay,
  topicEnd: 5000,
  committed: 4000,
  checkpoint: 4000,
  backlog,
  ...positions,
});
const reading = (p: PipelinePoint): PipelineReading => ({ topic: 't', point: p, partitions: [], notes: {} });

describe('where the pipeline is behind and its ETA', () => {
  it('is caught up with nothing waiting', () => {
    const now = point(60, { relay: 0, consumer: 0, projector: 0 });
    expect(assessPipeline(reading(now), [point(0, { relay: 0, consumer: 0, projector: 0 })], 'g', 'v')).toMatchObject({
      behindAt: null,
      etaSeconds: null,
      summary: 'The read model is caught up with the store.',
    });
  });

  it('names the stage holding the most and gives the ETA from how fast its backlog shrank', () => {
    // The consumer went from 1200 to 600 behind in 60 s (10/s net): 60 s to go; the relay clears 20 in 2 s.
    const before = point(0, { relay: 40, consumer: 1200, projector: 0 }, { committed: 3000 });
    const now = point(60, { relay: 20, consumer: 600, projector: 0 }, { committed: 4200 });
    const result = assessPipeline(reading(now), [before], 'orders', 'orders_view');
    expect(result.behindAt).toBe('consumer');
    expect(result.stages.find((s) => s.stage === 'consumer')).toMatchObject({ backlog: 600, ratePerSecond: 20, etaSeconds: 60 });
    expect(result.stages.find((s) => s.stage === 'relay')).toMatchObject({ backlog: 20, etaSeconds: 60 });
    expect(result.etaSeconds).toBe(60);
    expect(result.summary).toBe(
      'Behind at the consumer (group orders): 600 messages on the topic the group has not consumed. Caught up in about 60 s at the measured rates.',
    );
  });

  it('gives no ETA while a backlog grows, and asks whether a stage that moved nothing runs', () => {
    const before = point(0, { relay: 0, consumer: 10, projector: 0 });
    const now = point(30, { relay: 0, consumer: 25, projector: 0 });
    const result = assessPipeline(reading(now), [before], 'orders', 'orders_view');
    expect(result).toMatchObject({ behindAt: 'consumer', etaSeconds: null, measuredOverSeconds: 30 });
    expect(result.summary).toMatch(/It moved nothing in the last 30 s: is it running\?$/);
  });

  it('needs a second sample for rates', () => {
    const result = assessPipeline(reading(point(0, { relay: 5, consumer: 0, projector: null })), [], 'g', 'v');
    expect(result).toMatchObject({ behindAt: 'relay', etaSeconds: null, measuredOverSeconds: 0 });
    expect(result.summary).toMatch(/Rates need a second sample/);
  });
});
