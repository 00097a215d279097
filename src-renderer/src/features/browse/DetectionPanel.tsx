import { useState } from 'react';
import type { PresetNameInput } from '../../../../src-shared/schemas/browse';
import { presetName } from '../../../../src-shared/schemas/browse';
import { messageOf } from '../../client/errors';
import { useMutationOp, useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Badge } from '../../ui/Badge';
import { Button } from '../../ui/Button';
import { Panel } from '../../ui/Panel';
import { CustomMappingForm } from './mapping/CustomMappingForm';

const KNOWN_PRESETS: readonly string[] = presetName.options;

interface DetectionPanelProps {
  connectionId: string;
  connectionName: string;
  kind?: 'postgres' | 'mongo' | 'kafka' | undefined;
  /** Shown to change a confirmed mapping: closes the panel (also after a successful change). */
  onClose?: () => void;
}

/**
 * Shown when the connection has no confirmed event-store preset (or to change it):
 * the presets the host recognises in the live schema, with the evidence, one click
 * to confirm; or a custom mapping of any table.
 */
export function DetectionPanel({ connectionId, connectionName, kind, onClose }: DetectionPanelProps) {
  const detection = useOperation('stores.detect', { connectionId });
  const configure = useMutationOp('stores.configure', { onSuccess: () => onClose?.() });
  // Open at first when the custom mapping is what is confirmed, or when nothing else fits.
  const [customChoice, setCustomOpen] = useState<boolean | undefined>(undefined);
  const candidates = [...(detection.data?.candidates ?? [])].sort((a, b) => b.confidence - a.confidence);
  const nearMisses = detection.data?.nearMisses ?? [];
  const confirmedPreset = detection.data?.confirmed;
  const customOpen = customChoice ?? (detection.data !== undefined && (confirmedPreset === 'custom' || candidates.length === 0));
  const what = kind === 'mongo' ? 'collection' : 'table';

  return (
    <Panel
      title={confirmedPreset || detection.error ? `Event-store mapping of “${connectionName}”` : `Which event store is “${connectionName}”?`}
      testId="store-detection"
      actions={
        onClose && (
          <Button size="sm" variant="ghost" onClick={onClose} data-testid="store-detection-close">
            Close
          </Button>
        )
      }
    >
      <div className="detection">
        <p className="muted detection__intro">
          {detection.error && !detection.data
            ? `Chronoscope could not look at the ${what}s of this connection, so it cannot say which layout they follow.`
            : confirmedPreset
              ? `This connection is read with the “${confirmedPreset}” mapping. Confirm another preset found in its schema, or map a ${what} yourself.`
              : candidates.length > 0
                ? `No event-store layout is confirmed for this connection yet. Chronoscope looked at its ${what}s and proposes the presets below; confirm the one that matches to browse streams and the global feed, or map a ${what} yourself.`
                : `No event-store layout is confirmed for this connection yet. Chronoscope looked at its ${what}s and found no preset that opens them as they are; map a ${what} yourself.`}{' '}
          The choice is recorded in the audit log.
        </p>
        {detection.isPending && <div className="empty-state">Inspecting the schema…</div>}
        {detection.error && (
          <Alert tone="danger" title="Could not inspect the schema">
            {detection.error.message}
          </Alert>
        )}
        {configure.error && (
          <Alert tone="danger" title="The preset does not fit this schema" testId="store-configure-error">
            {messageOf(configure.error)}
          </Alert>
        )}
        {detection.data && candidates.length === 0 && nearMisses.length === 0 && !confirmedPreset && (
          <Alert tone="warning" title="No known event-store layout found">
            None of the supported presets matches the tables of this database: map the {what} that holds the events below.
          </Alert>
        )}
        {candidates.length > 0 && (
          <ul className="detection__list">
            {candidates.map((candidate) => {
              const known = KNOWN_PRESETS.includes(candidate.preset);
              const confirmed = detection.data?.confirmed === candidate.preset;
              return (
                <li
                  key={`${candidate.preset}-${candidate.source}`}
                  className="detection__candidate"
                  data-testid="store-candidate"
                  data-preset={candidate.preset}
                >
                  <div className="detection__head">
                    <strong>{candidate.preset}</strong>
                    <span className="mono muted">{candidate.source}</span>
                    <Badge tone={confidenceTone(candidate.confidence)} title="How much of the preset's layout was found">
                      {Math.round(candidate.confidence * 100)}% match
                    </Badge>
                    {confirmed && <Badge tone="success">Confirmed</Badge>}
                    <Button
                      size="sm"
                      variant="primary"
                      className="detection__confirm"
                      disabled={!known}
                      busy={configure.isPending && configure.variables?.preset === candidate.preset}
                      data-testid="store-candidate-confirm"
                      onClick={() =>
                        configure.mutate({
                          connectionId,
                          preset: candidate.preset as PresetNameInput,
                          reason: `Confirmed detected preset ${candidate.preset} (${candidate.source})`,
                        })
                      }
                    >
                      Confirm
                    </Button>
                  </div>
                  {candidate.evidence.length > 0 && (
                    <ul className="detection__evidence">
                      {candidate.evidence.map((line) => (
                        <li key={line}>{line}</li>
                      ))}
                    </ul>
                  )}
                  {candidate.missing.length > 0 && (
                    <ul className="detection__evidence detection__evidence--missing">
                      {candidate.missing.map((line) => (
                        <li key={line}>Missing: {line}</li>
                      ))}
                    </ul>
                  )}
                </li>
              );
            })}
          </ul>
        )}
        {nearMisses.length > 0 && (
          <div className="detection__near-misses" data-testid="store-near-misses">
            <p className="muted">
              Near misses: shaped like a known layout, but that preset cannot read them as they are, so there is nothing to confirm. Fix the schema, or map the{' '}
              {what} yourself.
            </p>
            <ul className="detection__list">
              {nearMisses.map((miss) => (
                <li key={`${miss.preset}-${miss.source}`} className="detection__candidate" data-testid="store-near-miss" data-preset={miss.preset}>
                  <div className="detection__head">
                    <strong>{miss.preset}</strong>
                    <span className="mono muted">{miss.source}</span>
                    <Badge tone="neutral" title="Shaped like this preset, but it would be refused">
                      near miss
                    </Badge>
                  </div>
                  <ul className="detection__evidence detection__evidence--missing">
                    {miss.reasons.map((line) => (
                      <li key={line}>{line}</li>
                    ))}
                  </ul>
                </li>
              ))}
            </ul>
          </div>
        )}
        <div>
          <Button
            size="sm"
            variant={customOpen ? 'ghost' : 'secondary'}
            onClick={() => setCustomOpen(!customOpen)}
            aria-expanded={customOpen}
            data-testid="custom-mapping-toggle"
          >
            {customOpen ? 'Hide the custom mapping' : `Map a custom ${what}…`}
          </Button>
        </div>
        {customOpen && (
          // Keyed by the confirmed mapping: the form starts over from it once it is known.
          <CustomMappingForm
            key={JSON.stringify(detection.data?.confirmedCustom ?? null)}
            connectionId={connectionId}
            confirmed={detection.data?.confirmedCustom}
            onConfigured={onClose}
          />
        )}
      </div>
    </Panel>
  );
}

function confidenceTone(confidence: number) {
  if (confidence >= 0.8) return 'success' as const;
  if (confidence >= 0.5) return 'warning' as const;
  return 'danger' as const;
}
