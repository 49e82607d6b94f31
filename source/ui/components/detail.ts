/*
The detail pane of one resource: what it is, its protection, the linkage tree (volume → snapshots, backups → keys; backup →
source volume, type, key; image → key, server; secret ← its users) and the findings about it, each with its reason and action.
*/
import type {IacMap} from '../../core/iac/state.js';
import type {Inventory, ResourceSummary} from '../../core/model.js';
import type {Analysis, LinkNode} from '../analysis.js';
import {age, wrap} from '../format.js';
import {displayName, sanitize} from '../sanitize.js';
import {
	keyStateStyle,
	protectionStyle,
	restorabilityStyle,
	severityStyle,
} from '../theme.js';
import type {Row} from '../views/index.js';
import type {Line} from './scroll-text.js';

// Relations that already say what the linked resource is: `backup`, not `backup backup`.
const namesItsKind = new Set(['key', 'backup', 'snapshot', 'type', 'source type', 'source volume', 'volume', 'snapshot image', 'boot image', 'image of server', 'booted server']);

function nodeLabel(node: LinkNode): string {
	const kind = node.kind === 'secret' ? 'key' : node.kind;
	let what = kind ?? '';
	if (node.relation !== undefined) {
		what = namesItsKind.has(node.relation) ? node.relation : `${node.relation} ${kind ?? ''}`.trim();
	}

	const name = sanitize(node.name);
	let id = '';
	if (node.id !== undefined) {
		id = name === '' ? node.id : ` (${node.id})`;
	}

	const note = node.note === undefined ? '' : `  [${sanitize(node.note)}]`;
	return `${what === '' ? '' : `${what}: `}${name}${id}${note}`;
}

/**
The tree drawn with box characters, one line per node.
*/
export function treeLines(root: LinkNode): Line[] {
	const lines: Line[] = [{text: nodeLabel(root), bold: true, color: root.problem ? 'red' : undefined}];
	const walk = (nodes: LinkNode[], prefix: string) => {
		for (const [index, node] of nodes.entries()) {
			const isLast = index === nodes.length - 1;
			lines.push({text: `${prefix}${isLast ? '└─ ' : '├─ '}${node.problem ? '✖ ' : ''}${nodeLabel(node)}`, color: node.problem ? 'red' : undefined});
			walk(node.children, `${prefix}${isLast ? ' '.repeat(3) : '│  '}`);
		}
	};

	walk(root.children, '');
	return lines;
}

/**
A backup's restorability and its newest restore drill, in one line.
*/
function restoreLine(summary: ResourceSummary, now: Date): Line {
	const style = restorabilityStyle[summary.restorability ?? 'restorable'];
	const {drill} = summary;
	const drilled = drill === undefined
		? 'never restore-drilled (backstack drill proves it restores)'
		: `last drill ${drill.result === 'ok' ? 'passed' : 'FAILED'} ${age(drill.at, now)} ago${drill.reason === undefined ? '' : `: ${sanitize(drill.reason)}`}`;
	return {text: `${style.symbol} ${style.label}   ${drilled}`, color: style.color};
}

/**
The line naming who manages the resource, when a Terraform/OpenTofu state read names it.
*/
function iacLine(iac: IacMap | undefined, id: string, width: number): Line[] {
	const entry = iac?.byId.get(id);
	return entry === undefined ? [] : wrap(`managed by terraform: ${sanitize(entry.address)}`, width, '  ').map(text => ({text, color: 'cyan'}));
}

const iacKinds = new Set(['volume', 'server', 'image', 'secret']);

/**
For a kind a state could name, while the state files could not be read: that its manager is not known, and why (the
status line may be showing something else by now).
*/
function iacProblemLine(problem: string | undefined, kind: string, width: number): Line[] {
	return problem === undefined || !iacKinds.has(kind)
		? []
		: wrap(`terraform: not known, the state was not read: ${sanitize(problem)}`, width, '  ').map(text => ({text, color: 'yellow'}));
}

export function detailLines(options: {row: Row; inventory?: Inventory; analysis?: Analysis; iac?: IacMap; iacProblem?: string; now: Date; width: number}): Line[] {
	const {row, analysis, now} = options;
	const {ref} = row;
	if (ref === undefined) {
		return [{text: row.cells.join('  ')}];
	}

	const lines: Line[] = [
		{text: `${ref.kind} ${ref.name ?? ''}`.trim(), bold: true},
		{text: `id ${ref.id}`, dim: true},
		...iacLine(options.iac, ref.id, options.width),
		...iacProblemLine(options.iacProblem, ref.kind, options.width),
	];
	const summary = analysis?.summaryOf(ref.id);
	if (summary !== undefined) {
		const protection = protectionStyle[summary.protection];
		const key = keyStateStyle[summary.keyState];
		lines.push({
			text: [
				`${protection.symbol} ${protection.label}`,
				`last backup ${age(summary.lastBackupAt, now)}${summary.lastBackupAt === undefined ? '' : ' ago'}`,
				summary.encrypted ? 'encrypted' : 'not encrypted',
				summary.keyState === 'none' ? '' : `${key.symbol} key ${summary.keyState}`,
			].filter(part => part !== '').join(' '.repeat(3)),
			color: protection.color,
		});
	}

	if (summary?.restorability !== undefined) {
		lines.push(restoreLine(summary, now));
	}

	const findings = (analysis?.findings ?? []).filter(finding => finding.resource.id === ref.id
		|| finding.related?.some(related => related.id === ref.id));
	lines.push({text: ''}, {text: `Findings (${findings.length})`, bold: true});
	for (const finding of findings) {
		const style = severityStyle[finding.severity];
		const about = finding.resource.id === ref.id ? '' : ` (about ${finding.resource.kind} ${displayName(finding.resource)})`;
		for (const text of wrap(`${style.symbol} ${style.label} ${sanitize(finding.reason)}${about}`, options.width, ' '.repeat(7))) {
			lines.push({text, color: style.color});
		}

		if (finding.action !== '') {
			for (const text of wrap(`    → ${sanitize(finding.action)}`, options.width, ' '.repeat(6))) {
				lines.push({text, dim: true});
			}
		}
	}

	const tree = analysis?.linksOf(ref);
	lines.push({text: ''}, {text: 'Linkage', bold: true});
	if (tree) {
		lines.push(...treeLines(tree));
	} else {
		lines.push({text: analysis ? 'no links known' : 'reading…', dim: true});
	}

	return lines;
}
