// eslint-disable-next-line import-x/no-unassigned-import, import-x/order -- must run before Ink loads chalk
import './force-color.js';
import test from 'ava';
import {App} from '../../source/ui/app.js';
import {
	backup,
	drive,
	inventory,
	keys,
	projects,
	secret,
	storyInventories,
	testServices,
	volume,
} from './helpers.js';

test('the first frame appears at once, before the cloud answers', t => {
	const services = testServices();
	const app = drive(<App services={services}/>);
	t.teardown(app.unmount);
	t.regex(app.frame(), /backstack/v);
	t.regex(app.frame(), /connecting|loading/v);
});

test('the audit lists findings by severity once the inventory is read', async t => {
	const services = testServices();
	const app = drive(<App services={services}/>);
	t.teardown(app.unmount);
	const frame = await app.waitFor('scratch');
	t.regex(frame, /project web-shop/v);
	t.regex(frame, /user alice/v);
	const lines = frame.split('\n');
	const scratch = lines.findIndex(line => line.includes('scratch'));
	const db = lines.findIndex(line => line.includes('db-data'));
	t.true(scratch > 0);
	// The unprotected volume is critical or warning and comes before a protected one (if listed at all).
	t.true(db === -1 || scratch < db);
});

test('arrow keys and j/k move the selection in the volumes view', async t => {
	const services = testServices();
	const app = drive(<App services={services} initialView='volumes'/>);
	t.teardown(app.unmount);
	await app.waitFor('db-data');
	const selectedLine = () => app.frame().split('\n').find(line => line.startsWith('›')) ?? '';
	const first = selectedLine();
	await app.press(keys.down);
	const second = selectedLine();
	t.not(first, second);
	await app.press('j');
	const third = selectedLine();
	t.not(second, third);
	await app.press('k');
	t.is(selectedLine(), second);
	await app.press(keys.up);
	t.is(selectedLine(), first);
});

test('the filter keeps only matching rows and Esc clears it', async t => {
	const services = testServices();
	const app = drive(<App services={services} initialView='volumes'/>);
	t.teardown(app.unmount);
	await app.waitFor('db-data');
	await app.press('/', 'l', 'o', 'g');
	let frame = app.frame();
	t.regex(frame, /\/log/v);
	t.regex(frame, /logs/v);
	t.notRegex(frame, /db-data/v);
	t.regex(frame, /1\/4 rows/v);
	await app.press(keys.enter);
	frame = app.frame();
	t.regex(frame, /logs/v);
	t.notRegex(frame, /db-data/v);
	await app.press('/', keys.escape);
	t.regex(await app.waitFor('db-data'), /scratch/v);
});

test('Enter opens the detail with findings and reasons; Esc goes back', async t => {
	const services = testServices();
	const app = drive(<App services={services} initialView='volumes'/>);
	t.teardown(app.unmount);
	await app.waitFor('scratch');
	await app.press('/', 's', 'c', 'r', keys.enter, keys.enter);
	const frame = await app.waitFor('Findings');
	t.regex(frame, /volume scratch/v);
	t.regex(frame, /id v-scratch/v);
	t.regex(frame, /✖ unprotected/v);
	t.regex(frame, /→ /v);
	await app.press(keys.escape);
	t.regex(await app.waitFor('PROTECTION'), /scratch/v);
});

test('the palette finds views, projects and actions by fuzzy search; Enter on a project switches to it', async t => {
	const services = testServices();
	const app = drive(<App services={services}/>);
	t.teardown(app.unmount);
	await app.waitFor('scratch');
	await app.press(':', 'b', 'k', 'p');
	let frame = app.frame();
	t.regex(frame, /: bkp/v);
	t.regex(frame, /› view: Backups/v);
	await app.press(keys.escape, ':', 'd', 'a', 't', 'a', 'l');
	frame = app.frame();
	t.regex(frame, /› project: data-lake/v);
	await app.press(keys.enter);
	await app.waitFor('project data-lake');
	t.true(services.calls.includes('switchProject p-data'));
	await app.press('2');
	t.regex(await app.waitFor('lake-volume'), /project data-lake/v);
	t.true(services.calls.includes('readInventory p-data'));
	t.true(services.calls.includes('close p-web'));
});

