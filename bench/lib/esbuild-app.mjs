// esbuild as an app's bundler runs it, for the size benches: minified ESM for the browser,
// es2022, in memory.
export const ESBUILD_APP = {
  bundle: true,
  minify: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  write: false,
  logLevel: "silent",
};
