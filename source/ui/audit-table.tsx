/*
`backstack audit --format table`: the audit's rows as a bordered table (@alcalzone/ink-table) rendered to a string, cut to
the terminal's width, with a one-line summary under it. Non-interactive; the TUI has its own virtualised table.
ink-table sizes its columns by `String.length` (UTF-16 units), which is not what a terminal draws for CJK or emoji, so the
cell and border components given to it draw every column at its width in terminal cells (string-width) instead.
*/
import type {PropsWithChildren} from 'react';
import {Text, renderToString} from 'ink';
import {Table, type CellProps} from '@alcalzone/ink-table';
import {iacGroups, type AuditReport, type AuditRow} from '../core/audit.js';
import type {Severity, SourceState} from '../core/model.js';
import {
	displayWidth,
	fit,
	sanitize,
	truncate,
} from './sanitize.js';
import {wrap} from './format.js';
import {severityStyle} from './theme.js';

type TableRow = {
	severity: string;
	project?: string;
	kind: string;
	resource: string;
	finding: string;
	action?: string;
};

export type AuditTableOptions = {
	/**
	Terminal width; the table never gets wider.
	*/
	columns: number;
	/**
	Colour the severities (off for NO_COLOR and for pipes).
	*/
	color: boolean;
	/**
	`--group-by iac`: one table per Terraform/OpenTofu module (core/audit.ts `iacGroups`), each under its name.
	*/
	groupByIac?: boolean;
};

/**
Widths of the text in each column (the table adds 3 cells per column: padding and border).
*/
function widths(columns: number, hasProject: boolean, hasAction: boolean): Record<keyof TableRow, number> {
	// The severity column is as wide as its title ("severity"); its cells ("✖ CRIT") are narrower.
	const fixed = {
		severity: 8, project: hasProject ? 14 : 0, kind: 8, resource: 22,
	};
	const count = 4 + (hasProject ? 1 : 0) + (hasAction ? 1 : 0);
	const spare = Math.max(10, columns - 1 - (count * 3) - fixed.severity - fixed.project - fixed.kind - fixed.resource);
	const finding = hasAction ? Math.ceil(spare * 0.55) : spare;
	return {
		...fixed, finding, action: hasAction ? spare - finding : 0,
	};
}

/**
The rows as the table shows them: sanitised, one line each, cut to their column.
*/
export function auditTableRows(rows: readonly AuditRow[], options: {columns: number; hasProject: boolean}): TableRow[] {
	const hasAction = options.columns >= 150;
	const width = widths(options.columns, options.hasProject, hasAction);
	const cut = (text: string, size: number) => truncate(sanitize(text), size);
	return rows.map(row => {
		const style = severityStyle[row.severity];
		// Key order is column order.
		return {
			severity: `${style.symbol} ${style.label}`,
			...(options.hasProject && {project: cut(row.project, width.project)}),
			kind: cut(row.kind, width.kind),
			resource: cut(row.resource, width.resource),
			finding: cut(row.reason, width.finding),
			...(hasAction && {action: cut(row.action, width.action)}),
		};
	});
}

function severityOfLabel(text: string): Severity | undefined {
	const label = text.trim().split(' ').at(-1);
	return (Object.keys(severityStyle) as Severity[]).find(severity => severityStyle[severity].label === label);
}

function summary(report: AuditReport): string {
	const {totals} = report;
	const unreadable = totals.unreadableProjects > 0 ? `, ${totals.unreadableProjects} unreadable` : '';
	return `${sanitize(report.cloud)}: ${totals.projects} project${totals.projects === 1 ? '' : 's'}${unreadable} — `
		+ `${totals.critical} critical, ${totals.warning} warning, ${totals.info} info, ${totals.ok} ok`;
}

