import type { PgSubjectData } from './pg-subject-data';

/** What the compliance service needs of a store, whichever backend holds it (PgSubjectData, MongoSubjectData). */
export type SubjectData = Pick<
  PgSubjectData,
  | 'indexAdvice'
  | 'subjectsByEmail'
  | 'subjectsByIdentifier'
  | 'countEvents'
  | 'findMentions'
  | 'countSnapshots'
  | 'countReadModels'
  | 'countKeys'
  | 'subjectEvents'
  | 'snapshotRows'
  | 'readModelRows'
  | 'keyCache'
  | 'shred'
  | 'keyIds'
  | 'ownsPersonalData'
  | 'redactedForm'
  | 'updateRefusal'
  | 'planRedaction'
  | 'applyRedaction'
  | 'purgeReadModels'
  | 'deleteSnapshots'
>;
