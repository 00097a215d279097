/**
 * One colour per series name (an event type) that stays the same across renders and ranges:
 * picked by a hash of the name, not by the name's place in the current data.
 */
export const SERIES_PALETTE = [
  '#1f5fbf',
  '#17803a',
  '#c26a00',
  '#8e44ad',
  '#c0282d',
  '#138d90',
  '#7a6a00',
  '#d4569c',
  '#4b6584',
  '#6ab04c',
  '#e1a100',
  '#0a7bbd',
];
/** The summed rest ("other") is always grey. */
export const OTHER_COLOR = '#8a94a3';

/** FNV-1a over the name's UTF-16 code units: small, fast, the same in every run. */
export function hashOf(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i += 1) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The name's own colour. */
export function colorOf(name: string): string {
  return SERIES_PALETTE[hashOf(name) % SERIES_PALETTE.length]!;
}

/**
 * Colours for the series drawn together. Each takes its own colour; where two names hash to the
 * same one, the later by name (not by data order) takes the next free colour, so the bars stay
 * apart and the choice still does not depend on which series comes first in the data.
 */
export function seriesColors(names: readonly string[], other?: string): Map<string, string> {
  const colors = new Map<string, string>();
  const taken = new Set<string>();
  for (const name of [...names].sort()) {
    if (name === other) {
      colors.set(name, OTHER_COLOR);
      continue;
    }
    const start = hashOf(name) % SERIES_PALETTE.length;
    let color = SERIES_PALETTE[start]!;
    for (let k = 1; taken.has(color) && k < SERIES_PALETTE.length; k += 1) color = SERIES_PALETTE[(start + k) % SERIES_PALETTE.length]!;
    taken.add(color);
    colors.set(name, color);
  }
  return colors;
}