const unreadMeaning: Partial<Record<string, string>> = {
	barbican: 'KEYS NOT CHECKED (a key here is "unknown", not "present")',
	cinder: 'VOLUMES, BACKUPS AND SNAPSHOTS UNKNOWN',
	glance: 'IMAGES UNKNOWN',
	nova: 'SERVERS UNKNOWN',
};

function unreadLine(project: string, service: string, source: SourceState, meaning: string): string {
	const verb = source.state === 'forbidden' ? 'refused to be read' : 'could not be read';
	return `! ${sanitize(project)}: ${meaning} — ${service} ${verb}${'reason' in source ? ` (${sanitize(source.reason)})` : ''}`;
}

/**
One line per service a project could not be read from, for the top of the table: the rows below say nothing about it.
*/
export function incompleteLines(report: AuditReport): string[] {
	return report.projects.flatMap(entry => Object.entries(entry.sources).flatMap(([service, source]) => {
		const meaning = unreadMeaning[service];
		return meaning === undefined || source.state === 'ok' || source.state === 'missing' ? [] : [unreadLine(entry.project.name, service, source, meaning)];
	}));
}

function tableOf(report: AuditReport, rows: readonly AuditRow[], options: AuditTableOptions): string {
	const columns = Math.max(60, options.columns);
	const hasProject = report.projects.length > 1;
	const data = auditTableRows(rows, {columns, hasProject});
	// Each column's width in cells: its widest value or its title. ink-table pads by `.length`; the components re-pad.
	const keys = Object.keys(data[0] ?? {});
	const cells = keys.map(key => Math.max(displayWidth(key), ...data.map(row => displayWidth(row[key as keyof TableRow] ?? ''))));
	const padded = (children: unknown, column: number) => ` ${fit(typeof children === 'string' ? children.trim() : '', cells[column] ?? 0)} `;
	const header = ({children, column}: PropsWithChildren<{column?: number}>) => <Text bold>{padded(children, column ?? 0)}</Text>;
	// The first column holds the severity's label: it picks the colour.
	const cell = ({children, column}: CellProps) => {
		const text = typeof children === 'string' ? children : '';
		const severity = column === 0 && options.color ? severityOfLabel(text) : undefined;
		return <Text color={severity === undefined ? undefined : severityStyle[severity].color}>{padded(children, column)}</Text>;
	};

	// Borders: a column's horizontal line comes with its index; corners and crossings come without one.
	const skeleton = ({children, column}: PropsWithChildren<{column?: number}>) => (
		<Text bold>{column === undefined ? children : '─'.repeat((cells[column] ?? 0) + 2)}</Text>
	);

	return data.length === 0
		? ''
		: renderToString(<Table data={data} header={header} cell={cell} skeleton={skeleton}/>, {columns});
}

function groupedTables(report: AuditReport, rows: readonly AuditRow[], options: AuditTableOptions): string {
	const columns = Math.max(60, options.columns);
	return iacGroups(rows).map(({group, rows: inGroup}) => {
		const title = truncate(`${sanitize(group)} (${inGroup.length} finding${inGroup.length === 1 ? '' : 's'})`, columns);
		return `${title}\n${tableOf(report, inGroup, options)}`;
	}).join('\n\n');
}

export function renderAuditTable(report: AuditReport, rows: readonly AuditRow[], options: AuditTableOptions): string {
	const columns = Math.max(60, options.columns);
	const table = options.groupByIac === true && rows.length > 0 ? groupedTables(report, rows, options) : tableOf(report, rows, options);
	const footer = table === '' ? `No findings to show. ${summary(report)}` : summary(report);
	const warnings = incompleteLines(report).flatMap(line => wrap(line, columns, '  '));
	const top = warnings.length === 0 ? '' : `${warnings.join('\n')}\n`;
	const incomplete = warnings.length === 0 ? '' : 'INCOMPLETE: some services could not be read, see the first lines.\n';
	return `${top}${table}${table === '' ? '' : '\n'}${footer}\n${incomplete}`;
}
