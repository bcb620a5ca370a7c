/**
 * The end-to-end tests that run the whole engine on the real broker. They share the engine's
 * output topics and each loads the 2-core machine fully, so they run one after another (tests of
 * one file run sequentially), while the broker-free e2e tests run beside them.
 */
await import('./kafka-fleet.cases.ts');
await import('./demo-command.cases.ts');
await import('./live-view.cases.ts');
