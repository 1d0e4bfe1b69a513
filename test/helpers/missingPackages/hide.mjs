// A module-resolution hook that makes the packages named in TRIBUTARY_TEST_HIDE (comma-separated) missing,
// failing exactly as Node fails for a package that is not installed, while the shared node_modules keeps them.
import { register } from 'node:module';

register(new URL('./hideHooks.mjs', import.meta.url), {
  data: (process.env.TRIBUTARY_TEST_HIDE ?? '').split(',').filter(Boolean),
});
