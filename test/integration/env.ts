/** URLs of the real services started by `scripts/services start` (printed by `scripts/services env`). */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite with \`bun run test\` (it starts scripts/services) or eval "$(scripts/services env)"`);
  return value;
}

export const testServices = {
  get postgresUrl() { return required('CHRONO_TEST_PG_URL'); },
  get mongoUrl() { return required('CHRONO_TEST_MONGO_URL'); },
  get kafkaBrokers() { return required('CHRONO_TEST_KAFKA_BROKERS').split(','); },
};
