export * from './testing/fixtures';
