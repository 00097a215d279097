import { useEffect, useState } from 'react';
import type { AppSettings } from '../../../../src-shared/schemas/settings';
import { messageOf } from '../../client/errors';
import { useMutationOp, useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { SegmentedField, TextField } from '../../ui/inputs';
import { KeyValueList } from '../../ui/KeyValue';
import { Panel } from '../../ui/Panel';
import { formatTimestamp, zoneLabel } from '../../ui/time';
import './settings.css';

type NumberDraft = { streams: string; events: string; feed: string; checkpointLagS: string; kafkaLagS: string; driftMinutes: string };

const draftOf = (s: AppSettings): NumberDraft => ({
  streams: String(s.pageSizes.streams),
  events: String(s.pageSizes.events),
  feed: String(s.pageSizes.feed),
  checkpointLagS: String(s.sampling.checkpointLagMs / 1000),
  kafkaLagS: String(s.sampling.kafkaLagMs / 1000),
  driftMinutes: String(s.driftChecks.everyMinutes),
});

/** Preferences kept by the main process in the data directory: time zone and theme apply at once, numbers on Save. */
export function SettingsScreen() {
  const { data, error } = useOperation('settings.get', {});
  const update = useMutationOp('settings.update');
  const [draft, setDraft] = useState<NumberDraft | undefined>(undefined);
  useEffect(() => {
    if (data && draft === undefined) setDraft(draftOf(data.settings));
  }, [data, draft]);

  if (error)
    return (
      <Alert tone="danger" title="Could not read the settings">
        {messageOf(error)}
      </Alert>
    );
  if (!data || !draft) return <div className="empty-state">Loading settings…</div>;
  const { settings } = data;
  const field = (key: keyof NumberDraft) => ({ value: draft[key], onChange: (value: string) => setDraft({ ...draft, [key]: value.replace(/[^\d.]/g, '') }) });
  const saveNumbers = () =>
    update.mutate({
      pageSizes: { streams: Number(draft.streams), events: Number(draft.events), feed: Number(draft.feed) },
      sampling: { checkpointLagMs: Math.round(Number(draft.checkpointLagS) * 1000), kafkaLagMs: Math.round(Number(draft.kafkaLagS) * 1000) },
      driftChecks: { everyMinutes: Math.round(Number(draft.driftMinutes)) },
      reason: 'Settings screen',
    });
  const dirty = JSON.stringify(draft) !== JSON.stringify(draftOf(settings));
  // The host names the field it refused (e.g. "pageSizes.feed: …"): shown under that field.
  const refused = update.error ? messageOf(update.error) : '';
  const errorsFor = (path: string) => (refused.includes(path) ? [refused] : undefined);
  const now = new Date().toISOString();

  return (
    <div className="settings" data-testid="settings-screen">
      <Panel title="Display">
        <SegmentedField
          label="Time zone"
          value={settings.timeZone}
          options={[
            { value: 'local', label: `Local (${zoneLabel(new Date(), 'local')})` },
            { value: 'utc', label: 'UTC' },
          ]}
          onChange={(timeZone) => update.mutate({ timeZone, reason: 'Settings screen' })}
          testId="settings-zone"
        />
        <p className="muted settings__hint" data-testid="settings-zone-example">
          Times show as <span className="mono">{formatTimestamp(now, settings.timeZone)}</span> (24-hour, the zone written beside them; hover for ISO 8601 with
          the offset). Typed times use the same format.
        </p>
        <SegmentedField
          label="Theme"
          value={settings.theme}
          options={[
            { value: 'light', label: 'Light' },
            { value: 'dark', label: 'Dark' },
          ]}
          onChange={(theme) => update.mutate({ theme, reason: 'Settings screen' })}
          testId="settings-theme"
        />
      </Panel>

      <Panel title="Lists and sampling">
        <div className="settings__grid">
          <TextField label="Streams per page" hint="20 to 1000" {...field('streams')} errors={errorsFor('pageSizes.streams')} testId="settings-page-streams" />
          <TextField
            label="Stream events per page"
            hint="20 to 1000"
            {...field('events')}
            errors={errorsFor('pageSizes.events')}
            testId="settings-page-events"
          />
          <TextField label="Feed events per page" hint="20 to 1000" {...field('feed')} errors={errorsFor('pageSizes.feed')} testId="settings-page-feed" />
          <TextField
            label="Checkpoint lag sampling (s)"
            hint="How often projection lag is sampled"
            {...field('checkpointLagS')}
            errors={errorsFor('sampling.checkpointLagMs')}
            testId="settings-sampling-checkpoint"
          />
          <TextField
            label="Kafka lag sampling (s)"
            hint="How often consumer-group lag is sampled"
            {...field('kafkaLagS')}
            errors={errorsFor('sampling.kafkaLagMs')}
            testId="settings-sampling-kafka"
          />
          <TextField
            label="Read-model drift check (min)"
            hint="How often each read model is checked against the log; 0 turns it off"
            {...field('driftMinutes')}
            errors={errorsFor('driftChecks.everyMinutes')}
            testId="settings-drift-minutes"
          />
        </div>
        <div className="settings__actions">
          <Button variant="primary" size="sm" disabled={!dirty} busy={update.isPending} onClick={saveNumbers} data-testid="settings-save">
            Save
          </Button>
          {dirty && (
            <Button size="sm" variant="ghost" onClick={() => setDraft(draftOf(settings))}>
              Undo changes
            </Button>
          )}
          {update.isSuccess && !dirty && (
            <span className="muted" data-testid="settings-saved">
              Saved.
            </span>
          )}
        </div>
        {refused && !['pageSizes', 'sampling'].some((p) => refused.includes(p)) && (
          <Alert tone="danger" title="Not saved">
            {refused}
          </Alert>
        )}
      </Panel>

      <Panel title="Storage">
        <KeyValueList
          items={[
            [
              'Data directory',
              <span className="mono" data-testid="settings-data-dir">
                {data.dataDir}
              </span>,
            ],
          ]}
        />
        <p className="muted settings__hint">
          Connection profiles, the audit log, exports, jobs and these settings live here. Start Chronoscope with another data directory to keep them apart.
        </p>
      </Panel>
    </div>
  );
}
