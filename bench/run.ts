/**
 * Runs every benchmark and prints its figures (events/s, ms, MB). Targets are
 * read from the output, never asserted. Needs the services: eval "$(scripts/services env)".
 * Usage: bun run bench [--events N]
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { events: { type: 'string', default: '200000' } } });

const benches: { name: string; file: string; args: string[] }[] = [
  { name: 'reference generator → PostgreSQL (COPY)', file: 'bench/reference-generator.ts', args: ['--events', values.events] },
  { name: 'browse: time to first page, memory while paging', file: 'bench/browse-first-page.ts', args: ['--events', values.events] },
  { name: 'time travel: 1M-event replay, state near the end from a snapshot', file: 'bench/time-travel.ts', args: [] },
  { name: 'snapshots: bulk verification of 100-event streams', file: 'bench/snapshots.ts', args: ['--streams', '5000', '--runs', '3'] },
  // FerretDB 1.x sorts and groups in memory, so its figures are taken on a smaller store (see README, Performance).
  {
    name: 'browse on MongoDB (FerretDB): time to first page',
    file: 'bench/browse-first-page-mongo.ts',
    args: ['--events', '50000', '--runs', '3', '--page-through', '5000'],
  },
];

let failed = 0;
for (const bench of benches) {
  console.log(`\n== ${bench.name} ==`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', bench.file, ...bench.args], { stdio: 'inherit' });
  if (run.status !== 0) failed += 1;
}
process.exit(failed ? 1 : 0);
