const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join } = require('node:path');

// webpack rather than esbuild: Nest's constructor injection needs TypeScript's decorator
// metadata, which esbuild does not emit. npm packages stay external (node_modules at run time).
module.exports = {
  output: { path: join(__dirname, '../../dist/apps/tunnel-api') },
  devtool: 'source-map',
  plugins: [
    new NxAppWebpackPlugin({
      target: 'node',
      compiler: 'tsc',
      main: './src/main.ts',
      tsConfig: './tsconfig.app.json',
      optimization: false,
      outputHashing: 'none',
      generatePackageJson: false,
      sourceMap: true,
      // The typecheck target type-checks; the build only transpiles.
      skipTypeChecking: true,
    }),
  ],
};
