/*
Issue 12, tried as a new user would: in the Backups view the first column says whether a backup would restore
(restorable / verified / key gone / …), Cinder's status beside it, a DRILLED column, and the detail pane the last drill.
*/
// eslint-disable-next-line import-x/no-unassigned-import, import-x/order -- must run before Ink loads chalk
import './force-color.js';
import test from 'ava';
import {drillMetadata} from '../../source/core/drills.js';
import {backupMetaSourceTypeName} from '../../source/core/model.js';
import {App} from '../../source/ui/app.js';
import {
	backup,
	drive,
	inventory,
	keys,
	now,
	projects,
	secret,
	testServices,
	volume,
} from './helpers.js';

const passedDrill = drillMetadata({at: new Date(now.getTime() - (2 * 3_600_000)).toISOString(), result: 'ok', reason: 'restored in 40 s'});

function services() {
	const web = projects[0]!;
	return testServices({
		inventories: {
			[web.id]: inventory(web, {
				volumes: [
					volume('v-db', 'db-data', {encrypted: true, encryptionKeyId: 'k-db', volumeType: 'LUKS'}),
					volume('v-web', 'web-data'),
					volume('v-logs', 'logs'),
				],
				volumeTypes: [{
					id: 't-luks', name: 'LUKS', isPublic: true, extraSpecs: {}, raw: {},
				}],
				secrets: [secret('k-db')],
				backups: [
					// Its key clone is gone from Barbican: Cinder still says available.
					backup('b-keyless', 'v-db', 3, {name: 'db-nightly', encryptionKeyId: 'k-gone', metadata: {[backupMetaSourceTypeName]: 'LUKS'}}),
					backup('b-drilled', 'v-web', 5, {name: 'web-nightly', metadata: passedDrill}),
					backup('b-plain', 'v-logs', 6, {name: 'logs-nightly'}),
				],
			}),
		},
	});
}

test('the first column says whether each backup would restore, with Cinder\'s status beside it (80×24)', async t => {
	const app = drive(<App services={services()} initialView='backups'/>, {columns: 80, rows: 24});
	t.teardown(app.unmount);
	const frame = await app.waitFor('db-nightly');
	const line = (name: string) => frame.split('\n').find(candidate => candidate.includes(name)) ?? '';
	t.regex(frame, /RESTORE\s+STATUS/v, 'RESTORE comes first, STATUS beside it');
	t.regex(line('db-nightly'), /^.{0,3}✖ key gone\s+✔ available/v);
	t.regex(line('web-nightly'), /^.{0,3}✔ verified\s+✔ available/v);
	t.regex(line('logs-nightly'), /^.{0,3}✔ restorable\s+✔ available/v);
	for (const row of frame.split('\n')) {
		t.true([...row].length <= 80, `wider than 80: ${row}`);
	}
});

test('from 100 columns the DRILLED column shows each backup\'s last drill: result and age, or never', async t => {
	const app = drive(<App services={services()} initialView='backups'/>, {columns: 100, rows: 24});
	t.teardown(app.unmount);
	const frame = await app.waitFor(text => text.includes('DRILLED') && text.includes('web-nightly'));
	const line = (name: string) => frame.split('\n').find(candidate => candidate.includes(name)) ?? '';
	t.regex(line('web-nightly'), /✔ 2h/v, 'passed 2 h ago');
	t.regex(line('logs-nightly'), /never/v);
	t.regex(line('db-nightly'), /never/v);
});

test('the detail pane of a backup says whether it would restore and what its last drill found', async t => {
	const app = drive(<App services={services()} initialView='backups'/>, {columns: 80, rows: 24});
	t.teardown(app.unmount);
	await app.waitFor('web-nightly');
	// Sorted by age: web-nightly (5 h) is the second row after db-nightly (3 h).
	await app.press(keys.down, keys.enter);
	const detail = await app.waitFor('last drill');
	t.regex(detail, /✔ verified\s+last drill passed 2h ago: restored in 40 s/v);
	await app.press(keys.escape, keys.up, keys.enter);
	const keyless = await app.waitFor('key gone   never');
	t.regex(keyless, /✖ key gone\s+never restore-drilled/v);
});
