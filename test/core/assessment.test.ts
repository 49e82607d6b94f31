/* eslint-disable @typescript-eslint/naming-convention -- block_device_mapping entries are Nova's snake_case JSON */
import test from 'ava';
import {
	assess,
	defaultPolicy,
	defaultSeverities,
	formatAge,
	indexInventory,
	restorabilityOf,
	summarise,
	whyBackupUnusable,
} from '../../source/core/assessment.js';
import type {DrillRecord} from '../../source/core/drills.js';
import {
	backupMetaEncrypted,
	backupMetaSourceTypeId,
	backupMetaSourceTypeName,
	type Finding,
} from '../../source/core/model.js';
import {
	backup,
	daysAgo,
	drilledMetadata,
	hoursAgo,
	image,
	inventory,
	now,
	projectId,
	secret,
	server,
	snapshot,
	volume,
	volumeType,
} from './builders.js';

/**
The findings of the default policy on an inventory built from `fields`.
*/
function run(fields: Parameters<typeof inventory>[0]): Finding[] {
	return assess(inventory(fields), now, defaultPolicy);
}

function on(findings: Finding[], id: string): Finding[] {
	return findings.filter(finding => finding.resource.id === id);
}

function codes(findings: Finding[], id: string): string[] {
	return on(findings, id).map(finding => finding.code).toSorted();
}

function only(findings: Finding[], id: string, code: string): Finding {
	const matches = on(findings, id).filter(finding => finding.code === code);
	if (matches.length !== 1) {
		throw new Error(`expected one ${code} on ${id}, got ${JSON.stringify(on(findings, id))}`);
	}

	return matches[0]!;
}

test('defaultPolicy has a 24 h RPO, drills valid 30 days and no overrides', t => {
	t.deepEqual(defaultPolicy, {rpoHours: 24, severities: {}, drillMaxAgeDays: 30});
});

test('formatAge picks minutes, hours or days', t => {
	t.is(formatAge(5 * 60_000), '5 min');
	t.is(formatAge(26 * 3_600_000), '26 h');
	t.is(formatAge(96 * 3_600_000), '4 d');
});

// Volume protection

test('a volume with an available backup younger than the RPO is protected', t => {
	const findings = run({
		volumes: [volume({id: 'v1'})],
		backups: [backup({id: 'b1', volumeId: 'v1', createdAt: hoursAgo(3)})],
	});
	t.deepEqual(codes(findings, 'v1'), ['volume.protected']);
	const finding = only(findings, 'v1', 'volume.protected');
	t.is(finding.severity, 'ok');
	t.deepEqual(finding.related, [{kind: 'backup', id: 'b1', name: 'b1'}]);
});

test('a volume whose newest backup is older than the RPO is stale', t => {
	const findings = run({
		volumes: [volume({id: 'v1'})],
		backups: [backup({id: 'b1', volumeId: 'v1', createdAt: hoursAgo(30)})],
	});
	const finding = only(findings, 'v1', 'volume.stale');
	t.is(finding.severity, 'warning');
	t.regex(finding.reason, /30 h old/v);
	t.deepEqual(codes(findings, 'v1'), ['volume.stale']);
});

test('the RPO comes from the policy', t => {
	const inv = inventory({
		volumes: [volume({id: 'v1'})],
		backups: [backup({id: 'b1', volumeId: 'v1', createdAt: hoursAgo(30)})],
	});
	t.deepEqual(codes(assess(inv, now, {rpoHours: 48, severities: {}}), 'v1'), ['volume.protected']);
	t.deepEqual(codes(assess(inv, now, {rpoHours: 12, severities: {}}), 'v1'), ['volume.stale']);
});

test('data_timestamp, not creation time, dates a backup', t => {
	const findings = run({
		volumes: [volume({id: 'v1'})],
		backups: [backup({
			id: 'b1', volumeId: 'v1', createdAt: hoursAgo(1), dataTimestamp: hoursAgo(50),
		})],
	});
	t.deepEqual(codes(findings, 'v1'), ['volume.stale']);
});

test('a volume without backups or snapshots is unprotected (critical)', t => {
	const findings = run({volumes: [volume({id: 'v1'})]});
	const finding = only(findings, 'v1', 'volume.unprotected');
	t.is(finding.severity, 'critical');
	t.is(finding.reason, 'No backup');
	t.not(finding.action, '');
});

test('backups that are not available do not protect a volume', t => {
	const findings = run({
		volumes: [volume({id: 'v1'})],
		backups: [
			backup({
				id: 'b1', volumeId: 'v1', status: 'creating', createdAt: hoursAgo(1),
			}),
			backup({
				id: 'b2', volumeId: 'v1', status: 'deleting', createdAt: hoursAgo(2),
			}),
		],
	});
	t.deepEqual(codes(findings, 'v1'), ['volume.unprotected']);
	t.regex(only(findings, 'v1', 'volume.unprotected').reason, /"b1": status creating; "b2": status deleting/v);
});

test('another volume\'s backup does not protect a volume', t => {
	const findings = run({
		volumes: [volume({id: 'v1'}), volume({id: 'v2'})],
		backups: [backup({id: 'b1', volumeId: 'v2'})],
	});
	t.deepEqual(codes(findings, 'v1'), ['volume.unprotected']);
	t.deepEqual(codes(findings, 'v2'), ['volume.protected']);
});

