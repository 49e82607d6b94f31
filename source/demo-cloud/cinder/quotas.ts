/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
/*
Cinder quota sets, absolute limits, and the two fixed documents (extensions, availability zones).
*/
import {requireAdmin} from '../auth.js';
import {
	HttpError,
	isRecord,
	jsonBody,
	type Router,
} from '../http.js';
import type {Quotas} from '../state.js';
import type {Call, Cinder} from './shared.js';

export function addQuotaRoutes(router: Router<Call>, cinder: Cinder): void {
	const {state} = cinder;

	const quotaKeys: Array<keyof Quotas> = ['volumes', 'gigabytes', 'snapshots', 'backups', 'backup_gigabytes'];

	router.add('GET', 'os-quota-sets/:project', (call, {project = ''}) => {
		if (project !== call.auth.project.id) {
			requireAdmin(call.auth, 'volume_extension:quotas:show');
		}

		const quota = state.quotaOf(project);
		const usage = state.usageOf(project);
		const isWithUsage = ['true', 'True', '1'].includes(call.context.query.get('usage') ?? '');
		const set: Record<string, unknown> = {id: project, per_volume_gigabytes: -1, groups: 10};
		for (const key of quotaKeys) {
			set[key] = isWithUsage
				? {
					limit: quota[key], in_use: usage[key], reserved: 0, allocated: 0,
				}
				: quota[key];
		}

		return {status: 200, json: {quota_set: set}};
	});

	router.add('PUT', 'os-quota-sets/:project', (call, {project = ''}) => {
		requireAdmin(call.auth, 'volume_extension:quotas:update');
		const spec = jsonBody(call.context)['quota_set'];
		if (!isRecord(spec)) {
			throw new HttpError(400, 'Missing required element quota_set in request body.');
		}

		const quota = {...state.quotaOf(project)};
		for (const key of quotaKeys) {
			const value = spec[key];
			if (value === undefined) {
				continue;
			}

			const number = Number(value);
			if (!Number.isSafeInteger(number) || number < -1) {
				throw new HttpError(400, `Invalid input received: Quota ${key} must be an integer >= -1.`);
			}

			quota[key] = number;
		}

		state.quotas.set(project, quota);
		return {status: 200, json: {quota_set: quota}};
	});

	router.add('GET', 'limits', call => {
		const quota = state.quotaOf(call.projectId);
		const usage = state.usageOf(call.projectId);
		return {
			status: 200,
			json: {
				limits: {
					rate: [],
					absolute: {
						maxTotalVolumes: quota.volumes,
						maxTotalVolumeGigabytes: quota.gigabytes,
						maxTotalSnapshots: quota.snapshots,
						maxTotalBackups: quota.backups,
						maxTotalBackupGigabytes: quota.backup_gigabytes,
						totalVolumesUsed: usage.volumes,
						totalGigabytesUsed: usage.gigabytes,
						totalSnapshotsUsed: usage.snapshots,
						totalBackupsUsed: usage.backups,
						totalBackupGigabytesUsed: usage.backup_gigabytes,
					},
				},
			},
		};
	});

	router.add('GET', 'extensions', () => ({status: 200, json: {extensions: []}}));
	router.add('GET', 'os-availability-zone', () => ({status: 200, json: {availabilityZoneInfo: [{zoneName: 'nova', zoneState: {available: true}}]}}));
}
