// Your own workflows, bundled by the worker as usual. Tributary's are added beside them by the plugin.
import { proxyActivities } from '@temporalio/workflow';

const { importBatch } = proxyActivities({ startToCloseTimeout: '30 seconds' });

export async function userImport(label) {
  return importBatch(label);
}
