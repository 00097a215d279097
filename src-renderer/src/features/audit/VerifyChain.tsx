import { useState } from 'react';
import { useMutationOp } from '../../client/operation-hooks';
import type { ResultOf } from '../../../../src-shared/operations';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { shortHash } from '../../ui/format';

/** Re-reads the whole log and checks every record's hash links to the one before it. */
export function VerifyChain() {
  const verify = useMutationOp('audit.verify');
  return (
    <div className="verify-chain">
      <div className="verify-chain__bar">
        <p className="page-toolbar__intro">
          Every state-changing action is recorded here, newest first, before it runs and again when it ends. Each record carries a keyed hash of the one before
          it, so an edited, deleted or re-chained record breaks the chain.
        </p>
        <Button onClick={() => verify.mutate({})} busy={verify.isPending} data-testid="audit-verify">
          Verify chain
        </Button>
      </div>
      {verify.data && <VerifyReport report={verify.data} />}
      {verify.error && (
        <Alert tone="danger" title="Verification could not run" testId="audit-verify-result">
          {verify.error.message}
        </Alert>
      )}
    </div>
  );
}

/** The head to keep somewhere the log's writer cannot reach (a ticket, an e-mail): a rewritten log cannot reproduce it. */
function CopyHead({ head }: { head: { seq: number; hash: string } }) {
  const [copied, setCopied] = useState(false);
  const line = `Chronoscope audit head #${head.seq} ${head.hash} (verified ${new Date().toISOString()})`;
  return (
    <div className="verify-chain__head">
      <Button
        data-testid="audit-copy-head"
        onClick={() =>
          void navigator.clipboard?.writeText(line).then(
            () => setCopied(true),
            () => setCopied(false),
          )
        }
      >
        {copied ? 'Copied' : 'Copy chain head'}
      </Button>
      <span className="mono verify-chain__head-line" data-testid="audit-head-line">
        {line}
      </span>
    </div>
  );
}

function VerifyReport({ report }: { report: ResultOf<'audit.verify'> }) {
  const checked = `${report.checked} record${report.checked === 1 ? '' : 's'} checked`;
  if (report.ok) {
    return (
      <Alert tone="success" title="Chain intact" testId="audit-verify-result">
        {checked}
        {report.head && (
          <>
            ; head is #{report.head.seq}{' '}
            <span className="mono" title={report.head.hash}>
              {shortHash(report.head.hash)}
            </span>
          </>
        )}
        .
        {report.unknownOutcomes
          ? ` ${report.unknownOutcomes} change${report.unknownOutcomes === 1 ? '' : 's'} with outcome unknown (Chronoscope stopped before recording how ${report.unknownOutcomes === 1 ? 'it' : 'they'} ended): filter by "outcome unknown" and check their targets.`
          : ''}
        {report.keyedFrom ? ` Records before #${report.keyedFrom} were written before the chain was keyed.` : ''}
        {report.head && <CopyHead head={report.head} />}
      </Alert>
    );
  }
  return (
    <Alert tone="danger" title={`Chain broken: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}`} testId="audit-verify-result">
      <span>{checked}.</span>
      <ul className="verify-chain__problems">
        {report.problems.map((problem, index) => (
          <li key={index}>
            {problem.seq !== undefined && <span className="mono">#{problem.seq} </span>}
            {problem.line !== undefined && <span className="muted">(line {problem.line}) </span>}
            {problem.problem}
          </li>
        ))}
      </ul>
    </Alert>
  );
}
