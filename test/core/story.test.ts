/*
The demo cloud's "story" seed (source/demo-cloud/story.ts), audited end to end through the real client: every project,
every finding, nothing more. Each expectation names the part of the story it comes from.
*/
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {assess, summarise} from '../../source/core/assessment.js';
import {buildAuditReport, runAudit, type AuditReport} from '../../source/core/audit.js';
import {buildKeyGraph} from '../../source/core/keys.js';
import {readAllProjects, readInventory} from '../../source/core/inventory.js';
import type {Policy} from '../../source/core/model.js';
import {startDemoCloud} from '../../source/demo-cloud/index.js';
import {loadCloudConfig, openSession} from '../../source/openstack/index.js';

/**
`severity code kind name` for each finding of each project, sorted, unnamed resources as `(unnamed)`.
*/
function lines(report: AuditReport): Record<string, string[]> {
	return Object.fromEntries(report.projects.map(entry => [
		entry.project.name,
		entry.findings.map(finding => `${finding.severity} ${finding.code} ${finding.resource.kind} ${finding.resource.name ?? '(unnamed)'}`).toSorted(),
	]));
}

async function openStory(t: {teardown(fn: () => Promise<void>): void}) {
	// The story's ages are relative to the moment it is seeded; audit as of that moment so that "1 day ago" is 24 h, not 24 h and a few ms.
	const seededAt = new Date();
	const cloud = await startDemoCloud({seed: 'story', timeScale: 0.01});
	const directory = await mkdtemp(path.join(os.tmpdir(), 'backstack-story-'));
	const file = path.join(directory, 'clouds.yaml');
	await cloud.writeCloudsYaml(file);
	const config = await loadCloudConfig({
		cloud: 'demo', env: {OS_CLIENT_CONFIG_FILE: file}, cwd: directory, home: directory, systemDirs: [], // eslint-disable-line @typescript-eslint/naming-convention
	});
	const session = await openSession(config);
	t.teardown(async () => {
		session.close();
		await cloud.close();
		await rm(directory, {recursive: true, force: true});
	});
	return {session, seededAt};
}

test('the story seed gives exactly its expected findings in every project', async t => {
	const {session, seededAt} = await openStory(t);
	const report = await runAudit(session, {allProjects: true, now: seededAt, policy: {rpoHours: 24, severities: {}}});
	t.deepEqual(report.projects.map(entry => [entry.project.name, entry.error]), [['analytics', undefined], ['ci-runners', undefined], ['demo', undefined]]);
	for (const entry of report.projects) {
		t.true(Object.values(entry.sources).every(source => source.state === 'ok'), entry.project.name);
	}

	t.deepEqual(lines(report), {
		analytics: [
			// A failed restore (auto-created volume left in error_restoring) holds no data.
			'info volume.not-assessed volume warehouse-restore-test',
			// Scratch space without backups.
			'critical volume.unprotected volume etl-scratch',
			'warning server.ephemeral-unprotected server etl-worker-01',
			// The stale encrypted warehouse (full backup 40 days old) and a 3-day-old archive backup.
			'warning volume.stale volume reports-archive',
			'warning volume.stale volume warehouse-pg-data',
			// No backup of the story was ever restore-drilled: each volume's newest usable backup says so, once.
			'info backup.never-drilled backup reports-archive-3d',
			'info backup.never-drilled backup warehouse-pg-data-full',
		].toSorted(),
		'ci-runners': [
			'critical volume.unprotected volume runner-cache-01',
			'critical volume.unprotected volume runner-cache-02',
			'info secret.orphan secret (unnamed)',
			'warning server.ephemeral-unprotected server ci-runner-01',
			'warning volume.stale volume artifact-store',
			'info backup.never-drilled backup artifact-store-monthly',
		].toSorted(),
		demo: [
			// The encrypted LUKS volume with a weekly full and an incremental of 12 h ago: protected.
			'ok volume.protected volume shop-db-data',
			// Shop-web-01 was imaged 20 h ago.
			'ok server.ephemeral-protected server shop-web-01',
			'critical volume.unprotected volume shop-redis-aof',
			'warning volume.stale volume shop-web-static',
			'warning volume.stale volume shop-uploads',
			// Its Q2 full backup lost its key; the Q3 incremental (its own key) is 50 days old.
			'warning volume.stale volume legal-archive',
			'critical key.missing backup legal-archive-2026-q2',
			'critical secret.referenced-missing secret (unnamed)',
			// A snapshot is not a backup; the boot disk's only copy is the snapshot behind the 0-byte server image.
			'warning volume.snapshot-only volume shop-search-index',
			'warning volume.snapshot-only volume shop-db-01-root',
			'warning server.bfv-image-not-backup image shop-db-01-before-upgrade',
			// The boot-from-volume database server: its root disk has only a snapshot.
			'warning server.volumes-unprotected server shop-db-01',
			// An encrypted backup whose source volume is gone and carries no type: the restore target's type is unknown.
			'warning backup.source-type-unknown backup payments-db-final',
			// Backstack's metadata names the source type LUKS-2023, which was deleted: no restore can work.
			'critical backup.source-type-deleted backup crm-db-final',
			// Two keys nobody uses and the user's TLS key.
			'info secret.orphan secret (unnamed)',
			'info secret.orphan secret (unnamed)',
			'info secret.orphan secret shop-tls-private-key',
			// The newest usable backup of each backed-up volume (the Q2 one lost its key, so the Q3 one for legal-archive).
			'info backup.never-drilled backup legal-archive-2026-q3',
			'info backup.never-drilled backup shop-db-data-daily-incr',
			'info backup.never-drilled backup shop-uploads-before-migration',
			'info backup.never-drilled backup shop-web-static-2d',
		].toSorted(),
	});
	t.like(report.totals, {
		critical: 7, warning: 13, info: 12, ok: 2, projects: 3, unreadableProjects: 0,
	});
	t.deepEqual(report.totals.protection, {
		verified: 0, protected: 1, stale: 6, unprotected: 4, 'snapshot-only': 2, error: 0, unknown: 0, 'n/a': 1,
	}, 'volumes by protection state, the same verdicts as the findings');
});

