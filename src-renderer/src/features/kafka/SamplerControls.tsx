import { useState } from 'react';
import type { KafkaSamplerSettings } from '../../../../src-shared/schemas/kafka';
import { messageOf } from '../../client/errors';
import { useMutationOp } from '../../client/operation-hooks';
import { Button } from '../../ui/Button';

/** The SLO drawn on the charts and whether the group is pinned for sampling, saved in the engine's settings. */
export function SamplerControls({ settings, connectionId, groupId }: { settings: KafkaSamplerSettings; connectionId: string; groupId: string }) {
  const [slo, setSlo] = useState(String(settings.sloSeconds));
  const configure = useMutationOp('kafka.configureSampler');
  const pinned = (settings.pinned[connectionId] ?? []).includes(groupId);
  const togglePin = () => {
    const others = (settings.pinned[connectionId] ?? []).filter((g) => g !== groupId);
    configure.mutate({ pinned: { ...settings.pinned, [connectionId]: pinned ? others : [...others, groupId] } });
  };
  const saveSlo = () => {
    const value = Number(slo);
    if (Number.isFinite(value) && value >= 0 && value !== settings.sloSeconds) configure.mutate({ sloSeconds: value });
  };
  return (
    <div className="kafka-sampler">
      <label className="kafka-sampler__slo">
        SLO (s){' '}
        <input
          className="input"
          type="number"
          min={0}
          step={0.5}
          value={slo}
          onChange={(e) => setSlo(e.target.value)}
          onBlur={saveSlo}
          onKeyDown={(e) => e.key === 'Enter' && saveSlo()}
          data-testid="kafka-slo"
        />
      </label>
      <Button
        size="sm"
        onClick={togglePin}
        busy={configure.isPending}
        title={settings.scope === 'all' ? 'The sampler samples all groups now; pinned groups are kept when it samples only pinned ones' : undefined}
        data-testid="kafka-pin"
      >
        {pinned ? 'Unpin' : 'Pin'}
      </Button>
      {configure.error && <span className="kafka-sampler__error">{messageOf(configure.error)}</span>}
    </div>
  );
}
