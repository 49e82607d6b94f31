import test from 'ava';
import {auditRows, buildAuditReport} from '../../source/core/audit.js';
import {renderAuditTable} from '../../source/ui/audit-table.js';
import {now, storyInventories, testPolicy} from './helpers.js';

function report() {
	const inventories = storyInventories();
	return buildAuditReport({cloudName: 'testcloud'}, Object.values(inventories).map(inventory => ({project: inventory.project, inventory})), testPolicy, now);
}

test('the audit table lists findings worst first with a summary, within the width', t => {
	const audit = report();
	const text = renderAuditTable(audit, auditRows(audit), {columns: 100, color: false});
	const lines = text.trimEnd().split('\n');
	for (const line of lines) {
		t.true([...line].length <= 100, `too wide: ${line}`);
	}

	t.regex(text, /scratch/v);
	t.regex(text, /web-shop/v);
	t.regex(text, /testcloud: 2 projects — \d+ critical, \d+ warning/v);
	const firstCritical = lines.findIndex(line => line.includes('CRIT'));
	const firstInfo = lines.findIndex(line => line.includes('INFO') || line.includes('WARN'));
	t.true(firstCritical !== -1);
	t.true(firstInfo === -1 || firstCritical < firstInfo);
});

test('the audit table carries no escape sequence from a hostile name, and none at all without colour', t => {
	const audit = report();
	const text = renderAuditTable(audit, auditRows(audit), {columns: 120, color: false});
	t.false(text.includes('\u{1B}'));
	t.false(text.includes('\u{7}'));
});

test('a Barbican that could not be read is said first, prominently, and the summary says the audit is incomplete', t => {
	const inventories = storyInventories();
	const [first] = Object.values(inventories);
	first!.sources.barbican = {state: 'error', reason: 'ECONNRESET: socket hang up'};
	first!.secrets = undefined;
	const audit = buildAuditReport({cloudName: 'testcloud'}, Object.values(inventories).map(inventory => ({project: inventory.project, inventory})), testPolicy, now);
	const text = renderAuditTable(audit, auditRows(audit), {columns: 80, color: false});
	const lines = text.trimEnd().split('\n');
	const {name} = first!.project;
	t.true(lines[0]!.startsWith(`! ${name}: KEYS NOT CHECKED (a key here is "unknown", not "present") — barbican`), lines[0]);
	t.regex(lines.slice(0, 2).join(' '), /could not be read \(ECONNRESET: socket hang up\)/v);
	const tooWide = lines.filter(line => [...line].length > 80);
	t.deepEqual(tooWide, []);
	t.is(lines.at(-1), 'INCOMPLETE: some services could not be read, see the first lines.');
	const complete = report();
	t.false(renderAuditTable(complete, auditRows(complete), {columns: 80, color: false}).includes('INCOMPLETE'), 'not when every service was read');
});
