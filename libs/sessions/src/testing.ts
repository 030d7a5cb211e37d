export * from './testing/fixtures';
export * from './testing/seeded-random';
