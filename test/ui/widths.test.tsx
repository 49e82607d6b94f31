import test from 'ava';
import {renderToString} from 'ink';
import stringWidth from 'string-width';
import {auditRows, buildAuditReport} from '../../source/core/audit.js';
import {renderAuditTable} from '../../source/ui/audit-table.js';
import {Table} from '../../source/ui/components/table.js';
import {
	displayWidth,
	fit,
	truncate,
} from '../../source/ui/sanitize.js';
import {wrap} from '../../source/ui/format.js';
import {makeTheme} from '../../source/ui/theme.js';
import type {Column, Row} from '../../source/ui/views/index.js';
import {now, storyInventories, testPolicy} from './helpers.js';

// Names a cloud may well hold: CJK, emoji (plain, outside the Basic Multilingual Plane's old ranges, joined with ZWJ, with a
// variation selector, with a skin tone), combining marks.
const names = ['数据库卷-备份', '💾 db', '🚀 launch', '👩‍💻 dev-box', '❤️ prod', '👍🏽 ok', 'ﾃｽﾄ half', 'e\u{301}te\u{301}', 'plain-volume'];

test('widths are the terminal cells string-width counts, for CJK, emoji and combining marks', t => {
	for (const name of names) {
		t.is(displayWidth(name), stringWidth(name), name);
	}
});

test('a cut ends with … and never splits a wide character', t => {
	t.is(truncate('🚀🚀🚀', 4), '🚀…');
	t.is(truncate('数据库卷-备份', 6), '数据…');
	t.is(truncate('👩‍💻👩‍💻', 3), '👩‍💻…');
	for (const name of names) {
		for (let width = 1; width <= 14; width++) {
			const cut = truncate(name, width);
			t.true(stringWidth(cut) <= width, `${name} at ${width}: ${cut}`);
			t.true(cut === name || cut.endsWith('…'), `${name} at ${width}: ${cut}`);
			t.true(name.startsWith(cut.replace(/…$/v, '')), `${name} at ${width}: ${cut}`);
			t.is(stringWidth(fit(name, width)), width, `fit ${name} at ${width}`);
		}
	}
});

test('wrap measures lines in cells', t => {
	const lines = wrap('数据库卷 数据库卷 数据库卷', 17, '  ');
	t.deepEqual(lines, ['数据库卷 数据库卷', '  数据库卷']);
	for (const line of wrap(`▲ ${names.join(' ')} ${names.join(' ')}`, 20, '  ')) {
		t.true(stringWidth(line) <= 20, line);
	}
});

/**
The cell where `marker` starts in `line`.
*/
function startOf(line: string, marker: string): number {
	const index = line.indexOf(marker);
	return index === -1 ? -1 : stringWidth(line.slice(0, index));
}

test('the TUI table keeps its columns aligned at 80 columns with CJK and emoji names', t => {
	const columns: Column[] = [
		{
			id: 'name', title: 'Name', width: 12, grow: true,
		},
		{id: 'status', title: 'Status', width: 10},
		{
			id: 'size', title: 'Size', width: 5, align: 'right',
		},
	];
	const rows: Row[] = names.map((name, index) => ({
		key: String(index), cells: [name.repeat(index === 0 ? 9 : 1), `st${index}`, '1G'], sort: [index], search: name,
	}));
	const theme = makeTheme({env: {}, theme: 'none'});
	const output = renderToString(
		<Table columns={columns} rows={rows} selected={0} offset={0} height={rows.length} width={80} sortColumn={0} isDescending={false} theme={theme} empty=''/>,
		{columns: 80},
	);
	const [header = '', ...lines] = output.split('\n');
	t.is(lines.length, rows.length);
	const statusStart = startOf(header, 'Status');
	const sizeEnd = stringWidth(header.trimEnd());
	t.true(statusStart > 0);
	t.true(stringWidth(header) <= 80, `too wide: ${header}`);
	for (const [index, line] of lines.entries()) {
		t.true(stringWidth(line) <= 80, `too wide: ${line}`);
		t.is(startOf(line, `st${index}`), statusStart, line);
		t.is(stringWidth(line.trimEnd()), sizeEnd, `the right-aligned size column ends where its title does: ${line}`);
	}

	t.true(lines[0]!.includes('…'), 'the long CJK name is cut');
});

test('the audit table keeps its borders aligned at 80 columns with CJK and emoji names', t => {
	const audit = buildAuditReport({cloudName: 'testcloud'}, Object.values(storyInventories()).map(inventory => ({project: inventory.project, inventory})), testPolicy, now);
	const rows = auditRows(audit).map((row, index) => ({
		...row,
		project: index % 2 === 0 ? '生产环境项目-东京区域' : row.project,
		kind: index === 1 ? 'snapshot' : row.kind,
		resource: names[index % names.length]!.repeat(index % 3 === 0 ? 4 : 1),
	}));
	const text = renderAuditTable(audit, rows, {columns: 80, color: false});
	const lines = text.trimEnd().split('\n').slice(0, -1);
	t.true(lines.length > 4);
	// Where the box-drawing characters sit in the top border.
	const borders = (line: string) => {
		const cells: number[] = [];
		let cell = 0;
		for (const {segment} of new Intl.Segmenter().segment(line)) {
			if ('┌┬┐│├┼┤└┴┘'.includes(segment)) {
				cells.push(cell);
			}

			cell += stringWidth(segment);
		}

		return cells;
	};

	const expected = borders(lines[0]!);
	t.true(expected.length >= 5);
	for (const line of lines) {
		t.true(stringWidth(line) <= 80, `too wide: ${line}`);
		t.deepEqual(borders(line), expected, line);
	}
});
