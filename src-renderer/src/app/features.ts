import { auditFeature } from '../features/audit/feature';
import { feedFeature, streamFeature, streamsFeature } from '../features/browse/feature';
import { chartsFeature } from '../features/charts/feature';
import { checkpointsFeature } from '../features/checkpoints/feature';
import { complianceFeature } from '../features/compliance/feature';
import { connectionsFeature } from '../features/connections/feature';
import { kafkaFeature } from '../features/kafka/feature';
import { overviewFeature } from '../features/overview/feature';
import { snapshotsFeature } from '../features/snapshots/feature';
import { rebuildsFeature } from '../features/rebuilds/feature';
import { settingsFeature } from '../features/settings/feature';
import { timeTravelFeature } from '../features/time-travel/feature';
import type { Feature } from './feature';
import { registerRoutes, type Route } from './routes';

/** Every screen, in sidebar order: a new screen is a feature folder and one line here. */
export const FEATURES: readonly Feature[] = [
  overviewFeature,
  connectionsFeature,
  streamsFeature,
  streamFeature,
  feedFeature,
  chartsFeature,
  checkpointsFeature,
  kafkaFeature,
  auditFeature,
  timeTravelFeature,
  complianceFeature,
  snapshotsFeature,
  rebuildsFeature,
  settingsFeature,
];

registerRoutes(FEATURES.map((feature) => feature.route));

const byRoute = new Map<Route, Feature>(FEATURES.map((feature) => [feature.route, feature]));

export function featureOf(route: Route): Feature {
  const feature = byRoute.get(route);
  if (!feature) throw new Error(`No feature is registered for the route "${route}".`);
  return feature;
}