test('the help lists the keymap, and read-only mode hides every action that changes the cloud', async t => {
	const normal = drive(<App services={testServices()}/>);
	t.teardown(normal.unmount);
	await normal.press('?');
	const help = await normal.waitFor('Keys (Esc closes)');
	t.regex(help, /Command palette/v);
	t.regex(help, /Back up \(volume, server\)/v);
	t.regex(help, /Copy volume to an image/v);
	t.regex(help, /changes the cloud/v);

	const readonly = drive(<App isReadonly services={testServices()}/>);
	t.teardown(readonly.unmount);
	await readonly.waitFor('READ-ONLY');
	await readonly.press('?');
	const readonlyHelp = await readonly.waitFor('Keys (Esc closes)');
	t.regex(readonlyHelp, /Command palette/v);
	t.notRegex(readonlyHelp, /Restore/v);
	t.notRegex(readonlyHelp, /Back up/v);
	// A download and a key export only read the cloud and write a local file: read-only mode keeps them.
	t.regex(readonlyHelp, /Download image to a file/v);
	t.regex(readonlyHelp, /Export a key to a file/v);
	t.notRegex(readonlyHelp, /changes the cloud/v);
	await readonly.press(keys.escape, ':', 'r', 'e', 's', 't');
	t.notRegex(readonly.frame(), /Restore/v);
});

test('a hostile resource name never reaches the terminal as an escape sequence', async t => {
	const app = drive(<App services={testServices()} initialView='volumes'/>);
	t.teardown(app.unmount);
	await app.waitFor('evil');
	const everything = app.stdout.frames.join('');
	t.false(everything.includes(']52;'));
	t.false(everything.includes('\u{1B}[2J'));
	t.false(everything.includes('second-line\n'));
	t.regex(app.frame(), /evilname second-line/v);
});

const noColor: Record<string, string> = Object.fromEntries([['NO_COLOR', '1']]);

