import type { LagSecondsBasis } from '../../../../src-shared/schemas/kafka';
import { formatSeconds } from './kafka-view';

/** What each basis of a lag in seconds means, shown beside the figure and on hover. */
export const BASIS_LABELS: Partial<Record<LagSecondsBasis, { label: string; title: string }>> = {
  exact: { label: 'exact', title: 'Exact: now minus the timestamp of the oldest unconsumed message (the one at the committed offset)' },
  interpolated: { label: 'interpolated', title: "Interpolated: when the log's end offset stood at the committed offset, from the sampled end offsets" },
  extrapolated: { label: 'extrapolated', title: 'Extrapolated from the sampled rate: the committed offset is older than the oldest end offset sampled' },
};

/** A lag in seconds with how it was found ("exact" or "interpolated"); caught-up and unknown figures need no label. */
export function LagSeconds({ seconds, basis, testId }: { seconds: number | undefined; basis: LagSecondsBasis | undefined; testId?: string }) {
  const label = seconds !== undefined && basis ? BASIS_LABELS[basis] : undefined;
  return (
    <span title={label?.title} data-basis={basis} {...(testId ? { 'data-testid': testId } : {})}>
      {formatSeconds(seconds)}
      {label && <span className={`kafka__basis kafka__basis--${basis}`}>{label.label}</span>}
    </span>
  );
}
