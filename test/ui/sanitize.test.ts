import test from 'ava';
import {
	displayName,
	displayWidth,
	fit,
	sanitize,
	truncate,
} from '../../source/ui/sanitize.js';
import {wrap} from '../../source/ui/format.js';

test('CSI sequences (colours, cursor moves, screen clears) are removed', t => {
	t.is(sanitize('a\u{1B}[31mred\u{1B}[0m b\u{1B}[2J\u{1B}[H c'), 'ared b c');
	t.is(sanitize('x\u{1B}[?1049hy'), 'xy');
});

test('OSC sequences (clipboard, title, hyperlinks) are removed with their payload', t => {
	t.is(sanitize('evil\u{1B}]52;c;aGFja2Vk\u{7}name'), 'evilname');
	t.is(sanitize('t\u{1B}]0;title\u{1B}\\u'), 'tu');
	t.is(sanitize('\u{1B}]8;;http://x\u{1B}\\link\u{1B}]8;;\u{1B}\\'), 'link');
});

test('8-bit C1 introducers are removed too', t => {
	t.is(sanitize('a\u{9B}31mb'), 'ab');
	t.is(sanitize('a\u{9D}52;c;Zm9v\u{7}b'), 'ab');
});

test('line breaks and tabs become spaces; other controls and bidi overrides disappear', t => {
	t.is(sanitize('one\ntwo\r\nthree\tfour'), 'one two  three four');
	t.is(sanitize('a\u{0}b\u{7}c\u{7F}d\u{8}e'), 'abcde');
	t.is(sanitize('admin\u{202E}gnp.exe'), 'admingnp.exe');
});

test('plain and non-Latin text is untouched; non-strings are stringified', t => {
	t.is(sanitize('backup-2026 über 数据'), 'backup-2026 über 数据');
	t.is(sanitize(undefined), '');
	t.is(sanitize(42), '42');
	t.is(sanitize('a lone \u{1B}'), 'a lone ');
});

test('truncate and fit count terminal cells and mark a cut with an ellipsis', t => {
	t.is(truncate('abcdef', 4), 'abc…');
	t.is(truncate('abcd', 4), 'abcd');
	t.is(truncate('数据数据', 5), '数据…');
	t.is(displayWidth(truncate('数据数据', 5)), 5);
	t.is(fit('ab', 4), 'ab  ');
	t.is(fit('ab', 4, 'right'), '  ab');
	t.is(fit('abcdef', 3), 'ab…');
	t.is(truncate('x', 0), '');
});

test('wrap breaks at spaces, indents continuation lines, and cuts nothing', t => {
	t.deepEqual(wrap('one two three four', 9, '  '), ['one two', '  three', '  four']);
	t.deepEqual(wrap('averyveryverylongword x', 5), ['averyveryverylongword', 'x']);
	t.deepEqual(wrap('', 5), ['']);
	t.deepEqual(wrap('   Create volume from x', 16, ' '.repeat(5)), ['   Create volume', '     from x'], 'an indented first line keeps its indent');
});

test('a resource shows its name, sanitised, or its ID when no name is left', t => {
	t.is(displayName({id: 'v-1', name: 'db-data'}), 'db-data');
	t.is(displayName({id: 'v-1', name: 'evil\u{1B}]52;c;aGFja2Vk\u{7}name'}), 'evilname');
	t.is(displayName({id: 'v-1', name: ''}), 'v-1');
	t.is(displayName({id: 'v-1'}), 'v-1');
	t.is(displayName({id: 'v-1', name: '\u{1B}[2J\u{7}'}), 'v-1');
});