test('a volume with only snapshots is snapshot-only, not protected', t => {
	const findings = run({
		volumes: [volume({id: 'v1'})],
		snapshots: [snapshot({id: 's1', volumeId: 'v1', createdAt: hoursAgo(1)})],
	});
	const finding = only(findings, 'v1', 'volume.snapshot-only');
	t.is(finding.severity, 'warning');
	t.deepEqual(finding.related, [{kind: 'snapshot', id: 's1', name: 's1'}]);
	t.deepEqual(codes(findings, 'v1'), ['volume.snapshot-only']);
});

test('a snapshot does not make a volume with a stale backup look better or worse: it stays stale', t => {
	const findings = run({
		volumes: [volume({id: 'v1'})],
		backups: [backup({id: 'b1', volumeId: 'v1', createdAt: hoursAgo(100)})],
		snapshots: [snapshot({id: 's1', volumeId: 'v1', createdAt: hoursAgo(1)})],
	});
	t.deepEqual(codes(findings, 'v1'), ['volume.stale']);
});

test('a volume whose last backup failed gets last-backup-error, with the fail reason', t => {
	const findings = run({
		volumes: [volume({id: 'v1'})],
		backups: [
			backup({id: 'b-old', volumeId: 'v1', createdAt: hoursAgo(40)}),
			backup({
				id: 'b-new', volumeId: 'v1', status: 'error', failReason: 'quota exceeded', createdAt: hoursAgo(1),
			}),
		],
	});
	t.deepEqual(codes(findings, 'v1'), ['volume.last-backup-error', 'volume.stale']);
	const finding = only(findings, 'v1', 'volume.last-backup-error');
	t.regex(finding.reason, /quota exceeded/v);
	t.deepEqual(finding.related, [{kind: 'backup', id: 'b-new', name: 'b-new'}]);
});

test('an old failed backup followed by a good one is not reported', t => {
	const findings = run({
		volumes: [volume({id: 'v1'})],
		backups: [
			backup({
				id: 'b-bad', volumeId: 'v1', status: 'error', createdAt: hoursAgo(10),
			}),
			backup({id: 'b-good', volumeId: 'v1', createdAt: hoursAgo(2)}),
		],
	});
	t.deepEqual(codes(findings, 'v1'), ['volume.protected']);
});

test('volumes holding no data (error, creating…) are not assessed', t => {
	const findings = run({volumes: [volume({id: 'v1', status: 'error'})]});
	t.deepEqual(codes(findings, 'v1'), ['volume.not-assessed']);
	t.is(only(findings, 'v1', 'volume.not-assessed').severity, 'info');
});

test('volumes are unknown, not unprotected, when backups could not be read', t => {
	const findings = run({
		volumes: [volume({id: 'v1'})],
		sources: {
			identity: {state: 'ok'},
			cinder: {state: 'forbidden', reason: 'backups: 403'},
			glance: {state: 'ok'},
			nova: {state: 'ok'},
			barbican: {state: 'ok'},
		},
		lists: {volumes: {state: 'ok'}, backups: {state: 'forbidden', reason: 'backups: 403'}},
	});
	t.deepEqual(codes(findings, 'v1'), ['volume.unknown']);
	const source = only(findings, projectId, 'source.unavailable');
	t.regex(source.reason, /cinder refused to be read/v);
});

// Incremental chains

test('an incremental backup without a full backup before it is critical and does not protect', t => {
	const findings = run({
		volumes: [volume({id: 'v1'})],
		backups: [
			backup({
				id: 'full', volumeId: 'v1', status: 'error', createdAt: hoursAgo(10),
			}),
			backup({
				id: 'inc', volumeId: 'v1', isIncremental: true, createdAt: hoursAgo(2),
			}),
		],
	});
	const finding = only(findings, 'inc', 'backup.incremental-without-full');
	t.is(finding.severity, 'critical');
	t.true(codes(findings, 'v1').includes('volume.unprotected'));
});

test('an incremental backup after an available full one is fine and protects', t => {
	const findings = run({
		volumes: [volume({id: 'v1'})],
		backups: [
			backup({id: 'full', volumeId: 'v1', createdAt: hoursAgo(100)}),
			backup({
				id: 'inc', volumeId: 'v1', isIncremental: true, createdAt: hoursAgo(2),
			}),
		],
	});
	t.deepEqual(codes(findings, 'inc'), ['backup.never-drilled']);
	t.deepEqual(codes(findings, 'v1'), ['volume.protected']);
});

test('a full backup made after the incremental does not repair it', t => {
	const findings = run({
		volumes: [volume({id: 'v1'})],
		backups: [
			backup({
				id: 'inc', volumeId: 'v1', isIncremental: true, createdAt: hoursAgo(20),
			}),
			backup({id: 'full', volumeId: 'v1', createdAt: hoursAgo(2)}),
		],
	});
	t.deepEqual(codes(findings, 'inc'), ['backup.incremental-without-full']);
	t.deepEqual(codes(findings, 'v1'), ['volume.protected']);
});

// Keys

test('an encrypted volume whose key is missing from Barbican is critical', t => {
	const findings = run({
		volumes: [volume({
			id: 'v1', encrypted: true, encryptionKeyId: 'k-gone', volumeType: 'LUKS', volumeTypeId: 'type-luks',
		})],
		backups: [backup({id: 'b1', volumeId: 'v1', encryptionKeyId: 'k-b1'})],
		secrets: [secret('k-b1')],
	});
	const finding = only(findings, 'v1', 'key.missing');
	t.is(finding.severity, 'critical');
	t.regex(finding.action, /from a backup whose key is present/v);
	t.deepEqual(finding.related, [{kind: 'secret', id: 'k-gone'}]);
	t.deepEqual(codes(findings, 'b1'), ['backup.never-drilled']);
});

