import type { DataType } from '../../domain/importSpec';
import { eventLoader } from './events';
import { identityLoader } from './identities';
import { groupLoader, segmentLoader } from './memberships';
import { profileLoader } from './profiles';
import type { Loader } from './types';

export const loaders: Record<DataType, Loader> = {
  profile: profileLoader,
  activity: eventLoader,
  segments: segmentLoader,
  identity: identityLoader,
  group: groupLoader,
};
export { type Counts, type LoadContext, type Loader, type MergeResult, zeroCounts } from './types';