test('the story\'s key graph: the encrypted database volume, its backups and the image uploaded from it each have their own key', async t => {
	const {session} = await openStory(t);
	const inventory = await readInventory(session);
	const graph = buildKeyGraph(inventory);
	const volume = inventory.volumes.find(candidate => candidate.name === 'shop-db-data');
	const image = inventory.images.find(candidate => candidate.name === 'shop-db-data-export');
	t.truthy(volume?.encryptionKeyId);
	t.truthy(image?.cinderEncryptionKeyId);
	const backups = inventory.backups.filter(backup => backup.volumeId === volume?.id);
	t.is(backups.length, 2);
	const keys = new Set([volume?.encryptionKeyId, image?.cinderEncryptionKeyId, ...backups.map(backup => backup.encryptionKeyId)]);
	t.is(keys.size, 4, 'four distinct secrets');
	for (const key of keys) {
		t.is(graph.keyOf({kind: 'secret', id: key ?? ''})?.state, 'present');
	}

	const lost = inventory.backups.find(backup => backup.name === 'legal-archive-2026-q2');
	t.deepEqual(graph.keyOf({kind: 'backup', id: lost?.id ?? ''}), {secretId: lost?.encryptionKeyId, state: 'missing'});
	t.deepEqual(graph.usersOfSecret(lost?.encryptionKeyId ?? ''), [{kind: 'backup', id: lost?.id, name: 'legal-archive-2026-q2'}]);
});

test('the audit\'s protection counts and each backup\'s restorability are what the TUI\'s summaries say, project by project', async t => {
	const {session, seededAt} = await openStory(t);
	const policy: Policy = {rpoHours: 24, severities: {}};
	const results = await readAllProjects(session, {keepRaw: false});
	const report = buildAuditReport(session, results, policy, seededAt);
	t.is(report.projects.length, 3);
	for (const [index, result] of results.entries()) {
		const {inventory} = result;
		if (inventory === undefined) {
			throw new Error(`${result.project.name} was not read`);
		}

		const summaries = summarise(inventory, assess(inventory, seededAt, policy), {now: seededAt, policy});
		const counts: Record<string, number> = {};
		for (const volume of inventory.volumes) {
			const protection = summaries[volume.id]?.protection ?? 'unknown';
			counts[protection] = (counts[protection] ?? 0) + 1;
		}

		const entry = report.projects[index];
		t.deepEqual(Object.fromEntries(Object.entries(entry?.protection ?? {}).filter(([, count]) => count > 0)), counts, inventory.project.name);
		t.deepEqual(
			entry?.backups.map(backup => [backup.id, backup.restorability]),
			inventory.backups.map(backup => [backup.id, summaries[backup.id]?.restorability]),
			inventory.project.name,
		);
	}
});
