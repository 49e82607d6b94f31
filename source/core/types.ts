/*
The OpenStack types the screens may name. ui/ never imports source/openstack itself: it sees the cloud through core.
*/
export type * from '../openstack/types.js';
export type {CloudSession, ServiceStatus} from '../openstack/api.js';
