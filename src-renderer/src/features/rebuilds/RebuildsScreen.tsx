import { useState } from 'react';
import { useActiveConnection } from '../../app/active-connection';
import { useQueryState } from '../../app/routes';
import { useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Badge } from '../../ui/Badge';
import { Button } from '../../ui/Button';
import { Panel } from '../../ui/Panel';
import { CreateTargetForm } from './CreateTargetForm';
import { DriftCheck } from './DriftCheck';
import { LeftoverTables } from './LeftoverTables';
import { RebuildDetail } from './RebuildDetail';
import { RebuildWizard } from './RebuildWizard';
import './rebuilds.css';
import { formatTimestamp } from '../../ui/time';

/**
 * The read models of the active PostgreSQL or MongoDB connection (tables or collections), their rebuilds, and one rebuild's progress, diff, swap and roll back.
 */
export function RebuildsScreen() {
  const { active } = useActiveConnection();
  const [wizardFor, setWizardFor] = useState<string | undefined>();
  // In the address, so the Overview can open the drift check of a model (the demo's corrupted rows).
  const [driftFor, setDriftFor] = useQueryState(
    (query) => query.drift,
    (model: string | undefined) => ({ drift: model }),
    { history: 'push' },
  );
  const [selected, setSelected] = useQueryState(
    (query) => query.rebuild,
    (id: string | undefined) => ({ rebuild: id }),
    { history: 'push' },
  );
  const [creating, setCreating] = useState(false);
  const connectionId = active?.id ?? '';
  const supported = active?.kind === 'postgres' || active?.kind === 'mongo';
  const catalog = useOperation('rebuilds.catalog', { connectionId }, { enabled: supported, refetchInterval: 3000 });
  if (!active) return null;
  if (!supported)
    return (
      <Alert tone="info" title="Rebuilds need an event store connection">
        Choose a PostgreSQL or MongoDB connection: its read-model tables or collections are listed here.
      </Alert>
    );

  // Tables with a built-in definition first: those are the read models the reference projectors keep.
  const models = [...(catalog.data?.models ?? [])].sort((a, b) => Number(b.builtin !== null) - Number(a.builtin !== null) || a.model.localeCompare(b.model));
  const rebuild = models.flatMap((m) => m.rebuilds).find((r) => r.id === selected);
  return (
    <div className="rebuilds">
      {catalog.error && (
        <Alert tone="danger" title="Could not list the read models">
          {catalog.error.message}
        </Alert>
      )}
      <Panel
        title="Read models"
        testId="rebuild-catalog"
        flush
        actions={
          active.kind === 'postgres' && (
            <Button size="sm" onClick={() => setCreating(true)} data-testid="rebuild-new-target">
              New table from a definition…
            </Button>
          )
        }
      >
        <table className="rebuilds__table">
          <thead>
            <tr>
              <th>{active.kind === 'mongo' ? 'Collection' : 'Table'}</th>
              <th>Rows</th>
              <th>Definition</th>
              <th>Last rebuild</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {models.map((m) => {
              const last = m.rebuilds[0];
              return (
                <tr key={m.model} data-testid={`rebuild-model-${m.model}`}>
                  <td className="mono">{m.model}</td>
                  <td>{m.rows < 0 ? <span className="muted">unknown</span> : m.rows.toLocaleString('en-US')}</td>
                  <td>{m.builtin ?? <span className="muted">none built in: bring a definition</span>}</td>
                  <td>
                    {last ? (
                      <button type="button" className="rebuilds__link" onClick={() => setSelected(last.id)} data-testid={`rebuild-open-${m.model}`}>
                        <Badge tone={last.phase === 'swapped' ? 'success' : last.phase === 'indexed' ? 'info' : 'neutral'}>
                          {last.phase.replace('_', ' ')}
                        </Badge>{' '}
                        {formatTimestamp(last.updatedAt)}
                      </button>
                    ) : (
                      <span className="muted">never</span>
                    )}
                  </td>
                  <td className="rebuilds__row-actions">
                    <Button size="sm" onClick={() => setDriftFor(m.model)} data-testid={`drift-start-${m.model}`}>
                      Check for drift…
                    </Button>
                    <Button size="sm" onClick={() => setWizardFor(m.model)} data-testid={`rebuild-start-${m.model}`}>
                      Rebuild…
                    </Button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </Panel>
      <LeftoverTables connectionId={connectionId} rebuilds={models.flatMap((m) => m.rebuilds)} kind={models[0]?.kind} />
      {creating && (
        <CreateTargetForm
          connectionId={connectionId}
          onClose={() => setCreating(false)}
          onCreated={(model) => {
            setCreating(false);
            setWizardFor(model);
          }}
        />
      )}
      {/* After the catalog: opened from an address, the check must know whether the model has a built-in definition. */}
      {driftFor && catalog.data && (
        <DriftCheck
          key={driftFor}
          connectionId={connectionId}
          model={driftFor}
          hasBuiltin={models.find((m) => m.model === driftFor)?.builtin != null}
          collection={active.kind === 'mongo'}
          projector={projectorKey(models.find((m) => m.model === driftFor)?.projector, catalog.data.checkpoints)}
          onClose={() => setDriftFor(undefined)}
          onRepairStarted={(id) => {
            setSelected(id);
            void catalog.refetch();
          }}
        />
      )}
      {wizardFor && (
        <RebuildWizard
          connectionId={connectionId}
          model={wizardFor}
          kind={active.kind === 'mongo' ? 'collection' : 'table'}
          hasBuiltin={models.find((m) => m.model === wizardFor)?.builtin != null}
          onClose={() => setWizardFor(undefined)}
          onStarted={(id) => {
            setWizardFor(undefined);
            setSelected(id);
            // Read the new rebuild now rather than at the next poll: its progress is shown from the start.
            void catalog.refetch();
          }}
        />
      )}
      {rebuild && (
        <RebuildDetail
          key={rebuild.id}
          connectionId={connectionId}
          rebuild={rebuild}
          collection={active.kind === 'mongo'}
          checkpoints={catalog.data?.checkpoints ?? []}
          feedingProjector={rebuild.projector !== undefined ? rebuild.projector : (models.find((m) => m.model === rebuild.model)?.projector ?? null)}
        />
      )}
    </div>
  );
}

/** The checkpoint key of the projector that keeps a model (the catalog names it; its store comes from the checkpoint it matched). */
function projectorKey(
  projector: { name: string; source: string } | null | undefined,
  checkpoints: readonly { name: string; source: string; store?: string | undefined }[],
): { store: string; projector: string; source: string } | undefined {
  if (!projector) return undefined;
  const store = checkpoints.find((c) => c.name === projector.name && c.source === projector.source)?.store;
  return store ? { store, projector: projector.name, source: projector.source } : undefined;
}
