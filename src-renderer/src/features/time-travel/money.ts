import type { DefinitionEntry } from '../../../../src-shared/schemas/time-travel';

export type MoneyFields = NonNullable<DefinitionEntry['money']>;
type MoneyField = MoneyFields[string];

function valueAt(state: unknown, path: string): unknown {
  let here: unknown = state;
  for (const key of path.split('.')) {
    if (here === null || typeof here !== 'object') return undefined;
    here = (here as Record<string, unknown>)[key];
  }
  return here;
}

/** The money fields the named definition declares, from the definitions list. */
export function moneyOf(definitions: readonly DefinitionEntry[] | undefined, name: string | undefined): MoneyFields | undefined {
  return definitions?.find((d) => d.name === name)?.money;
}

/** `3,055.48 EUR` for 305548 cents in a state whose `currency` is EUR; undefined for what is not an amount. */
export function moneyText(amount: unknown, field: MoneyField, state: unknown): string | undefined {
  if (typeof amount !== 'number' || !Number.isFinite(amount)) return undefined;
  const scale = field.scale ?? 2;
  const currency = field.currency ?? (field.currencyField ? valueAt(state, field.currencyField) : undefined);
  const text = (amount / 10 ** scale).toLocaleString('en-US', { minimumFractionDigits: scale, maximumFractionDigits: scale });
  return typeof currency === 'string' && currency !== '' ? `${text} ${currency}` : text;
}