test('an encrypted backup whose key is missing: restore impossible', t => {
	const findings = run({
		volumes: [volume({
			id: 'v1', encrypted: true, encryptionKeyId: 'k-v1', volumeType: 'LUKS', volumeTypeId: 'type-luks',
		})],
		backups: [backup({id: 'b1', volumeId: 'v1', encryptionKeyId: 'k-b1'})],
		secrets: [secret('k-v1')],
	});
	const finding = only(findings, 'b1', 'key.missing');
	t.regex(finding.reason, /restore impossible/v);
	// Its only backup would not restore: the volume is not protected by it (issue 18).
	t.deepEqual(codes(findings, 'v1'), ['volume.unprotected']);
	const verdict = only(findings, 'v1', 'volume.unprotected');
	t.is(verdict.severity, 'critical');
	t.regex(verdict.reason, /"b1": its encryption key is gone from Barbican/v);
	t.deepEqual(verdict.related, [{kind: 'backup', id: 'b1', name: 'b1'}]);
	const referenced = only(findings, 'k-b1', 'secret.referenced-missing');
	t.is(referenced.severity, 'critical');
	t.deepEqual(referenced.related, [{kind: 'backup', id: 'b1', name: 'b1'}]);
});

test('a key not in the list but found by ID is present; one Barbican refused is unknown', t => {
	const inv = inventory({
		volumes: [
			volume({id: 'v1', encrypted: true, encryptionKeyId: 'k-acl'}),
			volume({id: 'v2', encrypted: true, encryptionKeyId: 'k-refused'}),
		],
		secrets: [secret('k-acl')],
		secretLookups: {'k-acl': 'found', 'k-refused': 'forbidden'},
	});
	const findings = assess(inv, now, defaultPolicy);
	t.false(codes(findings, 'v1').includes('key.missing'));
	t.false(codes(findings, 'v1').includes('key.unknown'));
	t.true(codes(findings, 'v2').includes('key.unknown'));
	t.false(codes(findings, 'v2').includes('key.missing'));
	t.deepEqual(codes(findings, 'k-refused'), []);
});

test('keys are unknown, never fine, when Barbican could not be read', t => {
	const findings = run({
		volumes: [volume({id: 'v1', encrypted: true, encryptionKeyId: 'k-v1'})],
		backups: [backup({id: 'b1', volumeId: 'v1', encryptionKeyId: 'k-b1'})],
		images: [image({id: 'i1', cinderEncryptionKeyId: 'k-i1'})],
		secrets: undefined,
		sources: {
			identity: {state: 'ok'},
			cinder: {state: 'ok'},
			glance: {state: 'ok'},
			nova: {state: 'ok'},
			barbican: {state: 'missing', reason: 'no key-manager in the catalog'},
		},
	});
	for (const id of ['v1', 'b1', 'i1']) {
		const finding = only(findings, id, 'key.unknown');
		t.is(finding.severity, 'warning');
		t.regex(finding.reason, /Barbican could not be read/v);
	}

	t.regex(only(findings, projectId, 'source.unavailable').reason, /barbican is not available.*encryption keys could not be checked/v);
	t.false(findings.some(finding => finding.code === 'key.missing' || finding.code === 'secret.orphan'));
});

test('an encrypted volume without a key ID (old microversion) has an unknown key', t => {
	const findings = run({
		volumes: [volume({id: 'v1', encrypted: true})],
		backups: [backup({id: 'b1', volumeId: 'v1'})],
	});
	t.regex(only(findings, 'v1', 'key.unknown').reason, /3\.64/v);
	t.regex(only(findings, 'b1', 'key.unknown').reason, /3\.64/v);
});

test('an unencrypted volume has no key findings', t => {
	const findings = run({volumes: [volume({id: 'v1'})], secrets: undefined});
	t.deepEqual(codes(findings, 'v1'), ['volume.unprotected']);
});

// Source types of encrypted backups

test('an encrypted backup of a deleted volume with no recorded type: source type unknown', t => {
	const findings = run({
		backups: [backup({id: 'b1', volumeId: 'v-gone', encryptionKeyId: 'k-b1'})],
		secrets: [secret('k-b1')],
	});
	const finding = only(findings, 'b1', 'backup.source-type-unknown');
	t.is(finding.severity, 'warning');
	t.deepEqual(codes(findings, 'b1'), ['backup.source-type-unknown']);
});

test('backstack metadata on the backup gives the source type when the volume is gone', t => {
	const findings = run({
		backups: [backup({
			id: 'b1',
			volumeId: 'v-gone',
			encryptionKeyId: 'k-b1',
			metadata: {[backupMetaSourceTypeId]: 'type-luks', [backupMetaSourceTypeName]: 'LUKS', [backupMetaEncrypted]: 'true'},
		})],
		secrets: [secret('k-b1')],
	});
	t.deepEqual(codes(findings, 'b1'), ['backup.never-drilled']);
});

test('an encrypted backup whose recorded source type was deleted: restore impossible', t => {
	const findings = run({
		backups: [backup({
			id: 'b1',
			volumeId: 'v-gone',
			encryptionKeyId: 'k-b1',
			metadata: {[backupMetaSourceTypeId]: 'type-old', [backupMetaSourceTypeName]: 'OLD-LUKS'},
		})],
		secrets: [secret('k-b1')],
	});
	const finding = only(findings, 'b1', 'backup.source-type-deleted');
	t.is(finding.severity, 'critical');
	t.regex(finding.reason, /OLD-LUKS.*restore impossible/v);
	t.deepEqual(finding.related, [{kind: 'volume-type', id: 'type-old', name: 'OLD-LUKS'}]);
});

