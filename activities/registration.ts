/**
 * The names a worker registers Tributary's activities under. createActivities keys them by their own
 * names (`beginRun`), as the workflows address them; a worker registers them prefixed
 * (`tributaryBeginRun`) so they sit beside a user's activities without clashing. A dedicated Tributary
 * worker also registers the bare names, for runs that scheduled activities under them before the prefix.
 */
import { prefixedActivityName } from '../workflows/names';

type AnyActivity = (...args: never[]) => Promise<unknown>;

export function registeredActivities(
  activities: Record<string, AnyActivity>,
  options: { legacyNames?: boolean } = {},
): Record<string, AnyActivity> {
  const registered: Record<string, AnyActivity> = {};
  for (const [name, fn] of Object.entries(activities)) {
    registered[prefixedActivityName(name)] = fn;
    if (options.legacyNames) registered[name] = fn;
  }
  return registered;
}
