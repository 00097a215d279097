import { useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { JsonScalar } from '../../ui/JsonTree';

/** The diff of a finished rebuild: counts, keys, and the changed fields of a sample of rows. */
export function RebuildDiffView({ connectionId, rebuildId }: { connectionId: string; rebuildId: string }) {
  const diff = useOperation('rebuilds.diff', { connectionId, rebuildId });
  if (diff.error)
    return (
      <Alert tone="danger" title="Could not compare">
        {diff.error.message}
      </Alert>
    );
  if (!diff.data) return <p className="muted">Comparing the shadow with the live model…</p>;
  const d = diff.data;
  const exportHref = `data:application/json;charset=utf-8,${encodeURIComponent(JSON.stringify(d, null, 2))}`;
  return (
    <div className="rebuilds__diff" data-testid="rebuild-diff">
      <p data-testid="rebuild-diff-summary">
        {d.identical
          ? `Identical: ${d.liveRows.toLocaleString('en-US')} rows on both sides.`
          : `Live ${d.liveRows.toLocaleString('en-US')} rows, shadow ${d.shadowRows.toLocaleString('en-US')}: ${d.changed.count} changed, ${d.onlyInLive.count} only in live, ${d.onlyInShadow.count} only in the shadow.`}{' '}
        <a href={exportHref} download={`rebuild-${rebuildId}-diff.json`}>
          Export JSON
        </a>
      </p>
      {d.changed.sample.length > 0 && (
        <table className="rebuilds__table">
          <thead>
            <tr>
              <th>Key</th>
              <th>Field</th>
              <th>Live</th>
              <th>Shadow</th>
            </tr>
          </thead>
          <tbody>
            {d.changed.sample.flatMap((row) =>
              row.fields.map((f) => (
                <tr key={`${row.key}.${f.field}`} data-testid="rebuild-diff-row">
                  <td className="mono">{row.key}</td>
                  <td className="mono">{f.field}</td>
                  <td className="rebuilds__old">
                    <JsonScalar value={f.live} />
                  </td>
                  <td className="rebuilds__new">
                    <JsonScalar value={f.shadow} />
                  </td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      )}
      {d.onlyInLive.keys.length > 0 && <p className="muted">Only in live: {d.onlyInLive.keys.slice(0, 10).join(', ')}</p>}
      {d.onlyInShadow.keys.length > 0 && <p className="muted">Only in the shadow: {d.onlyInShadow.keys.slice(0, 10).join(', ')}</p>}
    </div>
  );
}
