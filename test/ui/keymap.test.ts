import test from 'ava';
import type {Key} from 'ink';
import {activeBindings, findBinding, keymap} from '../../source/ui/keymap.js';
import {footerText} from '../../source/ui/components/footer.js';
import {helpLines} from '../../source/ui/components/help.js';

const none: Key = {
	upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
	return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false, super: false,
	hyper: false, capsLock: false, numLock: false,
};

test('binding ids are unique and namespaced', t => {
	const ids = keymap.map(binding => binding.id);
	t.is(new Set(ids).size, ids.length);
	for (const id of ids) {
		t.regex(id, /^[a-z]+\.[A-Za-z]+$/v);
	}
});

test('no two bindings of one context share a key', t => {
	for (const context of ['list', 'detail', 'help', 'raw', 'palette', 'choose', 'form', 'confirm', 'run', 'offer', 'over', 'wait', 'record'] as const) {
		const seen = new Map<string, string>();
		const pairs = keymap.filter(binding => binding.when.includes(context)).flatMap(binding => binding.keys.map(key => [key, binding.id] as const));
		for (const [key, id] of pairs) {
			t.false(seen.has(key), `${context}: ${key} is both ${seen.get(key) ?? ''} and ${id}`);
			seen.set(key, id);
		}
	}
});

test('keys resolve to bindings by context', t => {
	t.is(findBinding(keymap, 'list', 'j', none)?.id, 'nav.down');
	t.is(findBinding(keymap, 'list', '', {...none, downArrow: true})?.id, 'nav.down');
	t.is(findBinding(keymap, 'list', 'S', {...none, shift: true})?.id, 'list.sortReverse');
	t.is(findBinding(keymap, 'list', 'p', {...none, ctrl: true})?.id, 'app.palette');
	t.is(findBinding(keymap, 'list', '', {...none, escape: true}), undefined);
	t.is(findBinding(keymap, 'detail', '', {...none, escape: true})?.id, 'nav.back');
});

test('read-only mode removes every binding that changes the cloud, and only those', t => {
	const readonly = activeBindings({readonly: true});
	t.true(readonly.every(binding => !binding.mutates));
	t.is(readonly.length, keymap.filter(binding => !binding.mutates).length);
	t.true(activeBindings({readonly: false}).some(binding => binding.id === 'restore.start'));
	t.is(findBinding(readonly, 'list', 'R', {...none, shift: true}), undefined);
});

test('the footer shows the footer bindings of the current context', t => {
	const list = footerText(keymap, 'list');
	t.regex(list, /\/ filter rows/v);
	t.regex(list, /\? help/v);
	t.notRegex(list, /Esc/v);
	t.regex(footerText(keymap, 'detail'), /Esc back/v);
});

test('Space marks a volume; the plan actions have their keys, and read-only mode keeps only the local-file ones', t => {
	t.is(findBinding(keymap, 'list', ' ', none)?.id, 'backup.mark');
	t.is(findBinding(keymap, 'list', 'O', {...none, shift: true})?.id, 'restore.onto');
	t.is(findBinding(keymap, 'list', 'K', {...none, shift: true})?.id, 'backup.exportKey');
	const readonly = new Set(activeBindings({readonly: true}).map(binding => binding.id));
	t.true(readonly.has('backup.download'));
	t.true(readonly.has('backup.exportKey'));
	const hidden = ['backup.create', 'backup.toImage', 'backup.mark', 'backup.protect', 'restore.start', 'restore.onto', 'restore.imageFile', 'restore.bundle', 'backup.bundle'];
	t.deepEqual(hidden.filter(id => readonly.has(id)), []);
});

test('each view\'s footer starts with its own actions, in short words, and keeps the help key within 80 columns', t => {
	const actions = keymap.filter(candidate => candidate.views !== undefined);
	t.deepEqual(actions.filter(binding => binding.short === undefined).map(binding => binding.id), []);
	// Every action is in the palette too, except the mark (it acts on the row under the cursor, one at a time).
	t.deepEqual(actions.filter(binding => binding.palette !== true).map(binding => binding.id), ['backup.mark']);

	t.regex(footerText(keymap, 'list', 'volumes'), /^b backup {2}i →image {2}K key→file {2}Space mark {2}P protect {2}O onto vol {2}\? help/v);
	t.regex(footerText(keymap, 'list', 'images'), /^d download {2}K key→file {2}X bundle {2}R restore {2}I file→image {2}U from bundle {2}\? help/v);
	for (const view of ['audit', 'volumes', 'backups', 'servers', 'images', 'secrets'] as const) {
		const text = footerText(keymap, 'list', view);
		t.true(text.indexOf('? help') + '? help'.length <= 80, `${view}: ${text}`);
	}

	t.notRegex(footerText(keymap, 'list', 'projects'), /backup|restore/v);
});

test('every description fits the help\'s column of 26 cells', t => {
	t.deepEqual(keymap.filter(binding => [...binding.description].length > 26).map(binding => binding.description), []);
});

test('the help at 80 columns names U (restore a DR bundle) and f (the Terraform change\'s other form, after a restore)', t => {
	const help = helpLines(keymap, 80).map(line => line.text);
	t.true(help.some(line => /^U {18}Restore a DR bundle… {7}changes the cloud \[images\]$/v.test(line)), help.join('\n'));
	t.true(help.some(line => /^f {18}Plan: import ⇄ arguments {3}the Terraform change \(--tfstate\)$/v.test(line)), help.join('\n'));
	t.is(findBinding(keymap, 'over', 'f', none)?.id, 'plan.iacForm');
	t.is(findBinding(keymap, 'list', 'U', none)?.id, 'restore.bundle');
	t.is(findBinding(activeBindings({readonly: true}), 'list', 'U', none), undefined);
});
