const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join } = require('node:path');

/**
 * The webpack config of a Nest app. webpack rather than esbuild: Nest's constructor injection
 * needs TypeScript's decorator metadata, which esbuild does not emit. npm packages stay external
 * (node_modules at run time); the build writes a package.json and lock of just the packages the
 * app imports, which its container image installs. This file is a project of its own
 * (build-tools), so the apps' builds take it as an input and their package lists stay free of
 * the tools' packages. The typecheck target type-checks, the build only transpiles.
 */
module.exports = function nestAppWebpack(app) {
  return {
    output: { path: join(__dirname, '../../dist/apps', app) },
    devtool: 'source-map',
    plugins: [
      new NxAppWebpackPlugin({
        target: 'node',
        compiler: 'tsc',
        main: './src/main.ts',
        tsConfig: './tsconfig.app.json',
        optimization: false,
        outputHashing: 'none',
        generatePackageJson: true,
        sourceMap: true,
        skipTypeChecking: true,
      }),
    ],
  };
};