test('without NO_COLOR the statuses are coloured', async t => {
	const app = drive(<App services={testServices()} initialView='volumes'/>);
	t.teardown(app.unmount);
	await app.waitFor('scratch');
	const sequences = app.rawFrame().split('\u{1B}').slice(1);
	t.true(sequences.some(sequence => /^\[(?:3[0-8]|9[0-7])[;m]/v.test(sequence)));
});

test('with NO_COLOR the frames carry no colour, and the status still shows as a symbol', async t => {
	const app = drive(<App services={testServices({env: noColor})} initialView='volumes'/>);
	t.teardown(app.unmount);
	await app.waitFor('scratch');
	const raw = app.rawFrame();
	// No SGR colour codes (30–37, 90–97, 38;…) anywhere.
	const sequences = raw.split('\u{1B}').slice(1);
	t.false(sequences.some(sequence => /^\[(?:3[0-8]|9[0-7])[;m]/v.test(sequence)));
	t.regex(app.frame(), /✔ protected/v);
	t.regex(app.frame(), /✖ unprotected/v);
	t.regex(app.frame(), /◷ stale/v);
	// The selection is still visible without colour.
	t.regex(app.frame(), /^›/mv);
});

test('c copies the selected ID through the injected clipboard and says so', async t => {
	const services = testServices();
	const app = drive(<App services={services} initialView='volumes'/>);
	t.teardown(app.unmount);
	await app.waitFor('scratch');
	await app.press('/', 'l', 'o', 'g', 's', keys.enter, 'c');
	t.deepEqual(services.copied, ['v-logs']);
	t.regex(app.frame(), /copied v-logs/v);
});

test('y shows the raw JSON of the selected resource', async t => {
	const app = drive(<App services={testServices()} initialView='volumes'/>);
	t.teardown(app.unmount);
	await app.waitFor('scratch');
	await app.press('/', 'd', 'b', keys.enter, 'y');
	const frame = await app.waitFor('Raw JSON');
	t.regex(frame, /"id": "v-db"/v);
	t.regex(frame, /"status": "available"/v);
});

test('at 80×24 every line fits and long names are cut with an ellipsis', async t => {
	const long = 'a-volume-with-a-name-far-too-long-for-any-column-in-an-eighty-column-terminal-really';
	const services = testServices();
	const inventories = storyInventories();
	inventories['p-web']!.volumes.push(volume('v-long', long));
	const app = drive(<App services={{...services, readInventory: async session => inventories[session.identity.token().projectId]!}} initialView='volumes'/>, {columns: 80, rows: 24});
	t.teardown(app.unmount);
	const frame = await app.waitFor('a-volume-with');
	const lines = frame.split('\n');
	t.true(lines.length <= 24, `${lines.length} lines`);
	for (const line of lines) {
		t.true([...line].length <= 80, `too wide: ${line}`);
	}

	t.regex(frame, /a-volume-with\S*…/v);
	t.false(frame.includes(long));
});

test('resizing the terminal re-lays the table out', async t => {
	const app = drive(<App services={testServices()} initialView='volumes'/>, {columns: 120, rows: 30});
	t.teardown(app.unmount);
	let frame = await app.waitFor('scratch');
	t.regex(frame, /TYPE/v);
	await app.resize(60, 20);
	frame = await app.waitFor(text => !text.includes('TYPE'));
	for (const line of frame.split('\n')) {
		t.true([...line].length <= 60, `too wide: ${line}`);
	}
});

test('keys that arrive in one read each see what the key before did (a paste, tmux send-keys, a fast typist)', async t => {
	const app = drive(<App services={testServices()}/>);
	t.teardown(app.unmount);
	await app.waitFor('scratch');
	// View 2, filter "log" and keep it: the printable keys in one chunk of input.
	await app.press('2/log', '\r');
	const frame = await app.waitFor('1/4 rows');
	t.regex(frame, /\[2Volumes\]/v);
	t.regex(frame, /logs/v);
	t.notRegex(frame, /db-data/v);
	// Two downs in one read move two rows.
	await app.press('/\u{1B}');
	await app.waitFor('db-data');
	const before = app.frame().split('\n').findIndex(line => line.startsWith('›'));
	await app.press('jj');
	const after = app.frame().split('\n').findIndex(line => line.startsWith('›'));
	t.is(after - before, 2);
});

test('the detail of an encrypted volume shows its backups and the keys they need, a missing key marked', async t => {
	const web = projects[0]!;
	const vault = inventory(web, {
		volumes: [volume('v-vault', 'vault-data', {encrypted: true, encryptionKeyId: 'k-vault', volumeType: 'LUKS'})],
		backups: [
			backup('b-vault-old', 'v-vault', 24 * 30, {encryptionKeyId: 'k-gone'}),
			backup('b-vault', 'v-vault', 3, {encryptionKeyId: 'k-vault-backup'}),
		],
		secrets: [secret('k-vault'), secret('k-vault-backup')],
	});
	const services = testServices({inventories: {[web.id]: vault, [projects[1]!.id]: inventory(projects[1]!)}});
	const app = drive(<App services={services} initialView='volumes'/>, {columns: 100, rows: 40});
	t.teardown(app.unmount);
	await app.waitFor('vault-data');
	t.regex(app.frame(), /⚿ present/v);
	await app.press(keys.enter);
	const frame = await app.waitFor('Linkage');
	t.regex(frame, /encrypted/v);
	t.regex(frame, /├─ key: k-vault\b/v);
	t.regex(frame, /backup: backup-b-vault \(b-vault\)\n\s+└─ key: k-vault-backup\n/v);
	t.regex(frame, /└─ ✖ key: k-gone\s+\[missing\]/v);
});
