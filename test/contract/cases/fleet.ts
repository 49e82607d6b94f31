/*
Contracts: the fleet audit of an admin: every project's lists at once (all_tenants), Barbican per project.
*/
import {randomBytes} from 'node:crypto';
import type {ExecutionContext} from 'ava';
import {buildAuditReport, runAudit, type AuditReport} from '../../../source/core/audit.js';
import {readFleet} from '../../../source/core/fleet.js';
import {collect} from '../../helpers/collect.js';
import {
	type Context,
	services,
	ids,
	statusOf,
	serviceMessageOf,
	removeSnapshot,
	ignoreNotFound,
	poll,
	makeEncryptedType,
	makeVolume,
	makeBackup,
	bootableImage,
	makeServer,
	type Contract,
} from '../kit.js';

/**
How many referenced keys a Barbican source says it asked for by ID, and how many of those were refused.
*/
function refusedCounts(source: {state: string; reason?: string} | undefined): {asked: number; refused: number} {
	const reason = source?.reason ?? '';
	const counts = /\((?<asked>\d+) referenced key\(s\) asked by ID, (?<refused>\d+) refused\)/v.exec(reason);
	return {asked: Number(counts?.groups?.['asked'] ?? 0), refused: Number(counts?.groups?.['refused'] ?? -1)};
}

