/**
 * The feed reads forward only, so "the latest" is found by probing: which event
 * comes after position P? Doubling the step, then halving the gap, finds the
 * last matching position in about 2·log2(N) one-event reads.
 */
export async function findLatestPosition(eventAfter: (position: bigint) => Promise<bigint | undefined>): Promise<bigint | undefined> {
  // `last` is an event's position; nothing matches after `high`.
  let last = await eventAfter(0n);
  if (last === undefined) return undefined;
  let step = 1n;
  for (let next = await eventAfter(last + step); next !== undefined; next = await eventAfter(last + step)) {
    last = next;
    step *= 2n;
  }
  let high: bigint = last + step;
  let low: bigint = last;
  while (high - low > 1n) {
    const middle: bigint = (low + high) / 2n;
    const next = await eventAfter(middle);
    if (next === undefined) high = middle;
    else {
      low = next;
      last = next;
    }
  }
  return last;
}
