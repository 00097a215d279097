/**
 * bun run reference:api [--pg URL] [--mongo URL] [--kafka host:port,...] [--port 8787] [--host 127.0.0.1] [--topic domain_events]
 * Environment fallbacks: CHRONO_REF_PG_URL, CHRONO_REF_MONGO_URL (with a database in its path), CHRONO_REF_KAFKA_BROKERS, PORT.
 */
import { integerFlag, readFlags } from '../cli-args';
import { startReferenceSystem } from './system';

async function main(): Promise<void> {
  const flags = readFlags(process.argv.slice(2), ['pg', 'mongo', 'kafka', 'port', 'host', 'topic']);
  const postgresUrl = flags.pg ?? process.env.CHRONO_REF_PG_URL;
  const mongoUrl = flags.mongo ?? process.env.CHRONO_REF_MONGO_URL;
  const brokers = flags.kafka ?? process.env.CHRONO_REF_KAFKA_BROKERS;
  if (!postgresUrl || !mongoUrl || !brokers) {
    throw new Error('Need --pg, --mongo and --kafka (or CHRONO_REF_PG_URL, CHRONO_REF_MONGO_URL, CHRONO_REF_KAFKA_BROKERS)');
  }
  const system = await startReferenceSystem({
    postgresUrl,
    mongoUrl,
    kafkaBrokers: brokers.split(',').map((b) => b.trim()),
    port: integerFlag(flags.port ?? process.env.PORT, 'port', 8787),
    host: flags.host,
    topic: flags.topic,
  });
  const shutdown = () => {
    console.log('stopping reference system');
    system.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(`reference API failed to start: ${(err as Error).message}`);
  process.exit(1);
});