test('a re-created type with the same name but a new ID does not count as the source type', t => {
	const findings = run({
		volumeTypes: [volumeType('type-new', 'OLD-LUKS')],
		backups: [backup({
			id: 'b1',
			volumeId: 'v-gone',
			encryptionKeyId: 'k-b1',
			metadata: {[backupMetaSourceTypeId]: 'type-old', [backupMetaSourceTypeName]: 'OLD-LUKS'},
		})],
		secrets: [secret('k-b1')],
	});
	t.deepEqual(codes(findings, 'b1'), ['backup.source-type-deleted']);
});

test('the source type is not judged when volume types could not be read', t => {
	const findings = run({
		lists: {'volume-types': {state: 'forbidden', reason: '403'}},
		backups: [backup({
			id: 'b1', volumeId: 'v-gone', encryptionKeyId: 'k-b1', metadata: {[backupMetaSourceTypeId]: 'type-old'},
		})],
		secrets: [secret('k-b1')],
	});
	t.deepEqual(codes(findings, 'b1'), ['backup.never-drilled']);
});

test('unencrypted backups of deleted volumes need no type', t => {
	const findings = run({backups: [backup({id: 'b1', volumeId: 'v-gone'})]});
	t.deepEqual(codes(findings, 'b1'), ['backup.never-drilled']);
});

test('a backup is encrypted when its existing source volume is, even without a key ID', t => {
	const findings = run({
		volumes: [volume({id: 'v1', encrypted: true, encryptionKeyId: 'k-v1'})],
		backups: [backup({id: 'b1', volumeId: 'v1'})],
		secrets: [secret('k-v1')],
	});
	t.deepEqual(codes(findings, 'b1'), ['backup.never-drilled', 'key.unknown']);
});

// Servers

test('an image-backed server without a snapshot image has an unprotected ephemeral disk', t => {
	const findings = run({servers: [server({id: 's1'})]});
	t.deepEqual(codes(findings, 's1'), ['server.ephemeral-unprotected']);
	t.is(only(findings, 's1', 'server.ephemeral-unprotected').severity, 'warning');
});

test('a recent active snapshot image with data protects the ephemeral disk', t => {
	const findings = run({
		servers: [server({id: 's1'})],
		images: [image({
			id: 'snap', instanceUuid: 's1', imageType: 'snapshot', createdAt: hoursAgo(5),
		})],
	});
	t.deepEqual(codes(findings, 's1'), ['server.ephemeral-protected']);
});

test('an old snapshot image leaves the ephemeral disk stale', t => {
	const findings = run({
		servers: [server({id: 's1'})],
		images: [image({id: 'snap', instanceUuid: 's1', createdAt: hoursAgo(48)})],
	});
	t.deepEqual(codes(findings, 's1'), ['server.ephemeral-stale']);
});

test('empty, queued or other servers\' snapshot images do not protect', t => {
	const findings = run({
		servers: [server({id: 's1'})],
		images: [
			image({
				id: 'queued', instanceUuid: 's1', status: 'queued', size: undefined,
			}),
			image({id: 'empty', instanceUuid: 's1', size: 0}),
			image({id: 'other', instanceUuid: 's2'}),
		],
	});
	t.deepEqual(codes(findings, 's1'), ['server.ephemeral-unprotected']);
});

test('a boot-from-volume server has no ephemeral finding; its coverage comes from its volumes', t => {
	const findings = run({
		servers: [server({
			id: 's1', bootFromVolume: true, imageId: undefined, attachedVolumeIds: ['root', 'data'],
		})],
		volumes: [
			volume({id: 'root', status: 'in-use', attachments: [{serverId: 's1'}]}),
			volume({id: 'data', status: 'in-use', attachments: [{serverId: 's1'}]}),
		],
		backups: [backup({id: 'b-root', volumeId: 'root'})],
	});
	t.deepEqual(codes(findings, 's1'), ['server.volumes-unprotected']);
	const finding = only(findings, 's1', 'server.volumes-unprotected');
	t.regex(finding.reason, /1 of 2 attached volume\(s\) not protected: "data" unprotected/v);
	t.deepEqual(finding.related, [{kind: 'volume', id: 'data', name: 'data'}]);
});

test('a server whose volumes are all protected gets volumes-protected', t => {
	const findings = run({
		servers: [server({id: 's1', attachedVolumeIds: ['data']})],
		volumes: [volume({id: 'data', status: 'in-use'})],
		backups: [backup({id: 'b', volumeId: 'data'})],
		images: [image({id: 'snap', instanceUuid: 's1'})],
	});
	t.deepEqual(codes(findings, 's1'), ['server.ephemeral-protected', 'server.volumes-protected']);
});

test('volumes known only from Cinder attachments count for the server too', t => {
	const findings = run({
		servers: [server({id: 's1'})],
		volumes: [volume({id: 'data', status: 'in-use', attachments: [{serverId: 's1'}]})],
	});
	t.true(codes(findings, 's1').includes('server.volumes-unprotected'));
});

test('a boot-from-volume snapshot image made of snapshot references is not a backup', t => {
	const findings = run({
		servers: [server({id: 's1', bootFromVolume: true, attachedVolumeIds: ['root']})],
		volumes: [volume({id: 'root', status: 'in-use', attachments: [{serverId: 's1'}]})],
		snapshots: [snapshot({id: 'snap-root', volumeId: 'root'})],
		images: [image({
			id: 'bfv-img',
			size: 0,
			blockDeviceMapping: [{
				source_type: 'snapshot', destination_type: 'volume', snapshot_id: 'snap-root', boot_index: 0,
			}],
		})],
	});
	const finding = only(findings, 'bfv-img', 'server.bfv-image-not-backup');
	t.is(finding.severity, 'warning');
	t.deepEqual(finding.related, [{kind: 'snapshot', id: 'snap-root', name: 'snap-root'}, {kind: 'server', id: 's1', name: 's1'}]);
	// And it protects nothing: the volume is still snapshot-only.
	t.deepEqual(codes(findings, 'root'), ['volume.snapshot-only']);
});