export function registerFleet(contract: Contract): void {
	/*
	Fleet audit (core/fleet.ts): an admin's `audit --all-projects` reads one all_tenants list per kind for the whole
	cloud and splits it by project. It must judge each project's resources exactly as that project's own audit does.
	Barbican stays project-scoped: what it answers an admin about another project's secret decides how keys are checked
	(written down at the top of core/fleet.ts). On both targets the admin has a role in its own project only.
	*/
	const fleetPolicy = {rpoHours: 24, severities: {}};
	const findingsAbout = (report: AuditReport, projectId: string, wanted: ReadonlySet<string>): string[] => (report.projects.find(entry => entry.project.id === projectId)?.findings ?? [])
		.filter(finding => wanted.has(finding.resource.id))
		.map(finding => JSON.stringify(finding))
		.toSorted();
	const fleetReport = async (t: ExecutionContext, c: Context, now: Date): Promise<AuditReport> => {
		const fleet = await readFleet(c.admin);
		t.truthy(fleet, 'the admin takes the fleet path (Keystone lists every project, every item says its project)');
		return buildAuditReport(c.admin, fleet ?? [], fleetPolicy, now);
	};

	contract('fleet: as admin, one all_tenants list per kind, split by project, judges two projects as their own audits do', async (t, c) => {
		const alpha = services(c.member).cinder;
		const beta = services(c.member2).cinder;
		const prefix = `bs-contract-${c.run}-fleet`;
		const bare = await makeVolume(t, c, alpha, {size: 1, name: `${prefix}-alpha-bare`});
		const backedUp = await makeVolume(t, c, alpha, {size: 1, name: `${prefix}-alpha-backed-up`});
		const backup = await makeBackup(t, c, alpha, {volumeId: backedUp.id, name: `${prefix}-alpha-backup`});
		const snapped = await makeVolume(t, c, beta, {size: 1, name: `${prefix}-beta-snapped`});
		const snapshot = await beta.createSnapshot({volumeId: snapped.id, name: `${prefix}-beta-snap`});
		t.teardown(async () => removeSnapshot(c, beta, snapshot.id));
		await poll(c, `snapshot ${snapshot.id} available`, async () => beta.getSnapshot(snapshot.id), value => value.status === 'available' || value.status.startsWith('error'));
		const boot = await bootableImage(t, c, `${prefix}-boot`);
		const server = await makeServer(t, c, {name: `${prefix}-server`, imageId: boot.id, attachVolumeIds: []});

		// What the lists say about projects, as the split reads them.
		const alphaId = c.member.identity.token().projectId;
		const betaId = c.member2.identity.token().projectId;
		const adminCinder = services(c.admin).cinder;
		const everyVolume = await collect(adminCinder.listVolumes({allProjects: true}));
		t.is(everyVolume.find(volume => volume.id === bare.id)?.projectId, alphaId);
		t.is(everyVolume.find(volume => volume.id === snapped.id)?.projectId, betaId);
		const everyBackup = await collect(adminCinder.listBackups({allProjects: true}));
		t.is(everyBackup.find(item => item.id === backup.id)?.projectId, alphaId);
		const everySnapshot = await collect(adminCinder.listSnapshots({allProjects: true}));
		t.is(everySnapshot.find(item => item.id === snapshot.id)?.projectId, betaId);
		const everyServer = await collect(c.admin.nova!.listServers({allProjects: true}));
		t.is(everyServer.find(item => item.id === server)?.projectId, alphaId);
		const everyImage = await collect(c.admin.glance!.listImages());
		t.is(everyImage.find(image => image.id === boot.id)?.owner, alphaId, 'an admin\'s image list has other projects\' private images');
		// A member asking every project: Cinder answers with its own project's volumes, Nova refuses.
		const betaAll = await collect(beta.listVolumes({allProjects: true}));
		t.false(betaAll.some(volume => volume.id === bare.id));
		const refused = await t.throwsAsync(collect(c.member.nova!.listServers({allProjects: true})));
		t.is(statusOf(refused), 403);
		t.regex(serviceMessageOf(refused) ?? '', /get_all_tenants/v);

		const now = new Date();
		const fleet = await fleetReport(t, c, now);
		const own = [await runAudit(c.member, {policy: fleetPolicy, now}), await runAudit(c.member2, {policy: fleetPolicy, now})];
		const mine = new Set([bare.id, backedUp.id, backup.id, snapped.id, snapshot.id, server, boot.id]);
		for (const [index, projectId] of [alphaId, betaId].entries()) {
			t.deepEqual(findingsAbout(fleet, projectId, mine), findingsAbout(own[index]!, projectId, mine), `project ${projectId}`);
		}

		const judged = [alphaId, betaId].flatMap(projectId => (fleet.projects.find(entry => entry.project.id === projectId)?.findings ?? [])
			.filter(finding => mine.has(finding.resource.id))
			.map(finding => `${finding.severity} ${finding.code} ${finding.resource.name ?? finding.resource.id}`))
			.toSorted();
		t.deepEqual(judged, [
			`critical volume.unprotected ${prefix}-alpha-bare`,
			// Nothing was restore-drilled: the volume's newest usable backup says so, in the fleet audit as in its own.
			`info backup.never-drilled ${prefix}-alpha-backup`,
			`ok volume.protected ${prefix}-alpha-backed-up`,
			`warning server.ephemeral-unprotected ${prefix}-server`,
			`warning volume.snapshot-only ${prefix}-beta-snapped`,
		]);
		// Every project of the cloud is in the report, those with nothing in them too.
		const cloudProjects = await c.admin.identity.listAllProjects!();
		t.deepEqual(ids(fleet.projects.map(entry => entry.project)).filter(id => cloudProjects.some(project => project.id === id)), ids(cloudProjects));
		t.is(fleet.projects.find(entry => entry.project.id === alphaId)?.sources.cinder.state, 'ok');
	});

	contract('fleet: Barbican answers an admin 403 for another project\'s secret by ID (404 when there is none); the fleet audit calls such a key unknown and says why', async (t, c) => {
		const {barbican} = services(c.member);
		const prefix = `bs-contract-${c.run}-fleetkey`;
		const {id} = await barbican.storeSecret({name: `${prefix}-secret`, payload: new Uint8Array(randomBytes(32)), secretType: 'opaque'});
		t.teardown(async () => barbican.deleteSecret(id).catch(ignoreNotFound));
		const admin = services(c.admin).barbican;
		const refused = await t.throwsAsync(admin.getSecret(id));
		t.is(statusOf(refused), 403);
		t.is(serviceMessageOf(refused), 'Secret retrieval attempt not allowed - please review your user/project privileges');
		const refusedMetadata = await t.throwsAsync(admin.getSecretMetadata(id));
		t.is(statusOf(refusedMetadata), 403);
		t.is(serviceMessageOf(refusedMetadata), 'Secret metadata retrieval attempt not allowed - please review your user/project privileges');
		const none = await t.throwsAsync(admin.getSecret('00000000-0000-4000-8000-000000000000'));
		t.is(statusOf(none), 404);
		const adminSecrets = await collect(admin.listSecrets());
		t.false(adminSecrets.some(secret => secret.id === id), 'the admin\'s list is its own project\'s');

		// An encrypted volume of bs-alpha: its key is the member's project's, which the admin cannot read.
		const alphaId = c.member.identity.token().projectId;
		const adminProjects = await c.admin.identity.listProjects();
		t.false(adminProjects.some(project => project.id === alphaId), 'the admin has no role in the member\'s project');
		const type = await makeEncryptedType(t, c, 'fleetkey');
		const volume = await makeVolume(t, c, services(c.member).cinder, {size: 1, name: `${prefix}-encrypted`, volumeType: type.name});
		t.truthy(volume.encryptionKeyId);
		const report = await fleetReport(t, c, new Date());
		const entry = report.projects.find(item => item.project.id === alphaId);
		const about = (entry?.findings ?? []).filter(finding => finding.resource.id === volume.id);
		t.deepEqual(about.map(finding => `${finding.severity} ${finding.code}`).toSorted(), ['critical volume.unprotected', 'warning key.unknown']);
		const unknownReason = about.find(finding => finding.code === 'key.unknown')?.reason ?? '';
		t.regex(unknownReason, /Barbican refused the lookup \(secrets: Barbican's secrets are project-scoped and admin has no role in this project/v);
		const barbicanSource = entry?.sources.barbican;
		t.is(barbicanSource?.state, 'forbidden');
		// Every key bs-alpha's resources reference is asked for, and each is refused (earlier tests may have left some).
		const keyLookups = refusedCounts(barbicanSource);
		t.true(keyLookups.asked >= 1, `${keyLookups.asked} keys asked`);
		t.is(keyLookups.refused, keyLookups.asked);
		// The member's own audit checks the same key and finds it.
		const own = await runAudit(c.member, {policy: fleetPolicy});
		t.false((own.projects[0]?.findings ?? []).some(finding => finding.resource.id === volume.id && finding.code.startsWith('key.')));
	});
}
