/*
The OpenStack client: everything the rest of backstack may import from source/openstack/.
*/
export type * from './api.js';
export type * from './types.js';
export {
	listConfiguredClouds, loadCloudConfig, redactConfig, supportedAuthTypes,
	type AuthOptions, type AuthType, type ConfigLocation, type ConfiguredCloud, type ResolvedCloudConfig,
} from './config.js';
export {
	ConfigError, isAbort, isForbidden, isNotFound, isOpenStackError, isQuota, isUnauthorized, OpenStackError, parseServiceMessage,
} from './errors.js';
export {
	defaultRetryPolicy, HttpClient, parseRetryAfter, redactUrl, type DebugSink, type FetchFunction, type RetryPolicy,
} from './http.js';
export {
	cinderMicroversionCap, novaMicroversionCap, openSession, type BackstackSession, type SessionDetails, type SessionOptions,
} from './session.js';
export {ChecksumMismatchError} from './glance.js';
export {utc} from './util.js';
