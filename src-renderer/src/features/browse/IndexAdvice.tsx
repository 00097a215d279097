import { useState } from 'react';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';

/** No index serves the filter: say so, with the DDL that would make it fast. */
export function IndexAdvice({ advice, testId }: { advice: { message: string; ddl?: string | undefined }[]; testId: string }) {
  return (
    <Alert tone="warning" title="This filter scans the table" testId={testId}>
      {advice.map((item, index) => (
        <div key={index} className="advice">
          <p className="advice__message">{item.message}</p>
          {item.ddl && (
            <div className="advice__ddl">
              <pre className="code-block" data-testid={`${testId}-ddl`}>
                <code>{item.ddl}</code>
              </pre>
              <CopyButton text={item.ddl} />
            </div>
          )}
        </div>
      ))}
    </Alert>
  );
}

function CopyButton({ text }: { text: string }) {
  const [copied, setCopied] = useState(false);
  const copy = () => {
    void navigator.clipboard
      ?.writeText(text)
      .then(() => {
        setCopied(true);
        setTimeout(() => setCopied(false), 1500);
      })
      .catch(() => undefined);
  };
  return (
    <Button size="sm" variant="ghost" onClick={copy} data-testid="copy-ddl">
      {copied ? 'Copied' : 'Copy'}
    </Button>
  );
}
