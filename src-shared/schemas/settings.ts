import { z } from 'zod';
import { changeFields } from './common';

const pageSize = (what: string) =>
  z.number().int(`${what} must be a whole number`).min(20, `${what} must be at least 20`).max(1000, `${what} must be at most 1000`);
const sampling = (what: string, maxMs = 3_600_000, maxText = '1 hour') =>
  z
    .number()
    .int(`${what} must be a whole number of milliseconds`)
    .min(1000, `${what} must be at least 1 s (1000 ms)`)
    .max(maxMs, `${what} must be at most ${maxText}`);

/** The Kafka lag sampler's longest interval (its own limit), so the setting that drives it has the same one. */
export const MAX_KAFKA_LAG_MS = 600_000;

/** The user's preferences, kept by the main process in the data directory. */
export const appSettings = z.strictObject({
  /** How times are shown and typed: the computer's zone or UTC. */
  timeZone: z.enum(['local', 'utc']),
  theme: z.enum(['light', 'dark']),
  /** Rows read per page on each screen. */
  pageSizes: z.strictObject({ streams: pageSize('pageSizes.streams'), events: pageSize('pageSizes.events'), feed: pageSize('pageSizes.feed') }),
  /** How often the engine samples lag in the background: projector checkpoints, and Kafka consumer groups (the Kafka screen's interval is this one). */
  sampling: z.strictObject({
    checkpointLagMs: sampling('sampling.checkpointLagMs'),
    kafkaLagMs: sampling('sampling.kafkaLagMs', MAX_KAFKA_LAG_MS, '10 minutes'),
  }),
  /** How often each read model with a definition is checked against the log in the background (a sample; every row of a small model); 0: never. */
  driftChecks: z.strictObject({
    everyMinutes: z
      .number()
      .int('driftChecks.everyMinutes must be a whole number of minutes')
      .min(0, 'driftChecks.everyMinutes must be 0 (off) or more')
      .max(1440, 'driftChecks.everyMinutes must be at most 1440 (a day)'),
  }),
});
export type AppSettings = z.output<typeof appSettings>;

export const DEFAULT_SETTINGS: AppSettings = {
  timeZone: 'local',
  theme: 'light',
  pageSizes: { streams: 200, events: 100, feed: 200 },
  sampling: { checkpointLagMs: 5000, kafkaLagMs: 5000 },
  driftChecks: { everyMinutes: 60 },
};

export const settingsView = z.object({
  settings: appSettings,
  /** Where Chronoscope keeps profiles, the audit log, exports and these settings (shown, not changed here). */
  dataDir: z.string(),
});

/** Any subset of the settings; what is left out keeps its value. */
export const settingsUpdateInput = z.strictObject({
  timeZone: appSettings.shape.timeZone.optional(),
  theme: appSettings.shape.theme.optional(),
  pageSizes: appSettings.shape.pageSizes.partial().optional(),
  sampling: appSettings.shape.sampling.partial().optional(),
  driftChecks: appSettings.shape.driftChecks.partial().optional(),
  ...changeFields,
});
export type SettingsUpdate = z.output<typeof settingsUpdateInput>;
