/** Saves a value as a pretty-printed JSON file through a short-lived Blob URL. */
export function downloadJson(fileName: string, value: unknown): void {
  const blob = new Blob([`${JSON.stringify(value ?? null, null, 2)}\n`], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A file-name-safe form of a stream id. */
export function fileSafe(text: string): string {
  return text.replace(/[^\w.-]+/g, '_').slice(0, 80);
}

export type DiffPath = (string | number)[];

export function pathText(path: DiffPath): string {
  return path.length === 0 ? '(root)' : path.join('.');
}

export function valueText(value: unknown): string {
  if (value === undefined) return '—';
  return JSON.stringify(value);
}