test('an image with data is not flagged as a snapshot-reference image', t => {
	const findings = run({
		images: [image({id: 'img', size: 4096, blockDeviceMapping: [{source_type: 'snapshot', snapshot_id: 'x'}]})],
	});
	t.deepEqual(codes(findings, 'img'), []);
});

test('servers are unknown when images could not be read', t => {
	const findings = run({
		servers: [server({id: 's1'})],
		sources: {
			identity: {state: 'ok'},
			cinder: {state: 'ok'},
			glance: {state: 'error', reason: 'images: 500'},
			nova: {state: 'ok'},
			barbican: {state: 'ok'},
		},
	});
	t.deepEqual(codes(findings, 's1'), ['server.ephemeral-unknown']);
});

// Images

test('an encrypted image whose key is missing is critical', t => {
	const findings = run({
		images: [image({id: 'i1', cinderEncryptionKeyId: 'k-gone'})],
	});
	const finding = only(findings, 'i1', 'image.key-missing');
	t.is(finding.severity, 'critical');
	t.regex(finding.action, /cinder_encryption_key_id/v);
});

test('an encrypted image with its key present has no finding', t => {
	const findings = run({
		images: [image({id: 'i1', cinderEncryptionKeyId: 'k-i1'})],
		secrets: [secret('k-i1')],
	});
	t.deepEqual(codes(findings, 'i1'), []);
	t.deepEqual(codes(findings, 'k-i1'), []);
});

test('other projects\' images (public base images) are not judged', t => {
	const findings = run({
		images: [image({
			id: 'ubuntu', owner: 'p-admin', visibility: 'public', cinderEncryptionKeyId: 'k-foreign',
		})],
	});
	t.deepEqual(findings, []);
});

// Secrets

test('a secret nothing refers to is an orphan (info)', t => {
	const findings = run({
		volumes: [volume({id: 'v1', encrypted: true, encryptionKeyId: 'k-used'})],
		backups: [backup({id: 'b1', volumeId: 'v1', encryptionKeyId: 'k-b1'})],
		secrets: [secret('k-used'), secret('k-b1'), secret('k-lonely', {name: 'my-key'})],
	});
	const finding = only(findings, 'k-lonely', 'secret.orphan');
	t.is(finding.severity, 'info');
	t.deepEqual(finding.resource, {kind: 'secret', id: 'k-lonely', name: 'my-key'});
	t.deepEqual(codes(findings, 'k-used'), []);
	t.deepEqual(codes(findings, 'k-b1'), []);
});

test('no secret is called an orphan when volumes, backups or images could not be read', t => {
	const findings = run({
		secrets: [secret('k-lonely')],
		lists: {images: {state: 'forbidden', reason: '403'}},
	});
	t.deepEqual(codes(findings, 'k-lonely'), []);
});

test('a secret used by several resources lists them all when missing', t => {
	const findings = run({
		volumes: [volume({id: 'v1', encrypted: true, encryptionKeyId: 'k-shared'})],
		images: [image({id: 'i1', cinderEncryptionKeyId: 'k-shared'})],
		secrets: [],
	});
	const finding = only(findings, 'k-shared', 'secret.referenced-missing');
	t.deepEqual(finding.related?.map(ref => ref.id), ['v1', 'i1']);
});

// Policy, sources, summaries

test('policy severities override the defaults', t => {
	const findings = assess(inventory({volumes: [volume({id: 'v1'})]}), now, {rpoHours: 24, severities: {'volume.unprotected': 'info'}});
	t.is(only(findings, 'v1', 'volume.unprotected').severity, 'info');
});

test('every code the rules emit has a default severity', t => {
	const findings = run({
		volumes: [volume({id: 'v1'}), volume({id: 'v2', status: 'error'})],
		servers: [server({id: 's1'})],
		secrets: [secret('k')],
	});
	for (const finding of findings) {
		t.not(defaultSeverities[finding.code], undefined, finding.code);
	}
});

test('a missing service is reported once per service, not fatal', t => {
	const findings = run({
		sources: {
			identity: {state: 'ok'},
			cinder: {state: 'ok'},
			glance: {state: 'ok'},
			nova: {state: 'missing', reason: 'no compute in the catalog'},
			barbican: {state: 'ok'},
		},
	});
	t.deepEqual(findings.map(finding => finding.code), ['source.unavailable']);
	t.regex(findings[0]!.reason, /^nova is not available \(no compute in the catalog\)/v);
});

test('findings are deterministic', t => {
	const build = () => inventory({
		volumes: [volume({id: 'v1'}), volume({id: 'v2', encrypted: true, encryptionKeyId: 'k'})],
		servers: [server({id: 's1', attachedVolumeIds: ['v1']})],
	});
	t.deepEqual(assess(build(), now, defaultPolicy), assess(build(), now, defaultPolicy));
});

