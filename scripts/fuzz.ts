/**
 * `npm run fuzz -- --cases N` runs N random cases of the model-based test (test/model) from a random base
 * seed (`--base B` fixes it); `npm run fuzz -- --seed S` replays the one case of seed S (`--seed 2,8`:
 * those cases). A failing case's name starts with its seed. Other flags are passed to vitest.
 * A seed's history also depends on which features are on, so replay in the same environment:
 * MODEL_KILLS=0 generates no worker kills, MODEL_BACKFILL_CHANGE_LOGS=1 also runs backfills beside
 * profile and segments imports (see BACKFILL_BESIDE_CHANGE_LOGS in the test).
 */
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const env: Record<string, string> = {};
const rest: string[] = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  const value = () => {
    const v = args[++i];
    if (v === undefined || !/^\d+(,\d+)*$/.test(v)) {
      console.error(`${a} takes a whole number (--seed: or several, comma-separated)`);
      process.exit(2);
    }
    return v;
  };
  if (a === '--cases') env.FUZZ_CASES = value();
  else if (a === '--seed') env.FUZZ_SEED = value();
  else if (a === '--base') env.FUZZ_BASE_SEED = value();
  else rest.push(a);
}
if (!env.FUZZ_CASES && !env.FUZZ_SEED) env.FUZZ_CASES = '20';
const started = Date.now();
const r = spawnSync('npx', ['vitest', 'run', 'test/model', ...rest], {
  stdio: 'inherit',
  env: { ...process.env, ...env },
});
console.log(
  `fuzz: ${env.FUZZ_SEED ? `seed ${env.FUZZ_SEED}` : `${env.FUZZ_CASES} cases`} in ${Math.round((Date.now() - started) / 1000)} s, exit ${r.status}`,
);
process.exit(r.status ?? 1);
