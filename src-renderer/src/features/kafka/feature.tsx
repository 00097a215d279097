import type { Feature } from '../../app/feature';
import { KafkaIcon } from './KafkaIcon';
import { KafkaScreen } from './KafkaScreen';

export const kafkaFeature: Feature = { route: 'kafka', title: 'Kafka', icon: <KafkaIcon />, Screen: KafkaScreen };