test('summarise gives each resource its protection, last backup, key state and worst severity', t => {
	const inv = inventory({
		volumes: [
			volume({id: 'ok', encrypted: true, encryptionKeyId: 'k-ok'}),
			volume({id: 'stale-err'}),
			volume({id: 'snap-only'}),
			volume({id: 'bare', encrypted: true, encryptionKeyId: 'k-gone'}),
		],
		backups: [
			backup({
				id: 'b-ok', volumeId: 'ok', encryptionKeyId: 'k-b-ok', createdAt: hoursAgo(2), dataTimestamp: hoursAgo(3),
			}),
			backup({id: 'b-old', volumeId: 'stale-err', createdAt: hoursAgo(50)}),
			backup({
				id: 'b-err', volumeId: 'stale-err', status: 'error', createdAt: hoursAgo(1),
			}),
		],
		snapshots: [snapshot({id: 'sn', volumeId: 'snap-only'})],
		servers: [server({id: 'srv', attachedVolumeIds: ['ok']})],
		images: [image({id: 'img-snap', instanceUuid: 'srv', createdAt: hoursAgo(4)})],
		secrets: [secret('k-ok'), secret('k-b-ok')],
	});
	const summary = summarise(inv, assess(inv, now, defaultPolicy));
	t.like(summary['ok'], {
		protection: 'protected', lastBackupAt: hoursAgo(3), encrypted: true, keyState: 'present', severity: 'ok',
	});
	t.like(summary['stale-err'], {
		protection: 'error', lastBackupAt: hoursAgo(50), encrypted: false, keyState: 'none', severity: 'warning',
	});
	t.like(summary['snap-only'], {protection: 'snapshot-only', severity: 'warning'});
	t.is(summary['snap-only']?.lastBackupAt, undefined);
	t.like(summary['bare'], {
		protection: 'unprotected', encrypted: true, keyState: 'missing', severity: 'critical',
	});
	t.like(summary['b-ok'], {protection: 'n/a', encrypted: true, keyState: 'present'});
	t.like(summary['b-err'], {protection: 'error'});
	t.like(summary['sn'], {protection: 'n/a', encrypted: false, keyState: 'none'});
	t.like(summary['srv'], {protection: 'protected', lastBackupAt: hoursAgo(4), severity: 'ok'});
	t.like(summary['img-snap'], {protection: 'n/a', encrypted: false, keyState: 'none'});
	t.like(summary['k-ok'], {keyState: 'present'});
});

test('summarise: a server is as weak as its weakest disk; unknown when nothing could be judged', t => {
	const inv = inventory({
		servers: [server({id: 'srv', attachedVolumeIds: ['v']})],
		volumes: [volume({id: 'v'})],
		images: [image({id: 'img-snap', instanceUuid: 'srv', createdAt: hoursAgo(1)})],
	});
	const summary = summarise(inv, assess(inv, now, defaultPolicy));
	t.is(summary['srv']?.protection, 'unprotected');
	const empty = summarise(inv, []);
	t.is(empty['v']?.protection, 'unknown');
});

const luksVolume = volume({
	id: 'v1', encrypted: true, encryptionKeyId: 'k-v1', volumeType: 'LUKS', volumeTypeId: 'type-luks',
});

test('a volume with one unusable and one usable backup is protected by the usable one, and the summary dates it', t => {
	const fields = {
		volumes: [luksVolume],
		volumeTypes: [volumeType('type-luks', 'LUKS')],
		backups: [
			backup({
				id: 'b-new', volumeId: 'v1', encryptionKeyId: 'k-gone', createdAt: hoursAgo(1),
			}),
			backup({
				id: 'b-old', volumeId: 'v1', encryptionKeyId: 'k-b-old', createdAt: hoursAgo(3),
			}),
		],
		secrets: [secret('k-v1'), secret('k-b-old')],
	};
	const findings = run(fields);
	const verdict = only(findings, 'v1', 'volume.protected');
	t.regex(verdict.reason, /backup "b-old"/v);
	const summary = summarise(inventory(fields), findings)['v1'];
	t.is(summary?.protection, 'protected');
	t.is(summary?.lastBackupAt, hoursAgo(3));
});

test('an encrypted backup whose volume type was deleted does not protect its volume', t => {
	const findings = run({
		volumes: [luksVolume],
		volumeTypes: [],
		backups: [backup({id: 'b1', volumeId: 'v1', encryptionKeyId: 'k-b1'})],
		secrets: [secret('k-v1'), secret('k-b1')],
	});
	t.regex(only(findings, 'v1', 'volume.unprotected').reason, /volume type LUKS no longer exists/v);
});

test('an incremental judged by its own key: protected when only its full lost its key, unprotected without a full', t => {
	const full = backup({
		id: 'b-full', volumeId: 'v1', encryptionKeyId: 'k-gone', createdAt: hoursAgo(5),
	});
	const incremental = backup({
		id: 'b-incr', volumeId: 'v1', encryptionKeyId: 'k-incr', createdAt: hoursAgo(1), isIncremental: true,
	});
	const base = {volumes: [luksVolume], volumeTypes: [volumeType('type-luks', 'LUKS')], secrets: [secret('k-v1'), secret('k-incr')]};
	t.regex(only(run({...base, backups: [full, incremental]}), 'v1', 'volume.protected').reason, /backup "b-incr"/v);
	const alone = only(run({...base, backups: [incremental]}), 'v1', 'volume.unprotected');
	t.regex(alone.reason, /"b-incr": incremental without an available full backup before it/v);
});

// Restore drills

/**
A volume `v1` with one available backup `b1` of 3 h ago carrying `metadata`, and whatever else `fields` adds.
*/
function drilledFields(metadata: Record<string, string>, fields: Parameters<typeof inventory>[0] = {}): Parameters<typeof inventory>[0] {
	return {
		volumes: [volume({id: 'v1'})],
		backups: [backup({
			id: 'b1', volumeId: 'v1', createdAt: hoursAgo(3), metadata,
		})],
		...fields,
	};
}

