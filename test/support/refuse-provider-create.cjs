// Preloaded (NODE_OPTIONS=--require) into every Node process of one demo run by test/demo.test.ts:
// `etdi provider create` fails as a registry refusing the namespace would (exit 1), so the test
// sees how the demo reports a step that did not behave as expected. Other processes are untouched.
if (process.argv.includes('provider') && process.argv.includes('create')) {
  process.stderr.write('refused: provider-exists (simulated by test/demo.test.ts)\n');
  process.exit(1);
}
