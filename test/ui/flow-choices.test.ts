/*
What the flows offer before core plans anything: only candidates that could work, defaults that are safe file names.
*/
import test from 'ava';
import {backupMetaSourceTypeName} from '../../source/core/model.js';
import {
	keyExport,
	protectNow,
	restoreOntoFromBackup,
	restoreOntoFromVolume,
	safeFileName,
	targetVolumes,
	type FlowResult,
} from '../../source/ui/flows/index.js';
import {
	backup,
	inventory,
	projects,
	volume,
} from './helpers.js';

/**
Why there is no flow (or the flow's title, to fail the match).
*/
function reason(result: FlowResult): string {
	return typeof result === 'string' ? result : result.title;
}

const project = projects[0]!;
const story = inventory(project, {
	volumes: [
		volume('v-small', 'small', {size: 5}),
		volume('v-big', 'big', {size: 50}),
		volume('v-busy', 'busy', {size: 50, status: 'in-use'}),
		volume('v-luks', 'luks-target', {
			size: 50, volumeType: 'LUKS', volumeTypeId: 't-luks', encrypted: true,
		}),
		volume('v-luks-src', 'luks-source', {
			size: 20, volumeType: 'LUKS', volumeTypeId: 't-luks', encrypted: true, status: 'in-use',
		}),
	],
	backups: [
		backup('b-plain', 'v-small', 2, {size: 5}),
		backup('b-20', 'v-gone', 5, {size: 20}),
		backup('b-luks', 'v-luks-src', 3, {size: 20, encryptionKeyId: 'k-1'}),
		backup('b-luks-meta', 'v-gone-too', 4, {size: 20, encryptionKeyId: 'k-2', metadata: {[backupMetaSourceTypeName]: 'OTHER-LUKS'}}),
		backup('b-error', 'v-small', 1, {size: 5, status: 'error'}),
	],
});

test('a backup is offered only available volumes at least its size; an encrypted one only volumes of its source type', t => {
	t.deepEqual(targetVolumes(story, story.backups[0]!).map(item => item.id), ['v-big', 'v-luks', 'v-small']);
	t.deepEqual(targetVolumes(story, story.backups[1]!).map(item => item.id), ['v-big', 'v-luks']);
	// The source volume's type (it still exists)…
	t.deepEqual(targetVolumes(story, story.backups[2]!).map(item => item.id), ['v-luks']);
	// …or backstack's metadata, when it names a type no volume has: nothing to offer, and the reason says so.
	t.deepEqual(targetVolumes(story, story.backups[3]!), []);
	t.regex(reason(restoreOntoFromBackup(story, story.backups[3]!)), /no available volume of type OTHER-LUKS of at least 20 GiB/v);
	t.regex(reason(restoreOntoFromBackup(story, story.backups[4]!)), /is error: only an available backup/v);
});

test('a volume is offered the backups that fit it, its own first, then newest first; an in-use volume none', t => {
	const flow = restoreOntoFromVolume(story, story.volumes[0]!);
	t.not(typeof flow, 'string');
	t.deepEqual(typeof flow === 'string' ? [] : flow.pick?.options.map(option => option.value), ['b-plain']);
	const big = restoreOntoFromVolume(story, story.volumes[1]!);
	t.deepEqual(typeof big === 'string' ? [] : big.pick?.options.map(option => option.value), ['b-plain', 'b-20']);
	const luks = restoreOntoFromVolume(story, story.volumes[3]!);
	t.deepEqual(typeof luks === 'string' ? [] : luks.pick?.options.map(option => option.value), ['b-plain', 'b-luks', 'b-20']);
	t.regex(reason(restoreOntoFromVolume(story, story.volumes[2]!)), /busy is in-use/v);
});

test('the onto request carries the picked volume; protect-now needs marks; a plain volume has no key', t => {
	const flow = restoreOntoFromBackup(story, story.backups[0]!);
	t.deepEqual(typeof flow === 'string' ? undefined : flow.request({volumeId: 'v-big'}), {type: 'restore', request: {kind: 'onto', backupId: 'b-plain', volumeId: 'v-big'}});
	t.regex(reason(protectNow([])), /mark volumes first/v);
	t.regex(reason(keyExport({kind: 'volume', resource: story.volumes[0]!})), /not encrypted/v);
});

test('default file names keep letters, digits, dots and dashes only', t => {
	t.is(safeFileName('Ubuntu 24.04 LTS'), 'Ubuntu_24.04_LTS');
	t.is(safeFileName('../../etc/passwd'), '_.._etc_passwd');
	t.is(safeFileName('\u{1B}]52;c;x\u{7}'), '_52_c_x_');
	t.is(safeFileName('...'), 'backstack-export');
});
