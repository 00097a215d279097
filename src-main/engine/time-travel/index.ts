// Time travel: replays of one stream (reconstruct), the remembered states that shorten them (replay-cache),
// diffs, and the service the engine's operations call. Definitions and the sandbox live in ../definitions.
export * from './diff';
export * from './reconstruct';
