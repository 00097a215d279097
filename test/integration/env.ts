/** URLs of the real services started by `scripts/services start` (printed by `scripts/services env`). */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite with \`bun run test\` (it starts scripts/services) or eval "$(scripts/services env)"`);
  return value;
}

const list = (name: string) => required(name).split(',');

/** One Kafka broker the Kafka features are tested against (scripts/services runs a 3.9 and a 4.x one). */
export interface KafkaUnderTest {
  /** The Apache Kafka release, e.g. "3.9.1" or "4.4.0". */
  version: string;
  brokers: string[];
  /** The SASL_PLAINTEXT listener, PLAIN mechanism, user `saslUser`. */
  saslBrokers: string[];
  saslUser: string;
  saslPassword: string;
}

export const testServices = {
  get postgresUrl() {
    return required('CHRONO_TEST_PG_URL');
  },
  get mongoUrl() {
    return required('CHRONO_TEST_MONGO_URL');
  },
  get kafkaBrokers() {
    return list('CHRONO_TEST_KAFKA_BROKERS');
  },
  /** Both brokers; a test file that loops over them fails to load when either is missing, as it must in CI. */
  get kafkaClusters(): KafkaUnderTest[] {
    const sasl = { saslUser: required('CHRONO_TEST_KAFKA_SASL_USER'), saslPassword: required('CHRONO_TEST_KAFKA_SASL_PASSWORD') };
    return [
      {
        version: required('CHRONO_TEST_KAFKA_VERSION'),
        brokers: list('CHRONO_TEST_KAFKA_BROKERS'),
        saslBrokers: list('CHRONO_TEST_KAFKA_SASL_BROKERS'),
        ...sasl,
      },
      {
        version: required('CHRONO_TEST_KAFKA4_VERSION'),
        brokers: list('CHRONO_TEST_KAFKA4_BROKERS'),
        saslBrokers: list('CHRONO_TEST_KAFKA4_SASL_BROKERS'),
        ...sasl,
      },
    ];
  },
  /** The Kafka 4 broker's jars (its own client classes, e.g. a KIP-848 consumer). */
  get kafka4Libs() {
    return required('CHRONO_TEST_KAFKA4_LIBS');
  },
};
