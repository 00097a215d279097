import { join } from 'node:path';
import { appSettings, DEFAULT_SETTINGS, MAX_KAFKA_LAG_MS, type AppSettings, type SettingsUpdate } from '../../../src-shared/schemas/settings';
import { readJsonIfExists, writeFileAtomic } from '../util/files';
import { SerialQueue } from '../util/serial-queue';

/**
 * The user's settings in `settings.json` of the data directory. A file that is
 * missing, unreadable or no longer valid (an older or hand-edited one) gives the
 * defaults for whatever it got wrong, never a failure to start.
 */
export class SettingsStore {
  private readonly file: string;
  private readonly writes = new SerialQueue();

  constructor(dataDir: string) {
    this.file = join(dataDir, 'settings.json');
  }

  async get(): Promise<AppSettings> {
    const raw = await readJsonIfExists<Record<string, unknown>>(this.file).catch(() => undefined);
    return mergeValid(DEFAULT_SETTINGS, withinLimits(raw ?? {}));
  }

  /** Applies a validated change and saves the whole result atomically. */
  update(change: SettingsUpdate): Promise<AppSettings> {
    return this.writes.run(async () => {
      const current = await this.get();
      const next = appSettings.parse({
        timeZone: change.timeZone ?? current.timeZone,
        theme: change.theme ?? current.theme,
        pageSizes: { ...current.pageSizes, ...change.pageSizes },
        sampling: { ...current.sampling, ...change.sampling },
        driftChecks: { ...current.driftChecks, ...change.driftChecks },
      });
      await writeFileAtomic(this.file, `${JSON.stringify(next, null, 2)}\n`);
      return next;
    });
  }
}

/** Each saved group that still validates is kept; the rest falls back to the defaults. */
function mergeValid(defaults: AppSettings, saved: Record<string, unknown>): AppSettings {
  const pick = <K extends keyof AppSettings>(key: K): AppSettings[K] => {
    const candidate =
      typeof defaults[key] === 'object' && typeof saved[key] === 'object' ? { ...(defaults[key] as object), ...(saved[key] as object) } : saved[key];
    const parsed = appSettings.shape[key].safeParse(candidate);
    return parsed.success ? (parsed.data as AppSettings[K]) : defaults[key];
  };
  return { timeZone: pick('timeZone'), theme: pick('theme'), pageSizes: pick('pageSizes'), sampling: pick('sampling'), driftChecks: pick('driftChecks') };
}

/** Limits lowered since a file was saved: a value past one is brought to it, not the whole group reset. */
function withinLimits(saved: Record<string, unknown>): Record<string, unknown> {
  const sampling = saved.sampling as { kafkaLagMs?: unknown } | undefined;
  if (typeof sampling?.kafkaLagMs !== 'number' || sampling.kafkaLagMs <= MAX_KAFKA_LAG_MS) return saved;
  return { ...saved, sampling: { ...sampling, kafkaLagMs: MAX_KAFKA_LAG_MS } };
}
