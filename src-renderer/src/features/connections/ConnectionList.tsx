import type { ConnectionView } from '../../../../src-shared/schemas/connections';
import { ConnectionRow } from './ConnectionRow';

interface ConnectionListProps {
  profiles: ConnectionView[];
  editingId: string | undefined;
  previewingId: string | undefined;
  onEdit: (profile: ConnectionView) => void;
  onRemove: (profile: ConnectionView) => void;
}

export function ConnectionList({ profiles, editingId, previewingId, onEdit, onRemove }: ConnectionListProps) {
  // The host lists the built-in Local workspace first; keep that order even if it changes.
  const ordered = [...profiles].sort((a, b) => Number(b.builtin) - Number(a.builtin));
  return (
    <div className="connection-table__scroll">
      <table className="data-table connection-table" data-testid="connection-list">
        <thead>
          <tr>
            <th className="connection-table__status">Status</th>
            <th>Name</th>
            <th className="optional-column">Kind</th>
            <th className="optional-column">Target</th>
            <th>Access</th>
            <th className="optional-column">Password</th>
            <th className="connection-table__actions">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {ordered.map((profile) => (
            <ConnectionRow
              key={profile.id}
              profile={profile}
              editing={profile.id === editingId}
              previewingRemoval={profile.id === previewingId}
              onEdit={() => onEdit(profile)}
              onRemove={() => onRemove(profile)}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}
