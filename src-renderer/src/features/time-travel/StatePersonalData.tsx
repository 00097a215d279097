import type { z } from 'zod';
import type { timeTravelStateResult } from '../../../../src-shared/schemas/time-travel';
import { PersonalDataBadge } from '../../ui/PersonalData';

type Summary = NonNullable<z.output<typeof timeTravelStateResult>['personalData']>;

/** Says whether the replayed state holds personal data decrypted (and shredded fields), or still sealed. */
export function StatePersonalData({ summary }: { summary: Summary }) {
  if (summary.mode === 'encrypted') {
    return (
      <div className="tt-note tt__muted" data-testid="tt-personal-data">
        <PersonalDataBadge state="encrypted" title={summary.note} /> {summary.note}
      </div>
    );
  }
  const subjects = `${summary.subjects} subject${summary.subjects === 1 ? '' : 's'}`;
  return (
    <div className="tt-note" data-testid="tt-personal-data">
      {summary.subjects > 0 && <PersonalDataBadge state="decrypted" />}
      {summary.shreddedFields > 0 && <PersonalDataBadge state="shredded" />} Folded with personal data decrypted ({subjects}
      {summary.shreddedFields > 0 ? `; ${summary.shreddedFields} field${summary.shreddedFields === 1 ? '' : 's'} shredded, shown as "[shredded]"` : ''}); this
      replay is recorded in the audit log.
    </div>
  );
}