test('a failed drill is a critical backup.drill-failed with its reason and time, and the volume it was the only backup of is unprotected', t => {
	const findings = run(drilledFields(drilledMetadata(2, 'failed', 'restored volume ended error_restoring')));
	const failed = only(findings, 'b1', 'backup.drill-failed');
	t.is(failed.severity, 'critical');
	t.regex(failed.reason, /failed 48 h ago \(2026-11-21T12:00:00\.000Z\): restored volume ended error_restoring/v);
	t.deepEqual(failed.related, [{kind: 'volume', id: 'v1'}]);
	t.deepEqual(codes(findings, 'b1'), ['backup.drill-failed'], 'an unusable backup is not also never-drilled');
	const verdict = only(findings, 'v1', 'volume.unprotected');
	t.regex(verdict.reason, /"b1": its restore drill failed at 2026-11-21T12:00:00\.000Z: restored volume ended error_restoring/v);
	const failedOnly = inventory(drilledFields(drilledMetadata(2, 'failed')));
	t.is(summarise(failedOnly, assess(failedOnly, now))['v1']?.protection, 'unprotected');
});

test('a failed drill of the newest backup leaves the volume protected by an older backup, which is then the one judged for drills', t => {
	const findings = run({
		volumes: [volume({id: 'v1'})],
		backups: [
			backup({
				id: 'b-new', volumeId: 'v1', createdAt: hoursAgo(1), metadata: drilledMetadata(0.5, 'failed', 'size mismatch'),
			}),
			backup({id: 'b-old', volumeId: 'v1', createdAt: hoursAgo(5)}),
		],
	});
	t.regex(only(findings, 'v1', 'volume.protected').reason, /backup "b-old"/v);
	t.deepEqual(codes(findings, 'b-new'), ['backup.drill-failed']);
	t.deepEqual(codes(findings, 'b-old'), ['backup.never-drilled']);
});

