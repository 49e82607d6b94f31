/*
Contracts: restore drills as the audit reads them, on real backups.
*/
import {runAudit} from '../../../source/core/audit.js';
import {drillFromMetadata, drillMetadata, type DrillRecord} from '../../../source/core/drills.js';
import {
	makeBackup,
	makeVolume,
	services,
	type Contract,
} from '../kit.js';

export function registerDrills(contract: Contract): void {
	/*
	Restore drills as the audit reads them (issue 12): what a drill records on a backup's metadata (Cinder 3.43 PUT,
	which replaces the whole set, so the existing keys are sent along) and what the local drill log adds.
	*/
	contract('drill records on real backups: a failed drill makes backup.drill-failed and its volume unprotected; a passed one makes it verified', async (t, c) => {
		const session = c.member2;
		const {cinder} = services(session);
		const prefix = `bs-contract-${c.run}-drill`;
		const failing = await makeVolume(t, c, cinder, {size: 1, name: `${prefix}-failing`});
		const failingBackup = await makeBackup(t, c, cinder, {volumeId: failing.id, name: `${prefix}-failing-backup`, metadata: {keep: 'yes'}});
		const passing = await makeVolume(t, c, cinder, {size: 1, name: `${prefix}-passing`});
		const passingBackup = await makeBackup(t, c, cinder, {volumeId: passing.id, name: `${prefix}-passing-backup`, metadata: {keep: 'yes'}});
		const at = (hours: number) => new Date(Date.now() - (hours * 3_600_000)).toISOString();
		const reason = 'restored volume ended error_restoring';
		await cinder.updateBackupMetadata(failingBackup.id, {...failingBackup.metadata, ...drillMetadata({at: at(24), result: 'failed', reason})});
		await cinder.updateBackupMetadata(passingBackup.id, {...passingBackup.metadata, ...drillMetadata({at: at(1), result: 'ok', reason: 'restored and checked'})});
		const reread = await cinder.getBackup(failingBackup.id);
		t.is(reread.metadata['keep'], 'yes', 'the existing keys were kept');
		t.like(drillFromMetadata(reread), {backupId: failingBackup.id, result: 'failed', reason});

		const mine = new Set([failing.id, failingBackup.id, passing.id, passingBackup.id]);
		const judge = async (drills?: DrillRecord[]) => {
			const report = await runAudit(session, {policy: {rpoHours: 24, severities: {}, drillMaxAgeDays: 30}, ...(drills !== undefined && {drills})});
			const [project] = report.projects;
			const findings = (project?.findings ?? []).filter(finding => mine.has(finding.resource.id));
			return {
				project,
				lines: findings.map(finding => `${finding.severity} ${finding.code} ${finding.resource.name ?? finding.resource.id}`).toSorted(),
				reasonOf: (code: string) => findings.find(finding => finding.code === code)?.reason ?? '',
				words: Object.fromEntries((project?.backups ?? [])
					.filter(backup => mine.has(backup.id))
					.map(backup => [backup.name ?? backup.id, backup.restorability])) as Record<string, string>,
			};
		};

		const fromMetadata = await judge();
		t.deepEqual(fromMetadata.lines, [
			`critical backup.drill-failed ${prefix}-failing-backup`,
			`critical volume.unprotected ${prefix}-failing`,
			`ok volume.verified ${prefix}-passing`,
		]);
		t.regex(fromMetadata.reasonOf('backup.drill-failed'), new RegExp(`failed 24 h ago .*: ${reason}`, 'v'));
		t.deepEqual(fromMetadata.words, {[`${prefix}-failing-backup`]: 'drill-failed', [`${prefix}-passing-backup`]: 'verified'});
		t.true((fromMetadata.project?.protection.verified ?? 0) >= 1);

		// A newer passed drill in the local log outweighs the failed one on the metadata.
		const fromLog = await judge([{backupId: failingBackup.id, at: at(0.5), result: 'ok'}]);
		t.deepEqual(fromLog.lines, [`ok volume.verified ${prefix}-failing`, `ok volume.verified ${prefix}-passing`]);
		t.deepEqual(fromLog.words, {[`${prefix}-failing-backup`]: 'verified', [`${prefix}-passing-backup`]: 'verified'});
	});
}
