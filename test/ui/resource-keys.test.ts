/*
What the resource keys open for each kind of row (app/resource-keys.ts), without Ink: the flow for a row that fits the
key, the hint about what to select for one that does not, and Space's marks.
*/
import test from 'ava';
import type {ResourceRef} from '../../source/core/model.js';
import {
	resourceKeys,
	toggleMark,
	type Outcome,
	type Selection,
} from '../../source/ui/app/resource-keys.js';
import type {Row, ViewId} from '../../source/ui/views/index.js';
import {
	backup,
	inventory,
	projects,
	volume,
} from './helpers.js';

const story = inventory(projects[0]!, {
	volumes: [volume('v-1', 'shop-db')],
	backups: [backup('b-1', 'v-1', 3), backup('b-2', 'v-1', 1)],
});

function row(ref: ResourceRef): Row {
	return {
		key: ref.id, ref, cells: [], sort: [], search: '',
	};
}

function selection(viewId: ViewId, ref?: ResourceRef, marks: ReadonlySet<string> = new Set()): Selection {
	return {
		row: ref === undefined ? undefined : row(ref), viewId, inventory: story, marks, version: '9.9.9-test',
	};
}

/**
The flow's title, the reason there is none, or the hint, to compare.
*/
function said(outcome: Outcome): string {
	if (outcome.type === 'hint') {
		return `hint: ${outcome.text}`;
	}

	return typeof outcome.flow === 'string' ? `no flow: ${outcome.flow}` : outcome.flow.title;
}

function press(binding: string, chosen: Selection): string {
	const key = resourceKeys[binding];
	if (key === undefined) {
		throw new Error(`no resource key ${binding}`);
	}

	return said(key(chosen));
}

test('b backs up the selected volume, and only names what to select on a backup row', t => {
	t.is(press('backup.create', selection('volumes', {kind: 'volume', id: 'v-1', name: 'shop-db'})), 'Back up volume shop-db');
	t.regex(press('backup.create', selection('backups', {kind: 'backup', id: 'b-1'})), /^hint: b backs up the selected volume/v);
});

test('R and O on a backup open its restores; R in the secrets view with no row opens a secret from a file', t => {
	const onBackup = selection('backups', {kind: 'backup', id: 'b-1', name: 'backup-b-1'});
	t.is(press('restore.start', onBackup), 'Restore backup backup-b-1 into a new volume');
	t.is(press('restore.onto', onBackup), 'Restore backup backup-b-1 onto an existing volume (its data is replaced)');
	t.is(press('restore.start', selection('secrets')), 'New secret from a key file');
	t.regex(press('restore.start', selection('volumes', {kind: 'volume', id: 'v-1'})), /^hint: R restores/v);
});

test('a row the inventory does not hold (yet) says r refreshes', t => {
	t.is(press('backup.toImage', selection('volumes', {kind: 'volume', id: 'v-gone', name: 'gone'})), 'no flow: volume gone is not in the inventory (yet): r refreshes');
});

test('Space marks a volume and unmarks it; P protects the marked ones; a secret row cannot be marked', t => {
	const marked = toggleMark(selection('volumes', {kind: 'volume', id: 'v-1'}));
	t.deepEqual(typeof marked === 'string' ? marked : [...marked], ['v-1']);
	t.regex(press('backup.protect', selection('volumes', undefined, marked as ReadonlySet<string>)), /^Protect now: back up 1 marked volume \(shop-db\)/v);
	const unmarked = toggleMark(selection('volumes', {kind: 'volume', id: 'v-1'}, marked as ReadonlySet<string>));
	t.deepEqual(typeof unmarked === 'string' ? unmarked : [...unmarked], []);
	t.is(toggleMark(selection('secrets', {kind: 'secret', id: 's-1'})), 'only volumes (P protects them now) and backups (D drills them) can be marked');
	t.regex(press('backup.protect', selection('volumes')), /^no flow: mark volumes first/v);
});

test('Space marks backups; D then drills the marked ones, one plan each, in list order; without marks D drills the selected one', t => {
	const [first, second] = selection('backups').inventory!.backups;
	t.truthy(second, 'the fixture has two backups');
	let marks: ReadonlySet<string> = new Set();
	for (const marked of [first!, second!]) {
		const next = toggleMark(selection('backups', {kind: 'backup', id: marked.id}, marks));
		t.not(typeof next, 'string');
		marks = next as ReadonlySet<string>;
	}

	const outcome = resourceKeys['drill.start']!({...selection('backups', {kind: 'backup', id: first!.id}, marks)});
	t.is(outcome.type, 'flow');
	const flow = outcome.type === 'flow' ? outcome.flow : undefined;
	t.true(typeof flow === 'object');
	if (typeof flow !== 'object') {
		return;
	}

	t.regex(flow.title, /^Restore drill 1 of 2: backup /v);
	t.is(flow.drill?.id, first!.id);
	t.is(flow.next?.drill?.id, second!.id);
	t.regex(flow.next?.title ?? '', /^Restore drill 2 of 2: /v);
	t.is(flow.next?.next, undefined);
	const single = resourceKeys['drill.start']!(selection('backups', {kind: 'backup', id: second!.id}));
	t.true(single.type === 'flow' && typeof single.flow === 'object' && single.flow.drill?.id === second!.id && single.flow.next === undefined);
});
