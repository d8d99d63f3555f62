import type { FptrError } from './fptr-error';
import type { FptrApi } from './api';

/** An FptrApi whose every call rejects with `reason` (a site that could not be configured). */
export function unavailableApi(siteUrl: string, reason: FptrError): FptrApi {
  const fail = (): Promise<never> => Promise.reject(reason);
  return {
    siteUrl,
    serverInfo: fail,
    currentUser: fail,
    read: fail,
    search: fail,
    create: fail,
    update: fail,
    delete: fail,
    revive: fail,
    batch: fail,
    listDeliveries: fail,
    readDelivery: fail,
    acknowledge: fail,
    redeliver: fail,
    siteRequest: fail,
    requestUrl: fail,
    finishBeforeClose: (task) => task,
    listHooks: fail,
    readHook: fail,
    createHook: fail,
    updateHook: fail,
    testConnection: fail,
  };
}
