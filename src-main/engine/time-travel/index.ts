export * from './diff';
export * from './definitions';
export * from './sandbox';
export * from './reconstruct';
