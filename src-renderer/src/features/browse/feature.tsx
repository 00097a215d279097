import type { Feature } from '../../app/feature';
import { FeedIcon, StreamsIcon } from '../../ui/icons';
import { FeedScreen } from './FeedScreen';
import { StreamScreen } from './StreamScreen';
import { StreamsScreen } from './StreamsScreen';

export const streamsFeature: Feature = { route: 'streams', title: 'Streams', icon: <StreamsIcon />, Screen: StreamsScreen };
/** A single stream is reached from the stream list, so that entry stays lit. */
export const streamFeature: Feature = { route: 'stream', title: 'Stream', navParent: 'streams', Screen: StreamScreen };
export const feedFeature: Feature = { route: 'feed', title: 'Global feed', icon: <FeedIcon />, Screen: FeedScreen };
