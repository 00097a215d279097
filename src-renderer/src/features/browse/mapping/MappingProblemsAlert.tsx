import { Alert } from '../../../ui/Alert';
import type { MappingProblems } from './mapping-problems';

/** The host's verdict on the mapping, every problem listed. */
export function MappingProblemsAlert({ message, problems, source }: { message: string; problems: MappingProblems; source: string }) {
  return (
    <Alert tone="danger" title={`This mapping does not fit ${source}`} testId="custom-mapping-error">
      {problems.lines.length > 0 ? (
        <ul className="mapping-problems" data-testid="custom-mapping-problems">
          {problems.lines.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      ) : (
        message
      )}
    </Alert>
  );
}
