/**
 * The retry policy of every activity the workflows call: transient failures (a source or the store
 * unreachable, a worker gone) are retried with backoff without end; a configuration error (a missing
 * table or column, a bad mapping) is not, since retrying cannot fix it.
 */
export const ACTIVITY_RETRY = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  nonRetryableErrorTypes: ['ConfigurationError'],
};