test('only the newest usable backup of each volume is reported never drilled, saying so; backups of a gone volume count too', t => {
	const findings = run({
		volumes: [volume({id: 'v1', name: 'db'})],
		backups: [
			backup({id: 'b-new', volumeId: 'v1', createdAt: hoursAgo(1)}),
			backup({id: 'b-old', volumeId: 'v1', createdAt: hoursAgo(30)}),
			backup({
				id: 'b-broken', volumeId: 'v1', createdAt: hoursAgo(0.5), status: 'error',
			}),
			backup({id: 'b-orphan', volumeId: 'v-gone', createdAt: hoursAgo(40)}),
		],
	});
	const never = findings.filter(finding => finding.code === 'backup.never-drilled');
	t.deepEqual(never.map(finding => finding.resource.id).toSorted(), ['b-new', 'b-orphan']);
	const newest = only(findings, 'b-new', 'backup.never-drilled');
	t.is(newest.severity, 'info');
	t.regex(newest.reason, /newest usable backup of volume "db" was never restore-drilled \(only each volume's newest usable backup is judged\)/v);
	t.is(newest.action, 'Prove it restores: backstack drill b-new');
	t.regex(only(findings, 'b-orphan', 'backup.never-drilled').reason, /volume v-gone \(gone\)/v);
});

test('a volume whose newest usable backup passed a drill within the window is verified; its server is protected', t => {
	const fields = drilledFields(drilledMetadata(2, 'ok'), {servers: [server({id: 's1', bootFromVolume: true, attachedVolumeIds: ['v1']})]});
	const findings = run(fields);
	t.deepEqual(codes(findings, 'v1'), ['volume.verified']);
	const verdict = only(findings, 'v1', 'volume.verified');
	t.is(verdict.severity, 'ok');
	t.regex(verdict.reason, /Backed up 3 h ago \(backup "b1"\), and a restore drill of that backup passed 48 h ago/v);
	t.deepEqual(codes(findings, 'b1'), [], 'a fresh passed drill: nothing to say about the backup');
	t.deepEqual(codes(findings, 's1'), ['server.volumes-protected']);
	const summaries = summarise(inventory(fields), findings);
	t.is(summaries['v1']?.protection, 'verified');
	t.is(summaries['b1']?.restorability, 'verified');
	t.is(summaries['s1']?.protection, 'protected');
});

test('a passed drill older than drillMaxAgeDays is backup.drill-stale (warning) and the volume only protected; the window is the policy\'s', t => {
	const fields = drilledFields(drilledMetadata(40, 'ok'));
	const findings = run(fields);
	t.deepEqual(codes(findings, 'v1'), ['volume.protected']);
	const stale = only(findings, 'b1', 'backup.drill-stale');
	t.is(stale.severity, 'warning');
	t.regex(stale.reason, /passed 40 d ago, longer than 30 d \(only each volume's newest usable backup is judged\)/v);
	t.is(summarise(inventory(fields), findings)['b1']?.restorability, 'restorable');
	const wider = assess(inventory(fields), now, {rpoHours: 24, severities: {}, drillMaxAgeDays: 60});
	t.deepEqual(codes(wider, 'v1'), ['volume.verified']);
	t.deepEqual(codes(wider, 'b1'), []);
	t.is(summarise(inventory(fields), wider, {policy: {drillMaxAgeDays: 60}, now})['b1']?.restorability, 'verified');
});

test('a verified drill does not hide an old backup: older than the RPO the volume is stale', t => {
	const findings = run({
		volumes: [volume({id: 'v1'})],
		backups: [backup({
			id: 'b1', volumeId: 'v1', createdAt: hoursAgo(30), metadata: drilledMetadata(0.5, 'ok'),
		})],
	});
	t.deepEqual(codes(findings, 'v1'), ['volume.stale']);
});

test('a drill of an older backup does not verify the volume: the newest usable one is judged', t => {
	const findings = run({
		volumes: [volume({id: 'v1'})],
		backups: [
			backup({id: 'b-new', volumeId: 'v1', createdAt: hoursAgo(1)}),
			backup({
				id: 'b-old', volumeId: 'v1', createdAt: hoursAgo(20), metadata: drilledMetadata(0.5, 'ok'),
			}),
		],
	});
	t.deepEqual(codes(findings, 'v1'), ['volume.protected']);
	t.deepEqual(codes(findings, 'b-new'), ['backup.never-drilled']);
	t.deepEqual(codes(findings, 'b-old'), []);
});

test('drill records from the caller (the local log) count beside the metadata: the newest wins either way', t => {
	const at = (days: number) => daysAgo(days);
	const passedLater: DrillRecord = {backupId: 'b1', at: at(1), result: 'ok'};
	const failedLater: DrillRecord = {
		backupId: 'b1', at: at(1), result: 'failed', reason: 'checksum differs',
	};
	const failedOnMetadata = inventory(drilledFields(drilledMetadata(3, 'failed', 'quota')));
	t.deepEqual(codes(assess(failedOnMetadata, now, defaultPolicy, [passedLater]), 'v1'), ['volume.verified']);
	const passedOnMetadata = inventory(drilledFields(drilledMetadata(3, 'ok')));
	const findings = assess(passedOnMetadata, now, defaultPolicy, [failedLater, {backupId: 'other', at: at(0), result: 'ok'}]);
	t.regex(only(findings, 'b1', 'backup.drill-failed').reason, /checksum differs/v);
	t.deepEqual(codes(findings, 'v1'), ['volume.unprotected']);
	const onlyLog = inventory(drilledFields({}));
	t.deepEqual(codes(assess(onlyLog, now, defaultPolicy, [passedLater]), 'v1'), ['volume.verified']);
	t.is(summarise(onlyLog, [], {drills: [failedLater], now})['b1']?.restorability, 'drill-failed');
});

test('a malformed drill record on the metadata proves nothing', t => {
	const findings = run(drilledFields({backstack_drill_at: 'yesterday', backstack_drill_result: 'ok'}));
	t.deepEqual(codes(findings, 'v1'), ['volume.protected']);
	t.deepEqual(codes(findings, 'b1'), ['backup.never-drilled']);
	const unknownResult = run(drilledFields({backstack_drill_at: daysAgo(1), backstack_drill_result: 'maybe'}));
	t.deepEqual(codes(unknownResult, 'b1'), ['backup.never-drilled']);
});

test('restorabilityOf gives one word per backup: each reason it would not restore, restorable, verified', t => {
	const luks = {volumeType: 'LUKS', volumeTypeId: 'type-luks'};
	const inv = inventory({
		volumes: [volume({id: 'v1'}), volume({
			id: 'v-enc', encrypted: true, encryptionKeyId: 'k-v', ...luks,
		})],
		volumeTypes: [volumeType('type-default', '__DEFAULT__'), volumeType('type-luks', 'LUKS')],
		secrets: [secret('k-v'), secret('k-b')],
		backups: [
			backup({id: 'restorable', volumeId: 'v1'}),
			backup({id: 'verified', volumeId: 'v1', metadata: drilledMetadata(1, 'ok')}),
			backup({id: 'not-available', volumeId: 'v1', status: 'error'}),
			backup({id: 'chain-broken', volumeId: 'v-gone-plain', isIncremental: true}),
			backup({id: 'key-gone', volumeId: 'v-enc', encryptionKeyId: 'k-deleted'}),
			backup({id: 'type-unknown', volumeId: 'v-gone', encryptionKeyId: 'k-b'}),
			backup({
				id: 'type-gone', volumeId: 'v-gone', encryptionKeyId: 'k-b', metadata: {[backupMetaSourceTypeName]: 'LUKS-OLD', [backupMetaSourceTypeId]: 'type-old'},
			}),
			backup({id: 'drill-failed', volumeId: 'v1', metadata: drilledMetadata(1, 'failed', 'timeout waiting for available')}),
			// Metadata reasons come before a drill's: a backup whose key is gone is key-gone whatever its last drill said.
			backup({
				id: 'key-gone-drilled', volumeId: 'v-enc', encryptionKeyId: 'k-deleted', metadata: drilledMetadata(1, 'ok'),
			}),
		],
	});
	const index = indexInventory(inv);
	const words = Object.fromEntries(inv.backups.map(item => [item.id, restorabilityOf(inv, index, item, {now})]));
	t.deepEqual(words, {
		restorable: 'restorable',
		verified: 'verified',
		'not-available': 'not-available',
		'chain-broken': 'chain-broken',
		'key-gone': 'key-gone',
		'type-unknown': 'type-unknown',
		'type-gone': 'type-gone',
		'drill-failed': 'drill-failed',
		'key-gone-drilled': 'key-gone',
	});
	t.deepEqual(whyBackupUnusable(inv, index, inv.backups[4]!), {code: 'key-gone', text: 'its encryption key is gone from Barbican'});
	t.is(whyBackupUnusable(inv, index, inv.backups[0]!), undefined);
	// Without `now`, ages count from when the inventory was read; the summary says the same words.
	t.is(restorabilityOf(inv, index, inv.backups[1]!), 'verified');
	const summaries = summarise(inv, assess(inv, now));
	t.deepEqual(Object.fromEntries(inv.backups.map(item => [item.id, summaries[item.id]?.restorability])), words);
});
